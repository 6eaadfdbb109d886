# Cancellation at every phase of cdp.resolve_identities(): a deferred load,
# then resolve_identities() under statement timeouts spread over its whole
# run (load and replay, the rewrite of cdp.records, the bulk inserts of
# customers and merge_log, the profile rebuild).  Each attempt must end in
# a clean 57014 (or succeed, when the timeout is past the end), the backend
# and the postmaster must live on (no crash-restart in the server log), and
# a final uncancelled run must succeed.
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

# How long a whole run takes (rolled back, so every attempt below starts
# from the same unresolved load).
my $t0 = time;
$node->safe_psql('postgres', 'BEGIN; SELECT cdp.resolve_identities() IS NOT NULL; ROLLBACK');
my $full_ms = int((time - $t0) * 1000);
ok($full_ms > 0, "a full resolve takes $full_ms ms");

my ($cancelled, $finished) = (0, 0);
for my $step (1 .. 16) {
    my $timeout = int($full_ms * $step / 16) + 1;
    my ($rc, $out, $err) = $node->psql('postgres',
        "BEGIN; SET LOCAL statement_timeout = '${timeout}ms'; SELECT cdp.resolve_identities() IS NOT NULL; ROLLBACK",
        on_error_stop => 1);
    if ($rc == 0) {
        $finished++;
    } else {
        like($err, qr/canceling statement due to statement timeout/, "timeout ${timeout} ms: a clean cancel")
          or diag($err);
        $cancelled++;
    }
    is($node->safe_psql('postgres', 'SELECT 1'), '1', "timeout ${timeout} ms: the server answers");
}
ok($cancelled >= 4, "at least 4 of 16 attempts were cancelled mid-run ($cancelled; $finished finished)");

is($node->safe_psql('postgres', 'SELECT cdp.resolve_identities() IS NOT NULL'), 't',
    'an uncancelled run succeeds afterwards');
is($node->safe_psql('postgres', 'SELECT count(*) FROM cdp.records WHERE customer_id IS NULL'), '0',
    'every record is resolved');

my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated/, 'no backend crashed (server log)');

$node->stop;
done_testing();
