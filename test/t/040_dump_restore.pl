# User data and configuration of the identity graph survive pg_dump /
# pg_restore (pg_extension_config_dump): records, identifiers, customers,
# aliases, merge_log, events, rejected messages, sources, a DBA's changes to
# identifier_types (seeded rows changed, a type added, blocked values) and
# the sequences, which continue after the restore instead of colliding.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump_restore');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
CREATE EXTENSION cdp;
UPDATE cdp.identifier_types SET max_per_customer = 3, blocked_values = ARRAY['test@example.com'] WHERE id_type = 'email';
INSERT INTO cdp.identifier_types (id_type, priority, max_per_customer) VALUES ('loyalty_card', 7, 2);
INSERT INTO cdp.sources (source, priority) VALUES ('crm', 1);
SELECT cdp.upsert_record('web', 'v1', '{"anonymous_id": "a-1", "email": "Mario.Rossi@Example.it"}', '{"plan": "pro"}');
SELECT cdp.upsert_record('crm', 'c1', '{"email": "mario.rossi@example.it", "phone": "+39 347 123 4567", "loyalty_card": "L-9"}');
SELECT cdp.upsert_record('shop', 's1', '{"phone": "347 1234567"}');
SELECT cdp.upsert_record('web', 'v2', '{"anonymous_id": "a-2"}');
SELECT cdp.upsert_record('app', 'u2', '{"anonymous_id": "a-2", "email": "anna@example.it"}');
SELECT cdp.upsert_record('shop', 's2', '{"email": "anna@example.it", "phone": "+39 347 123 4567"}');
SELECT cdp.ingest('{"batch": [{"type": "track", "messageId": "m1", "anonymousId": "a-1", "event": "Viewed", "timestamp": "2024-05-01T10:00:00Z"},
                              {"type": "track", "messageId": "m2", "event": "No ids"}]}', 'web');
});

# every user table of the extension, row by row (text form, sorted)
my @tables = qw(identifier_types sources records identifiers customers customer_aliases merge_log events rejected_messages);
sub snapshot {
    my ($db) = @_;
    my %s;
    for my $t (@tables) {
        $s{$t} = $node->safe_psql($db, "SELECT coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '') FROM cdp.$t x");
    }
    return \%s;
}
my $before = snapshot('src');
cmp_ok(length($before->{merge_log}), '>', 0, 'merge_log has rows before the dump');
cmp_ok(length($before->{customer_aliases}), '>', 0, 'a merge of two customers left an alias');
cmp_ok(length($before->{rejected_messages}), '>', 0, 'a rejected message is kept');

my $dump = $node->basedir . '/src.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', $dump ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('dst'), $dump ], 'pg_restore');

my $after = snapshot('dst');
for my $t (@tables) {
    is($after->{$t}, $before->{$t}, "cdp.$t identical after restore");
}
is($node->safe_psql('dst', "SELECT count(*) FILTER (WHERE seeded) || '/' || count(*) FROM cdp.identifier_types"), '5/7',
    'five untouched seeded types, the changed one (email) and the added one, each once');

# sequences continue: new rows get fresh ids, resolution works on restored data
my $max = $node->safe_psql('dst', 'SELECT max(record_id) FROM cdp.records');
my $cust = $node->safe_psql('dst', q{SELECT cdp.customer_id('email', 'MARIO.ROSSI@example.it')});
is($node->safe_psql('dst', q{SELECT cdp.upsert_record('pos', 't1', '{"loyalty_card": "L-9"}')}), $cust,
    'a new record joins the restored customer through a restored identifier of an added type');
cmp_ok($node->safe_psql('dst', "SELECT record_id FROM cdp.records WHERE source = 'pos'"), '>', $max,
    'record ids continue after the restore');
my $custmax = $node->safe_psql('dst', 'SELECT max(customer_id) FROM cdp.customers');
my $fresh = $node->safe_psql('dst', q{SELECT cdp.upsert_record('pos', 't2', '{"email": "new@example.it"}')});
cmp_ok($fresh, '>', $custmax, 'customer ids continue after the restore');
is($node->safe_psql('dst', q{SELECT cdp.upsert_record('pos', 't3', '{"email": "test@example.com"}') <> }
        . q{cdp.upsert_record('pos', 't4', '{"email": "test@example.com"}')}), 't',
    'the blocked value is still blocked');
is($node->safe_psql('dst', q{SELECT count(*) FROM cdp.events}), '1', 'events restored once');
is($node->safe_psql('dst', q{SELECT (cdp.ingest('{"type": "track", "messageId": "m1", "anonymousId": "a-1", "event": "Viewed"}', 'web')) ->> 'duplicates'}),
    '1', 'messageId idempotency holds across the restore');
is($node->safe_psql('dst', q{SELECT cdp.resolve_identities() ->> 'records_changed'}), '0',
    'batch resolution of the restored graph changes nothing');

$node->stop;
done_testing();
