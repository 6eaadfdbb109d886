# Upgrades: a database created at 0.1, filled with data, then ALTER
# EXTENSION cdp UPDATE, must be indistinguishable from a fresh install of
# the current version filled the same way:
#   - the extension's objects: pg_dump --schema-only (schema cdp, and the
#     --binary-upgrade form, which spells out every member object), the list
#     of members (pg_depend), pg_extension (version, config tables);
#   - every ACL: of every member, pg_init_privs, the schema, the cdp roles'
#     memberships and pg_parameter_acl for cdp.* (cluster-wide, hence two
#     clusters: one upgraded, one fresh);
#   - every comment of every member (pg_description, columns included);
#   - the data of every member table and sequence.
# Everything is found through the catalog, so an area that adds an object
# and forgets its upgrade delta (sql/upgrade/<A>--<B>/) fails here with no
# edit to this file.  An area that adds data paths adds calls to @before
# (what the oldest version can do) or @after (run on both after the
# upgrade), so its tables are compared with data in them.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $FROM = '0.1';

# Data written through the oldest release's API, before the upgrade.
my @before = (
    q{UPDATE cdp.identifier_types SET max_per_customer = 3, blocked_values = ARRAY['test@example.com'] WHERE id_type = 'email'},
    q{INSERT INTO cdp.identifier_types (id_type, priority, max_per_customer) VALUES ('loyalty_card', 7, 2)},
    q{INSERT INTO cdp.sources (source, priority) VALUES ('crm', 1)},
    q{SELECT cdp.upsert_record('web', 'v1', '{"anonymous_id": "a-1", "email": "Mario.Rossi@Example.it"}', '{"plan": "pro"}')},
    q{SELECT cdp.upsert_record('crm', 'c1', '{"email": "mario.rossi@example.it", "phone": "+39 347 123 4567", "loyalty_card": "L-9"}')},
    q{SELECT cdp.upsert_record('shop', 's1', '{"phone": "347 1234567"}')},
    q{SELECT cdp.upsert_record('web', 'v2', '{"anonymous_id": "a-2"}')},
    q{SELECT cdp.upsert_record('app', 'u2', '{"anonymous_id": "a-2", "email": "anna@example.it"}')},
    q{SELECT cdp.upsert_record('shop', 's2', '{"email": "anna@example.it", "phone": "+39 347 123 4567"}')},
    q{SELECT cdp.upsert_record('web', 'v3', '{"email": "test@example.com"}')},
    q{SELECT cdp.ingest('{"batch": [
        {"type": "identify", "messageId": "m0", "userId": "u-7", "anonymousId": "a-7", "traits": {"email": "luca@example.it"}, "timestamp": "2024-05-01T09:00:00Z"},
        {"type": "track", "messageId": "m1", "anonymousId": "a-1", "event": "Viewed", "properties": {"sku": "X1"}, "timestamp": "2024-05-01T10:00:00Z"},
        {"type": "alias", "messageId": "m2", "userId": "u-7", "previousId": "a-2", "timestamp": "2024-05-01T10:05:00Z"},
        {"type": "track", "messageId": "m3", "event": "No ids", "timestamp": "2024-05-01T10:06:00Z"}]}', 'web')},
    q{SELECT cdp.delete_record('shop', 's2')},
    q{SELECT cdp.block_identifier('phone', '+39 347 123 4567')},
    q{SET cdp.defer_resolution = on;
      SELECT count(cdp.upsert_record('bulk', 'b' || i, jsonb_build_object('email', 'p' || (i % 7) || '@example.org', 'external_id', 'x' || i)))
        FROM generate_series(1, 60) i;
      RESET cdp.defer_resolution;
      SELECT cdp.resolve_identities() - 'ms'},
    q{SET cdp.max_cluster_records = 4;
      SELECT count(cdp.upsert_record('cap', 'k' || i, '{"email": "cap@example.org"}')) FROM generate_series(1, 6) i},
);

# Run on both after the upgrade (the current API).
my @after = (
    q{SELECT cdp.upsert_record('web', 'v4', '{"anonymous_id": "a-1", "device_id": "d-4"}')},
    q{SELECT cdp.ingest('{"type": "page", "messageId": "m4", "userId": "u-7", "name": "Home", "timestamp": "2024-05-02T08:00:00Z"}', 'web')},
    q{SELECT cdp.ingest('{"type": "track", "userId": "u-7", "event": "Late", "timestamp": "2024-05-02T09:00:00Z"}', 'app')},
    q{SELECT cdp.resolve_identities() - 'ms'},
);

sub fill {
    my ($node, @steps) = @_;
    $node->safe_psql('postgres', $_) for @steps;
}

# --- the catalog, as comparable text -----------------------------------------
my $members = q{
    SELECT d.classid, d.objid FROM pg_depend d
     WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
       AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cdp')};
my %catalog_queries = (
    'extension members' => qq{
        SELECT pg_describe_object(m.classid, m.objid, 0) FROM ($members) m},
    'extension row' => q{
        SELECT extname || ' ' || extversion || ' ' || extrelocatable || ' ' || extnamespace::regnamespace || ' '
               || coalesce((SELECT string_agg(c::regclass::text || '=' || w, ', ' ORDER BY c::regclass::text)
                              FROM unnest(extconfig, extcondition) u(c, w)), '')
          FROM pg_extension WHERE extname = 'cdp'},
    'ACLs of members' => qq{
        SELECT pg_describe_object(m.classid, m.objid, 0) || ' ' || coalesce(a.acl, '(default)')
          FROM ($members) m
          LEFT JOIN LATERAL (
                SELECT proacl::text FROM pg_proc WHERE m.classid = 'pg_proc'::regclass AND oid = m.objid
          UNION SELECT relacl::text FROM pg_class WHERE m.classid = 'pg_class'::regclass AND oid = m.objid
          UNION SELECT typacl::text FROM pg_type WHERE m.classid = 'pg_type'::regclass AND oid = m.objid
          UNION SELECT nspacl::text FROM pg_namespace WHERE m.classid = 'pg_namespace'::regclass AND oid = m.objid
          UNION SELECT lanacl::text FROM pg_language WHERE m.classid = 'pg_language'::regclass AND oid = m.objid
          UNION SELECT fdwacl::text FROM pg_foreign_data_wrapper WHERE m.classid = 'pg_foreign_data_wrapper'::regclass AND oid = m.objid
          UNION SELECT srvacl::text FROM pg_foreign_server WHERE m.classid = 'pg_foreign_server'::regclass AND oid = m.objid
          ) a(acl) ON true
        UNION ALL
        SELECT pg_describe_object('pg_class'::regclass, a.attrelid, a.attnum) || ' ' || a.attacl::text
          FROM pg_attribute a JOIN ($members) m ON m.classid = 'pg_class'::regclass AND m.objid = a.attrelid
         WHERE a.attacl IS NOT NULL},
    'pg_init_privs' => qq{
        SELECT pg_describe_object(i.classoid, i.objoid, i.objsubid) || ' ' || i.privtype::text || ' ' || i.initprivs::text
          FROM pg_init_privs i
         WHERE (i.classoid, i.objoid) IN (SELECT classid, objid FROM ($members) m)
            OR (i.classoid = 'pg_namespace'::regclass AND i.objoid = 'cdp'::regnamespace)},
    'schema cdp' => q{
        SELECT nspname || ' ' || nspowner::regrole || ' ' || coalesce(nspacl::text, '(default)')
               || ' ' || coalesce(obj_description(oid, 'pg_namespace'), '(no comment)')
          FROM pg_namespace WHERE nspname = 'cdp'},
    'pg_parameter_acl cdp.*' => q{
        SELECT parname || ' ' || paracl::text FROM pg_parameter_acl WHERE parname LIKE 'cdp.%'},
    'cdp role memberships' => q{
        SELECT r.rolname || ' in ' || g.rolname || ' admin=' || m.admin_option
          FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid
         WHERE r.rolname LIKE 'cdp\_%' OR g.rolname LIKE 'cdp\_%'},
    'cdp roles' => q{
        SELECT rolname || ' login=' || rolcanlogin || ' super=' || rolsuper || ' inherit=' || rolinherit
          FROM pg_roles WHERE rolname LIKE 'cdp\_%'},
    'comments of members' => qq{
        SELECT pg_describe_object(d.classoid, d.objoid, d.objsubid) || ' ' || d.description
          FROM pg_description d JOIN ($members) m ON m.classid = d.classoid AND m.objid = d.objoid},
);

# one line per row, sorted bytewise
sub catalog {
    my ($node) = @_;
    my %c;
    for my $k (sort keys %catalog_queries) {
        $c{$k} = $node->safe_psql('postgres',
            "SELECT coalesce(string_agg(x, E'\\n' ORDER BY x COLLATE \"C\"), '') FROM ($catalog_queries{$k}) q(x)");
    }
    return \%c;
}

# --- the data of every member table and sequence -----------------------------
# Columns whose default is the clock (created_at, at, received_at, ...)
# are compared as "set or not": the two installs run at different times.
sub data {
    my ($node) = @_;
    my %d;
    my @tables = split /\n/, $node->safe_psql('postgres', qq{
        SELECT c.oid::regclass::text FROM pg_class c JOIN ($members) m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
         WHERE c.relkind IN ('r', 'p') ORDER BY 1});
    for my $t (@tables) {
        # Trait history starts when profiles exist: a database created before
        # 0.2 has none for what happened earlier (docs/profile.md), so the
        # history of the two databases differs by design.
        next if $t eq 'cdp.profile_changes';
        my $cols = $node->safe_psql('postgres', qq{
            SELECT string_agg(CASE WHEN '$t' = 'cdp.suppression_salt' AND a.attname = 'salt'
                                   THEN 'length(salt) AS salt'   -- a random secret per database
                                   WHEN pg_get_expr(d.adbin, d.adrelid) ~* '(now|clock_timestamp|statement_timestamp|transaction_timestamp)\\(|current_timestamp'
                                   THEN format('(%I IS NOT NULL) AS %I', a.attname, a.attname)
                                   ELSE format('%I', a.attname) END, ', ' ORDER BY a.attnum)
              FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = '$t'::regclass AND a.attnum > 0 AND NOT a.attisdropped});
        $d{"table $t"} = $node->safe_psql('postgres',
            "SELECT coalesce(string_agg(r::text, E'\\n' ORDER BY r::text COLLATE \"C\"), '') FROM (SELECT $cols FROM $t) r");
    }
    my @seqs = split /\n/, $node->safe_psql('postgres', qq{
        SELECT c.oid::regclass::text FROM pg_class c JOIN ($members) m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
         WHERE c.relkind = 'S' ORDER BY 1});
    for my $s (@seqs) {
        next if $s eq 'cdp.profile_changes_change_id_seq';
        $d{"sequence $s"} = $node->safe_psql('postgres', "SELECT last_value || ' ' || is_called FROM $s");
    }
    return \%d;
}

# pg_dump of the schema, plain and --binary-upgrade (which prints every
# member object); OIDs, relfilenodes and xids are install-specific.
sub dumps {
    my ($node) = @_;
    my %out;
    for my $mode ([ 'schema cdp', '-n', 'cdp' ], [ 'binary-upgrade', '--binary-upgrade' ]) {
        my ($name, @opts) = @$mode;
        my ($stdout, $stderr) = run_command([ 'pg_dump', '--schema-only', @opts, '-d', $node->connstr('postgres') ]);
        $stdout =~ s/^\\(un)?restrict .*$//mg;
        $stdout =~ s/^SELECT pg_catalog\.binary_upgrade_set_next_\w+\(.*\);$//mg;
        $stdout =~ s/^SELECT pg_catalog\.setval\('cdp\.profile_changes_change_id_seq'.*$//mg;
        $stdout =~ s/'\{[0-9,]*\}'/'{oids}'/g if $name eq 'binary-upgrade';
        $stdout =~ s/(relfrozenxid|relminmxid) = '\d+'/$1 = 'x'/g;
        $stdout =~ s/WHERE oid = '\d+'/WHERE oid = 'x'/g;
        $out{"pg_dump $name"} = $stdout;
    }
    return \%out;
}

sub snapshot {
    my ($node) = @_;
    return { %{ catalog($node) }, %{ data($node) }, %{ dumps($node) } };
}

# --- the two clusters --------------------------------------------------------
my $up = PostgreSQL::Test::Cluster->new('upgraded');
$up->init;
$up->start;
my $fresh = PostgreSQL::Test::Cluster->new('fresh');
$fresh->init;
$fresh->start;

my $current = $fresh->safe_psql('postgres',
    "SELECT default_version FROM pg_available_extensions WHERE name = 'cdp'");
isnt($current, $FROM, "the current version ($current) is newer than $FROM");
is($up->safe_psql('postgres', qq{
    SELECT count(*) FROM pg_available_extension_versions WHERE name = 'cdp' AND version IN ('$FROM', '$current')}),
    '2', "make install installed the frozen $FROM script next to $current");
is($up->safe_psql('postgres', qq{
    SELECT path FROM pg_extension_update_paths('cdp') WHERE source = '$FROM' AND target = '$current'}),
    "$FROM--$current", "an update path $FROM -> $current exists");

$up->safe_psql('postgres', "CREATE EXTENSION cdp VERSION '$FROM'");
is($up->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'cdp'"), $FROM, "installed $FROM");
fill($up, @before);
$up->safe_psql('postgres', 'ALTER EXTENSION cdp UPDATE');
is($up->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'cdp'"), $current,
    "ALTER EXTENSION cdp UPDATE reaches $current");
fill($up, @after);

$fresh->safe_psql('postgres', 'CREATE EXTENSION cdp');
fill($fresh, @before, @after);

# is() on two long texts, with the differing lines as the diagnostic.
sub same_text {
    my ($got, $want, $name) = @_;
    return pass($name) if $got eq $want;
    my %g = map { $_ => 1 } split /\n/, $got;
    my %w = map { $_ => 1 } split /\n/, $want;
    my @only_up = grep { !$w{$_} } split /\n/, $got;
    my @only_fresh = grep { !$g{$_} } split /\n/, $want;
    fail($name);
    diag("only after the upgrade: $_") for @only_up[0 .. ($#only_up < 19 ? $#only_up : 19)];
    diag("only in a fresh install: $_") for @only_fresh[0 .. ($#only_fresh < 19 ? $#only_fresh : 19)];
    diag('(same lines, different order or repetition)') if !@only_up && !@only_fresh;
    return 0;
}

my $a = snapshot($up);
my $b = snapshot($fresh);
is_deeply([ sort keys %$a ], [ sort keys %$b ], 'the same tables, sequences and catalog views on both');
for my $k (sort keys %$b) {
    same_text($a->{$k}, $b->{$k}, "upgraded = fresh: $k");
}

# The data is really there (the comparison is not between two empty sets).
for my $t (qw(records identifiers customers customer_aliases merge_log events rejected_messages)) {
    cmp_ok(scalar(split /\n/, $b->{"table cdp.$t"} // ''), '>', 0, "cdp.$t has rows to compare");
}
like($b->{'pg_parameter_acl cdp.*'}, qr/cdp\.max_cluster_records .*cdp_admin=s/,
    'pg_parameter_acl holds the settings grants');
like($b->{'pg_dump binary-upgrade'}, qr/CREATE FUNCTION cdp\.upsert_record/,
    'the binary-upgrade dump spells out member objects');

# The comparison sees what a forgotten delta would leave behind: a comment,
# a grant, a settings grant and a function only the fresh install has.
$fresh->safe_psql('postgres', q{
    COMMENT ON FUNCTION cdp.version() IS 'changed';
    GRANT EXECUTE ON FUNCTION cdp.resolve_identities() TO cdp_writer;
    GRANT SET ON PARAMETER cdp.default_region TO cdp_admin;
    CREATE FUNCTION cdp.only_fresh() RETURNS int LANGUAGE sql AS 'SELECT 1';
    ALTER EXTENSION cdp ADD FUNCTION cdp.only_fresh();});
my $c = catalog($fresh);
for my $k ('comments of members', 'ACLs of members', 'pg_parameter_acl cdp.*', 'extension members') {
    isnt($c->{$k}, $a->{$k}, "a difference in '$k' is detected");
}

# Nothing of the upgraded extension is usable by PUBLIC.
is($up->safe_psql('postgres', qq{
    SELECT count(*) FROM ($members) m
      JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid,
           aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
     WHERE x.grantee = 0}), '0', 'no function of the upgraded extension is executable by PUBLIC');

$up->stop;
$fresh->stop;
done_testing();
