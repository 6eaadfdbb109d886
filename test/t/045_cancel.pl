# Cancellation at many points of every long operation: each operation is
# timed once (rolled back), then run again under statement timeouts spread
# over its whole run.  Each attempt must end in a clean 57014 (or succeed,
# when the timeout is past the end), the backend and the postmaster must
# live on (no crash-restart in the server log), and a final uncancelled run
# must succeed.
#
# Operations:
#   resolve, UPDATE path       cdp.resolve_identities() after a deferred load
#                              (records rewritten by UPDATE, customers and
#                              merge_log by the bulk inserter)
#   resolve, rewrite path      the same with cdp.bulk_rewrite_min_records = 1
#                              (one-pass rewrite of cdp.records)
#   resolve, SQL path          the same with DBA CHECK constraints on
#                              customers and merge_log (SQL fallback)
#   ingest                     one cdp.ingest() batch of thousands of messages
#   name index build (GIN)     CREATE INDEX ... USING gin (name cdp.gin_name_ops)
#   name index build (GiST)    CREATE INDEX ... USING gist (name cdp.gist_name_ops)
#   profile rebuild            cdp.rebuild_profiles()
#   predictions                cdp.refresh_recommendations(), cdp.refresh_send_times()
#
# Regression test for a SIGSEGV: an error caught inside the write-back was
# saved in SPI's memory, which ~Spi freed while C++ unwound, before the
# error was re-thrown.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('cancel');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION cdp');

my $n = $ENV{CDP_CANCEL_RECORDS} // 60000;
$node->safe_psql('postgres', qq{
    SET cdp.defer_resolution = on;
    SELECT count(cdp.upsert_record('s' || (i % 3), 'k' || i,
                 jsonb_build_object('email', 'p' || (i % ($n / 4)) || '\@x.org', 'user_id', 'u' || (i % ($n / 2)))))
      FROM generate_series(1, $n) i});

# A table of names for the index builds.
$node->safe_psql('postgres', qq{
    CREATE TABLE names AS
      SELECT i AS id, (ARRAY['Anna','Marco','Giulia','Luca','Sofia','Matteo','Chiara','Paolo'])[1 + i % 8]
             || ' ' || (ARRAY['Rossi','Bianchi','Ferrari','Esposito','Romano','Colombo','Ricci','Marino'])[1 + (i / 8) % 8]
             || ' ' || md5(i::text)::varchar(6) AS name
        FROM generate_series(1, $n * 2) i});

# The ingest batch: identify and track messages, half of them for people
# already known.
my $batch = $node->safe_psql('postgres', qq{
    SELECT jsonb_build_object('batch', jsonb_agg(
             CASE WHEN i % 2 = 0
                  THEN jsonb_build_object('type', 'identify', 'messageId', 'c-' || i, 'userId', 'u' || i,
                         'traits', jsonb_build_object('email', 'p' || (i % 5000) || '\@x.org', 'name', 'N ' || i))
                  ELSE jsonb_build_object('type', 'track', 'messageId', 'c-' || i, 'userId', 'u' || (i - 1),
                         'event', 'Order Completed', 'properties', jsonb_build_object('revenue', i % 97,
                           'products', jsonb_build_array(
                              jsonb_build_object('product_id', 'p' || (i % 300), 'price', 10, 'quantity', 1),
                              jsonb_build_object('product_id', 'p' || (i * 7 % 300), 'price', 5, 'quantity', 2))))
             END))
      FROM generate_series(1, 10000) i});
$node->safe_psql('postgres', "CREATE TABLE batch AS SELECT \$j\$$batch\$j\$::jsonb AS b");

my $resolve = 'SELECT cdp.resolve_identities() IS NOT NULL';
my $steps = $ENV{CDP_CANCEL_STEPS} // 8;

sub sweep {
    my ($name, $setup, $stmt) = @_;
    # Dead tuples left by earlier rolled-back attempts would make the first
    # timing run slower than the attempts.
    $node->safe_psql('postgres', 'VACUUM');

    # How long a whole run takes (rolled back, so every attempt below
    # starts from the same state).
    # The faster of two runs: the first also warms the caches.
    my $full_ms;
    for (1 .. 2) {
        my $t0 = time;
        $node->safe_psql('postgres', "BEGIN; $setup $stmt; ROLLBACK");
        my $ms = int((time - $t0) * 1000);
        $full_ms = $ms if !defined $full_ms || $ms < $full_ms;
    }
    ok($full_ms > 0, "$name: a full run takes $full_ms ms");

    my ($cancelled, $finished) = (0, 0);
    for my $step (1 .. $steps) {
        my $timeout = int($full_ms * $step / $steps) + 1;
        my ($rc, $out, $err) = $node->psql('postgres',
            "BEGIN; $setup SET LOCAL statement_timeout = '${timeout}ms'; $stmt; ROLLBACK",
            on_error_stop => 1);
        if ($rc == 0) {
            $finished++;
        } else {
            like($err, qr/canceling statement due to statement timeout/, "$name, timeout ${timeout} ms: a clean cancel")
              or diag($err);
            $cancelled++;
        }
        is($node->safe_psql('postgres', 'SELECT 1'), '1', "$name, timeout ${timeout} ms: the server answers");
    }
    ok($cancelled >= 2, "$name: at least 2 of $steps attempts were cancelled mid-run ($cancelled; $finished finished)");
}

sweep('ingest', '', "SELECT cdp.ingest(b, 'cancel') IS NOT NULL FROM batch");
sweep('name index build (GIN)', '', 'CREATE INDEX ON names USING gin (name cdp.gin_name_ops)');
sweep('name index build (GiST)', '', 'CREATE INDEX ON names USING gist (name cdp.gist_name_ops)');
sweep('resolve, UPDATE path', '', $resolve);
sweep('resolve, rewrite path', 'SET LOCAL cdp.bulk_rewrite_min_records = 1;', $resolve);
sweep('resolve, SQL path',
      'ALTER TABLE cdp.customers ADD CONSTRAINT dba_c CHECK (customer_id > 0);'
        . ' ALTER TABLE cdp.merge_log ADD CONSTRAINT dba_m CHECK (rule IS NOT NULL);',
      $resolve);

is($node->safe_psql('postgres', "SELECT cdp.ingest(b, 'cancel') IS NOT NULL FROM batch"), 't',
    'an uncancelled ingest succeeds afterwards');
is($node->safe_psql('postgres', 'SELECT cdp.resolve_identities() IS NOT NULL'), 't',
    'an uncancelled resolve succeeds afterwards');
is($node->safe_psql('postgres', 'SELECT count(*) FROM cdp.records WHERE customer_id IS NULL'), '0',
    'every record is resolved');

# With every record resolved, the profile rebuild has work to do.
sweep('profile rebuild', '', 'CALL cdp.rebuild_profiles()');
sweep('recommendations refresh', '', 'CALL cdp.refresh_recommendations()');
sweep('send-time refresh', '', 'CALL cdp.refresh_send_times()');

is($node->safe_psql('postgres', q{
    CREATE INDEX names_gin ON names USING gin (name cdp.gin_name_ops);
    SET enable_seqscan = off;
    SELECT count(*) FROM names WHERE name OPERATOR(cdp.%~) 'anna rossi'}) > 0 ? 1 : 0, 1,
    'an uncancelled GIN build succeeds and answers');

my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated/, 'no backend crashed (server log)');

$node->stop;
done_testing();
