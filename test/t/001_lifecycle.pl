# Extension lifecycle on a fresh cluster: CREATE EXTENSION without any
# preload, survives a restart, a crash of another backend, cancellation
# from another session, and DROP/CREATE again.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('lifecycle');
$node->init;
$node->start;

is($node->safe_psql('postgres', 'CREATE EXTENSION cdp; SELECT cdp.version()'),
    $node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'cdp'"),
    'CREATE EXTENSION needs no preload and version() matches');

is($node->safe_psql('postgres', "SELECT cdp.version() IS NOT NULL; SHOW cdp.default_region;"), "t\nIT",
    'GUC default once the library is loaded');

# Cancel from another session stops a long C++ loop promptly.
my $bg = $node->background_psql('postgres', on_error_stop => 0);
$bg->query_until(qr/start/, q(\echo start
SELECT cdp._boundary_selftest('spin', 120000);
));
my $pid;
for (1 .. 100) {
    $pid = $node->safe_psql('postgres',
        "SELECT pid FROM pg_stat_activity WHERE query LIKE '%_boundary_selftest(''spin''%' AND pid <> pg_backend_pid()");
    last if $pid;
    select(undef, undef, undef, 0.05);
}
ok($pid, 'spinning backend found');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
my $gone = 0;
for (1 .. 100) {
    my $n = $node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid AND state = 'active'");
    if ($n eq '0') { $gone = 1; last; }
    select(undef, undef, undef, 0.05);
}
ok($gone, 'pg_cancel_backend stops the C++ loop within 5 s');
$bg->quit;

# Restart keeps the extension working.
$node->restart;
is($node->safe_psql('postgres', "SELECT cdp._boundary_selftest('spi', 10)"), '10', 'works after restart');

# DROP and re-CREATE (roles are cluster-wide and are reused).
$node->safe_psql('postgres', 'DROP EXTENSION cdp; CREATE EXTENSION cdp;');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'cdp\\_%'"), '3',
    'roles reused on re-create');

# A second database gets its own copy.
$node->safe_psql('postgres', 'CREATE DATABASE other');
is($node->safe_psql('other', 'CREATE EXTENSION cdp; SELECT cdp.version() IS NOT NULL'), 't', 'second database');

$node->stop;
done_testing();
