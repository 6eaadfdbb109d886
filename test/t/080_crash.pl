# Crash safety: SIGKILL of the backend in the middle of resolve_identities()
# and of a large ingest, and an immediate shutdown (pg_ctl -m immediate) in
# the middle of resolve_identities(). After crash recovery nothing committed
# is lost, nothing of the killed transaction is visible (the load is still
# unresolved, no event of the killed batch exists), no run of any kind is
# left 'running', the next run succeeds, and amcheck finds every cdp index
# consistent with its table.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(time usleep);

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;
my $db = 'postgres';
$node->safe_psql($db, 'CREATE EXTENSION cdp; CREATE EXTENSION amcheck');

my $n = $ENV{CDP_CRASH_RECORDS} // 40000;
$node->safe_psql($db, qq{
    SET cdp.defer_resolution = on;
    SELECT count(cdp.upsert_record('s' || (i % 3), 'k' || i,
                 jsonb_build_object('email', 'p' || (i % ($n / 2)) || '\@x.org', 'user_id', 'u' || (i % ($n / 2)))))
      FROM generate_series(1, $n) i});
my $unresolved = $node->safe_psql($db, 'SELECT count(*) FROM cdp.records WHERE customer_id IS NULL');
ok($unresolved > 0, "a deferred load of $n records leaves $unresolved unresolved");

# How long a resolve takes (rolled back).
my $t0 = time;
$node->safe_psql($db, 'BEGIN; SELECT cdp.resolve_identities() IS NOT NULL; ROLLBACK');
my $resolve_s = time - $t0;

# Starts `sql` in its own psql, waits until its backend runs it for
# `fraction` of `expected_s`, then kills it as `how` says.
sub kill_midway {
    my ($sql, $pattern, $expected_s, $fraction, $how) = @_;
    my ($out, $err) = ('', '');
    my $h = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr($db), '-c', $sql ],
        '>', \$out, '2>', \$err);
    my $pid;
    for (1 .. 200) {
        $pid = $node->safe_psql($db,
            "SELECT pid FROM pg_stat_activity WHERE query LIKE '$pattern' AND pid <> pg_backend_pid() LIMIT 1");
        last if $pid;
        usleep(20_000);
    }
    usleep(int($expected_s * $fraction * 1_000_000));
    if ($how eq 'sigkill') {
        kill 'KILL', $pid if $pid;
    } else {
        $node->stop('immediate');
        $node->start;
    }
    $h->finish;
    my $landed = $err =~ /server closed the connection|terminating connection|connection to server was lost/;
    # After a SIGKILL the postmaster reinitialises: wait until it accepts.
    $node->poll_query_until($db, 'SELECT true') or die 'server did not come back';
    return ($pid, $landed);
}


sub no_running_runs {
    my $what = shift;
    my $q = $node->safe_psql($db, q{
        SELECT string_agg(format('SELECT %L AS t, count(*) AS n FROM %s WHERE status = ''running''',
                                 c.oid::regclass, c.oid::regclass), ' UNION ALL ')
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'status'
         WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind = 'r'});
    my $left = $q ? $node->safe_psql($db, "SELECT coalesce(string_agg(t, ','), '') FROM ($q) x WHERE n > 0") : '';
    is($left, '', "$what: no run left 'running'");
}

sub indexes_consistent {
    my $what = shift;
    my $bad = $node->safe_psql($db, q{
        SELECT count(*) FROM (
          SELECT bt_index_check(i.indexrelid, true)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
           WHERE c.relnamespace = 'cdp'::regnamespace AND am.amname = 'btree') x});
    ok($bad >= 0, "$what: amcheck bt_index_check (heapallindexed) of every cdp btree index passes");
}

for my $case ([ 'sigkill', 0.3 ], [ 'sigkill', 0.7 ], [ 'immediate', 0.5 ]) {
    my ($how, $frac) = @$case;
    my $what = "resolve killed ($how at " . int($frac * 100) . '%)';
    # The statement is followed by a long sleep in the same transaction, so a
    # kill that comes after it finished still lands before the commit.
    my ($pid, $landed) = kill_midway('BEGIN; SELECT cdp.resolve_identities() IS NOT NULL; SELECT pg_sleep(60); COMMIT',
        '%resolve_identities%', $resolve_s, $frac, $how);
    ok($pid && $landed, "$what: the backend ($pid) was killed while the transaction ran");
    is($node->safe_psql($db, 'SELECT count(*) FROM cdp.records'), $n, "$what: every committed record is there");
    is($node->safe_psql($db, 'SELECT count(*) FROM cdp.records WHERE customer_id IS NULL'), $unresolved,
        "$what: nothing of the killed resolve is visible");
    no_running_runs($what);
    indexes_consistent($what);
}

# A large ingest (one statement, two calls of 10,000 messages) killed midway.
$node->safe_psql($db, q{
    CREATE TABLE big AS SELECT jsonb_build_object('batch', jsonb_agg(jsonb_build_object(
        'type', 'track', 'userId', 'u' || i, 'event', 'Page Viewed', 'messageId', 'big-' || i,
        'timestamp', '2026-01-01T00:00:00Z'))) AS body FROM generate_series(1, 20000) i GROUP BY i % 2});
my $events_before = $node->safe_psql($db, 'SELECT count(*) FROM cdp.events');
$t0 = time;
$node->safe_psql($db, q{BEGIN; SELECT cdp.ingest(body, 'web') IS NOT NULL FROM big; ROLLBACK});
my $ingest_s = time - $t0;
my ($pid, $landed) = kill_midway(q{BEGIN; SELECT cdp.ingest(body, 'web') IS NOT NULL FROM big; SELECT pg_sleep(60); COMMIT},
    '%cdp.ingest(body%', $ingest_s, 0.5, 'sigkill');
ok($pid && $landed, "ingest killed midway ($pid)");
is($node->safe_psql($db, 'SELECT count(*) FROM cdp.events'), $events_before,
    'ingest killed: no event of the killed batch is visible');
is($node->safe_psql($db, q{SELECT count(*) FROM cdp.rejected_messages WHERE payload ->> 'messageId' LIKE 'big-%'}), '0',
    'ingest killed: nothing of it among the rejected messages');
indexes_consistent('ingest killed');

# The next runs succeed and give the same answer as an undisturbed run.
is($node->safe_psql($db, q{SELECT sum((cdp.ingest(body, 'web') ->> 'accepted')::int) FROM big}), '20000',
    'the ingest succeeds after the crash');
is($node->safe_psql($db, 'SELECT cdp.resolve_identities() IS NOT NULL'), 't', 'resolve succeeds after the crashes');
is($node->safe_psql($db, 'SELECT count(*) FROM cdp.records WHERE customer_id IS NULL'), '0',
    'every record is resolved');
is($node->safe_psql($db, q{
    SELECT count(*) FROM (SELECT i.id_type, i.id_value FROM cdp.identifiers i
                            JOIN cdp.records r USING (record_id)
                           GROUP BY 1, 2 HAVING count(DISTINCT r.customer_id) > 1) x}), '0',
    'every identifier value is on exactly one customer');
my $partition = q{SELECT md5(string_agg(record_id || ':' || customer_id, ',' ORDER BY record_id)) FROM cdp.records};
my $p1 = $node->safe_psql($db, $partition);
$node->safe_psql($db, 'SELECT cdp.resolve_identities() IS NOT NULL');
is($node->safe_psql($db, $partition), $p1, 'a second resolve changes nothing');
indexes_consistent('after the recovery runs');
no_running_runs('after the recovery runs');

my $log = slurp_file($node->logfile);
like($log, qr/terminated by signal 9/, 'the server log shows the SIGKILLs (the test did crash backends)');

done_testing();
