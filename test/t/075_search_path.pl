# search_path hijack: a caller who puts a schema of their own before
# pg_catalog on the search_path, shadowing the operators and functions the
# extension's SQL uses (=, <>, ||, lower, length, btrim, now, count, ...),
# and who creates temporary tables named like the extension's tables, must
# not change any result.  The same workload runs in two databases, one with
# a normal session and one with the hijacked session; the identity graph,
# the profiles, the computed traits, the consents, ingest results and the
# normalisers' outputs must be identical.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('search_path');
$node->init;
$node->start;

my $evil = q{
CREATE SCHEMA evil;
CREATE FUNCTION evil.yes(text, text) RETURNS bool LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION evil.yes(bigint, bigint) RETURNS bool LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION evil.no(text, text) RETURNS bool LANGUAGE sql AS 'SELECT false';
CREATE FUNCTION evil.no(bigint, bigint) RETURNS bool LANGUAGE sql AS 'SELECT false';
CREATE FUNCTION evil.cat(text, text) RETURNS text LANGUAGE sql AS $$SELECT 'HIJACKED'$$;
CREATE FUNCTION evil.cat(jsonb, jsonb) RETURNS jsonb LANGUAGE sql AS $$SELECT '{"hijacked": true}'::jsonb$$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.yes);
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.yes);
CREATE OPERATOR evil.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.no);
CREATE OPERATOR evil.<> (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.no);
CREATE OPERATOR evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.cat);
CREATE OPERATOR evil.|| (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = evil.cat);
CREATE FUNCTION evil.lower(text) RETURNS text LANGUAGE sql AS $$SELECT 'hijacked'$$;
CREATE FUNCTION evil.upper(text) RETURNS text LANGUAGE sql AS $$SELECT 'HIJACKED'$$;
CREATE FUNCTION evil.length(text) RETURNS int LANGUAGE sql AS 'SELECT 0';
CREATE FUNCTION evil.btrim(text) RETURNS text LANGUAGE sql AS $$SELECT 'hijacked'$$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$SELECT '1999-01-01'::timestamptz$$;
CREATE FUNCTION evil.jsonb_typeof(jsonb) RETURNS text LANGUAGE sql AS $$SELECT 'string'$$;
CREATE FUNCTION evil.sum_f(bigint, bigint) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';
CREATE AGGREGATE evil.count(*) (SFUNC = int8inc, STYPE = bigint, INITCOND = '41');
GRANT USAGE ON SCHEMA evil TO PUBLIC;
};

my @ids = map {
    my $i = $_;
    my $email = 'Person.' . ($i % 7) . '@Example.org';
    my $uid = 'u' . ($i % 5);
    "SELECT cdp.upsert_record('src" . ($i % 3) . "', 'k$i', '{\"email\": \"$email\", \"user_id\": \"$uid\"}', "
      . "'{\"first_name\": \"Ann$i\", \"city\": \"Roma\"}')"
} 1 .. 12;
my $workload = join(";\n", @ids, q{
SELECT cdp.upsert_record('solo', 's1', '{"email": "alone@example.org"}')},
  q{SELECT cdp.ingest('{"type":"track","userId":"u1","event":"Order Completed","messageId":"sp1","properties":{"revenue":25},"timestamp":"2026-01-02T00:00:00Z"}', 'web')},
  q{SELECT cdp.ingest('{"type":"identify","userId":"u9","messageId":"sp2","traits":{"email":"Nine@Example.org"},"timestamp":"2026-01-03T00:00:00Z"}', 'web')},
  q{SELECT cdp.ingest('{"type":"track","messageId":"sp3"}', 'web')},
  q{SELECT cdp.set_consent(cdp.customer_id('email', 'person.1@example.org'), 'email_marketing', true, 'form')},
  q{SELECT cdp.delete_record('src0', 'k3')},
  q{SELECT cdp.resolve_identities() IS NOT NULL},
  q{SELECT cdp.normalize_email(' Some.Body+tag@GMail.com ')},
  q{SELECT cdp.normalize_phone('06 1234 5678', 'IT')},
  q{SELECT cdp.name_similarity('Bill Smith', 'William Smith')},
  q{SELECT cdp.customer_profile(cdp.customer_id('user_id', 'u1')) ->> 'traits'},
  q{SELECT cdp.has_consent(cdp.customer_id('email', 'person.1@example.org'), 'email_marketing')}) . ";\n";

# What the extension holds, read with a normal search_path.
my $state_sql = q{
SELECT 'partition', string_agg(m, ' | ' ORDER BY m) FROM (
  SELECT string_agg(r.source || ':' || r.source_key, ',' ORDER BY r.source, r.source_key) AS m
    FROM cdp.records r GROUP BY r.customer_id) p
UNION ALL
SELECT 'identifiers', string_agg(i.id_type || '=' || i.id_value, ',' ORDER BY i.id_type, i.id_value)
  FROM cdp.identifiers i
UNION ALL
SELECT 'traits', string_agg(x, ' | ' ORDER BY x) FROM (
  SELECT p.traits::text AS x FROM cdp.profiles p) t
UNION ALL
SELECT 'computed', string_agg(x, ' | ' ORDER BY x) FROM (
  SELECT (p.computed - 'rfm_recency_days')::text AS x FROM cdp.profiles p) t
UNION ALL
SELECT 'consents', string_agg(c.purpose || '=' || c.granted, ',' ORDER BY c.purpose) FROM cdp.consents c
UNION ALL
SELECT 'events', string_agg(e.event || '@' || e.occurred_at, ',' ORDER BY e.message_id) FROM cdp.events e
UNION ALL
SELECT 'rejected', count(*)::text FROM cdp.rejected_messages;
};

my %out;
for my $db (qw(plain hijacked)) {
    $node->safe_psql('postgres', "CREATE DATABASE $db");
    $node->safe_psql($db, 'CREATE EXTENSION cdp');
    $node->safe_psql($db, $evil);
    my $prelude = '';
    if ($db eq 'hijacked') {
        $prelude = "SET search_path = evil, pg_catalog, public;\n"
          . "CREATE TEMP TABLE records (record_id bigint, customer_id bigint, source text, source_key text);\n"
          . "CREATE TEMP TABLE identifiers (record_id bigint, id_type text, id_value text);\n"
          . "CREATE TEMP TABLE profiles (customer_id bigint, traits jsonb, computed jsonb);\n";
        # The hijack is live in that session.
        is($node->safe_psql($db, "SET search_path = evil, pg_catalog; SELECT lower('X') || 'y'"),
            'HIJACKED', 'the shadowing operators and functions are in effect');
    }
    $out{$db}{calls} = $node->safe_psql($db, $prelude . $workload);
    $out{$db}{state} = $node->safe_psql($db, $state_sql);
}
is($out{hijacked}{calls}, $out{plain}{calls}, 'every call returns the same under the hijacked search_path');
my %plain = map { split /\|/, $_, 2 } split /\n/, $out{plain}{state};
my %hij = map { split /\|/, $_, 2 } split /\n/, $out{hijacked}{state};
for my $k (sort keys %plain) {
    is($hij{$k}, $plain{$k}, "stored $k identical");
}
ok(length($plain{partition}) > 20 && $plain{partition} =~ /,/, 'the workload merged records (the comparison has content)');

done_testing();
