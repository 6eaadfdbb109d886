# Streaming activation changes: a logical slot with wal2json on publication
# cdp_activation sees the changes a (simulated) segment refresh appends to
# cdp.destination_log, in the refresh's transaction, and nothing of other
# tables; a consumer's ack shows as deletes.  Also checks that the
# extension works at wal_level = logical (the publication is created at
# CREATE EXTENSION whatever the level).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('stream');
$node->init(allows_streaming => 'logical');
$node->start;

my $have_wal2json = -e $node->config_data('--pkglibdir') . '/wal2json.so';
plan skip_all => 'wal2json is not installed (Debian package postgresql-15-wal2json)' unless $have_wal2json;

# Servers that restrict output plugins by a setting must allow wal2json.
if ($node->safe_psql('postgres', q{SELECT count(*) FROM pg_settings WHERE name = 'output_plugin_libraries'})) {
    $node->safe_psql('postgres', q{ALTER SYSTEM SET output_plugin_libraries = 'wal2json'});
    $node->reload;
}
$node->safe_psql('postgres', 'CREATE EXTENSION cdp');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_publication WHERE pubname = 'cdp_activation'}), '0',
   'CREATE EXTENSION makes no publication (a restore of a dump would trip over it)');

$node->safe_psql('postgres', q{
    INSERT INTO cdp.consent_purposes (purpose) VALUES ('email_marketing');
    INSERT INTO cdp.segments (name, definition) VALUES ('vip', '{}');
    SELECT cdp.upsert_record('crm', 'c' || i, jsonb_build_object('email', 'p' || i || '@example.org'),
                             jsonb_build_object('first_name', 'P' || i)) FROM generate_series(1, 6) i;
    SELECT cdp.set_consent(cdp.customer_id('email', 'p' || i || '@example.org'), 'email_marketing', i % 3 <> 0)
      FROM generate_series(1, 6) i;
    SELECT cdp.create_destination('esp', '{"segment":"vip","purpose":"email_marketing","fields":["email"]}');
});
is($node->safe_psql('postgres',
    q{SELECT string_agg(schemaname || '.' || tablename, ',') FROM pg_publication_tables WHERE pubname = 'cdp_activation'}),
   'cdp.destination_log', 'publication cdp_activation holds the change table');
# The slot is created after the set-up: it sees the refresh only.
$node->safe_psql('postgres',
    q{SELECT 'init' FROM pg_create_logical_replication_slot('cdp_stream', 'wal2json')});

# A refresh: six customers enter, in one transaction.
$node->safe_psql('postgres', q{
    BEGIN;
    INSERT INTO cdp.segment_runs (segment_id, mode, status) SELECT segment_id, 'full', 'succeeded' FROM cdp.segments;
    INSERT INTO cdp.segment_members (segment_id, customer_id)
        SELECT s.segment_id, p.customer_id FROM cdp.segments s, cdp.profiles p;
    INSERT INTO cdp.segment_membership_log (segment_id, customer_id, change, run_id)
        SELECT s.segment_id, p.customer_id, 'enter', 1 FROM cdp.segments s, cdp.profiles p ORDER BY p.customer_id;
    COMMIT;
});

# pg_recvlogical reads the slot up to the current WAL position.
my $end = $node->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
my $out = $node->basedir . '/stream.json';
my $bindir = $node->config_data('--bindir');
my $rc = system("$bindir/pg_recvlogical", '-d', $node->connstr('postgres'), '-S', 'cdp_stream', '--start',
                '--endpos', $end, '-o', 'add-tables=cdp.destination_log', '-o', 'format-version=2',
                '-f', $out, '--no-loop');
is($rc, 0, 'pg_recvlogical ran to the end position');
my @lines = grep { /"action":"I"/ } split /\n/, slurp_file($out);
is(scalar(@lines), 4, 'four inserts streamed: the consenting members entered');
ok(!grep({ !/"table":"destination_log"/ } @lines), 'only the change table is streamed');
is(scalar(grep { /"name":"change","type":"text","value":"enter"/ } @lines), 4, 'each is an enter');
ok(scalar(grep { /\@example\.org/ } @lines) == 4, 'each carries the listed field (email) in its payload');
my @txn = grep { /"action":"B"/ } split /\n/, slurp_file($out);
is(scalar(@txn), 1, 'all in the refresh transaction');

# A withdrawal and an ack stream too (exit insert, deletes of acked rows).
$node->safe_psql('postgres', q{
    SELECT cdp.set_consent(cdp.customer_id('email', 'p1@example.org'), 'email_marketing', false);
    SELECT cdp.ack_destination('esp', (SELECT max(seq) FROM cdp.destination_changes('esp')));
});
$end = $node->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
$rc = system("$bindir/pg_recvlogical", '-d', $node->connstr('postgres'), '-S', 'cdp_stream', '--start',
             '--endpos', $end, '-o', 'add-tables=cdp.destination_log', '-o', 'format-version=2',
             '-f', $out . '2', '--no-loop');
my $second = slurp_file($out . '2');
is(scalar(grep { /"action":"I"/ && /"value":"exit"/ } split /\n/, $second), 1, 'the withdrawal streams as an exit');
is(scalar(grep { /"action":"D"/ } split /\n/, $second), 5, 'the ack streams as deletes of the acked changes');

$node->safe_psql('postgres', q{SELECT pg_drop_replication_slot('cdp_stream')});
$node->stop;
done_testing();
