# Segments on a live cluster with pg_cron preloaded:
#  * schedule_segment_refresh refuses clearly (0A000) while pg_cron is not
#    installed in the database;
#  * a scheduled refresh really runs (minute granularity: waits up to ~75 s),
#    leaves its run row, and a LISTENing session receives the NOTIFY with the
#    JSON payload of DESIGN; unschedule removes the job;
#  * two refreshes of one segment never interleave (the second waits: it
#    times out on the lock while the first is open), and ingest is not
#    blocked by an open refresh;
#  * a refresh that fails (lock timeout) or is cancelled (statement timeout)
#    inside leaves the previous membership intact and a failed run row.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use IPC::Run;
use Test::More;
use Time::HiRes qw(time sleep);

my $node = PostgreSQL::Test::Cluster->new('segcron');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION cdp');
$node->safe_psql('postgres', q{
    SELECT count(cdp.upsert_record('crm', 'c' || i, jsonb_build_object('user_id', 'u' || i),
                                   jsonb_build_object('city', CASE WHEN i % 2 = 0 THEN 'Milan' ELSE 'Rome' END)))
      FROM generate_series(1, 20) i;
    SELECT cdp.create_segment('milan', '{"trait":"city","op":"eq","value":"Milan"}');
});

my ($rc, $out, $err) = $node->psql('postgres', q{SELECT cdp.schedule_segment_refresh('milan', '* * * * *')});
isnt($rc, 0, 'scheduling without pg_cron fails');
like($err, qr/pg_cron is not installed in this database/, 'with a clear message');
($rc, $out, $err) = $node->psql('postgres',
    q{DO $$ BEGIN PERFORM cdp.schedule_segment_refresh('milan', '* * * * *'); EXCEPTION WHEN feature_not_supported THEN RAISE NOTICE 'errcode 0A000'; END $$});
like($err, qr/errcode 0A000/, 'errcode feature_not_supported');

$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron');

# A listener in its own session.
my ($lin, $lout, $lerr) = ("LISTEN cdp_segment_changes;\n", '', '');
my $listener = IPC::Run::start(
    [ 'psql', '-X', '-q', '-d', $node->connstr('postgres') ],
    '<', \$lin, '>', \$lout, '2>', \$lerr);
$listener->pump while length $lin;

my $job = $node->safe_psql('postgres', q{SELECT cdp.schedule_segment_refresh('milan', '* * * * *')});
like($job, qr/^\d+$/, "scheduled as pg_cron job $job");
is($node->safe_psql('postgres', q{SELECT command FROM cron.job WHERE jobname = 'cdp_segment:milan'}),
   q{CALL cdp.refresh_segment('milan')}, 'the job calls refresh_segment');

my $deadline = time + 80;
my $runs = 0;
while (time < $deadline) {
    $runs = $node->safe_psql('postgres', q{SELECT count(*) FROM cdp.segment_runs WHERE status = 'succeeded'});
    last if $runs > 0;
    sleep 1;
}
ok($runs > 0, 'the scheduled refresh ran and left a succeeded run row');
is($node->safe_psql('postgres', q{SELECT member_count FROM cdp.segments WHERE name = 'milan'}), '10', 'with the members');

# The listener sees the notification once it runs a command.
my $seen = 0;
for (1 .. 20) {
    $lin .= "SELECT 1;\n";
    $listener->pump while length $lin;
    $listener->pump_nb;
    if ($lout =~ /cdp_segment_changes" with payload "(\{.*?\})"/) { $seen = $1; last; }
    sleep 0.5;
}
ok($seen, 'the listener received NOTIFY cdp_segment_changes');
like($seen, qr/"segment" : "milan", "run_id" : \d+, "entered" : 10, "exited" : 0/, "payload $seen");

ok($node->safe_psql('postgres', q{SELECT cdp.unschedule_segment_refresh('milan')}) eq 't', 'unscheduled');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job WHERE jobname LIKE 'cdp_segment:%'}), '0', 'no job left');
is($node->safe_psql('postgres', q{SELECT cdp.unschedule_segment_refresh('milan')}), 'f', 'a second unschedule finds nothing');
$lin .= "\\q\n";
$listener->finish;

# A session holding an open refresh of 'milan' (its transaction stays open).
my ($hin, $hout, $herr) = ('', '', '');
my $holder = IPC::Run::start([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres') ],
    '<', \$hin, '>', \$hout, '2>', \$herr);
$hin .= "BEGIN;\nCALL cdp.refresh_segment('milan', 'full');\nSELECT 'holding';\n";
$holder->pump until $hout =~ /holding/;

($rc, $out, $err) = $node->psql('postgres', q{SET lock_timeout = '300ms'; CALL cdp.refresh_segment('milan', 'full')});
like($err, qr/lock timeout/, 'a second refresh of the same segment waits for the first');
is($node->safe_psql('postgres', q{SET lock_timeout = '2s';
    SELECT (cdp.ingest('{"type":"track","userId":"u2","event":"Order Completed","messageId":"x1"}') ->> 'accepted')}),
   '1', 'ingest is not blocked by an open refresh');
$hin .= "COMMIT;\n\\q\n";
$holder->finish;

# Failures inside the refresh: the previous membership stays, a failed run row.
$node->safe_psql('postgres', q{
    SELECT cdp.upsert_record('crm', 'c1', '{"user_id":"u1"}', '{"city":"Milan"}')});
my $before = $node->safe_psql('postgres', q{SELECT string_agg(customer_id::text, ',' ORDER BY customer_id) FROM cdp.segment_members});
for my $case (['lock_timeout', 'lock timeout'], ['statement_timeout', 'statement timeout']) {
    my ($setting, $why) = @$case;
    my ($lin2, $lout2, $lerr2) = ("BEGIN;\nLOCK TABLE cdp.segment_membership_log;\nSELECT 'locked';\n", '', '');
    my $locker = IPC::Run::start([ 'psql', '-X', '-q', '-d', $node->connstr('postgres') ],
        '<', \$lin2, '>', \$lout2, '2>', \$lerr2);
    $locker->pump until $lout2 =~ /locked/;
    ($rc, $out, $err) = $node->psql('postgres', "SET $setting = '500ms'; CALL cdp.refresh_segment('milan', 'full')");
    is($rc, 0, "$setting inside the refresh: the CALL ends normally");
    like($err, qr/WARNING:.*refresh of segment "milan" failed.*$why/, "with a WARNING naming the $why");
    $lin2 .= "ROLLBACK;\n\\q\n";
    $locker->finish;
    is($node->safe_psql('postgres', q{SELECT status || ' ' || (error LIKE '%' || 'timeout%') FROM cdp.segment_runs ORDER BY run_id DESC LIMIT 1}),
       'failed true', "$setting: a failed run row with the error");
    is($node->safe_psql('postgres', q{SELECT string_agg(customer_id::text, ',' ORDER BY customer_id) FROM cdp.segment_members}),
       $before, "$setting: the previous membership is intact");
}
$node->safe_psql('postgres', q{CALL cdp.refresh_segment('milan')});
is($node->safe_psql('postgres', q{SELECT member_count FROM cdp.segments WHERE name = 'milan'}), '11',
   'the next refresh succeeds');

$node->stop;
done_testing();
