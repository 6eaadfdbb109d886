# Identity graph under concurrency: 8 pgbench clients upsert a generated
# multi-channel data set (each record once, in a shuffled order, plus
# random re-upserts of records).  Checks: no client error (no deadlock or
# serialization failure surfaces), every record resolved, and
#  - with max_per_customer lifted, the partition equals a union-find
#    reference computed here in Perl from the canonical values the generator
#    wrote (independent of cdp);
#  - with the seeded limits (which fire), the partition equals the one
#    cdp.resolve_identities() computes on the same data afterwards.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('identity_conc');
$node->init;
$node->append_conf('postgresql.conf', "max_connections = 40\nfsync = off\nsynchronous_commit = off\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION cdp');

# ---- deterministic generator ------------------------------------------------
my $P = 250;
my @records;    # [src, key, [[type, raw, canon], ...]]
for my $p (1 .. $P) {
	my $email = "person$p\@mail.example";
	my $fam   = 'family' . int(($p + 1) / 2) . '@home.example';
	my $d     = sprintf('347%07d', $p);
	my $phone = "+39$d";
	my $typo  = "person$p\@mial.example";
	push @records, [ 'web', "v${p}a", [ [ 'anonymous_id', "anon-$p-1", "anon-$p-1" ], [ 'device_id', " dev-$p-1 ", "dev-$p-1" ] ] ];
	push @records, [ 'web', "v${p}b", [ [ 'anonymous_id', "anon-$p-2", "anon-$p-2" ] ] ] if $p % 4 != 1;
	push @records, [ 'app', "u$p", [ [ 'user_id', "U$p", "U$p" ], [ 'anonymous_id', "anon-$p-2", "anon-$p-2" ],
		[ 'device_id', "dev-$p-2", "dev-$p-2" ], [ 'email', ($p % 3 ? " $email" : uc $email), $email ] ] ]
	  if $p % 11 != 5;
	push @records, [ 'crm', "c$p", [ [ 'email', $email, $email ],
		[ 'phone', '347 ' . substr($d, 3, 3) . ' ' . substr($d, 6), $phone ] ] ] if $p % 5 != 2;
	push @records, [ 'shop', "s$p", [ [ 'phone', ($p % 2 ? "+39 $d" : "0039 $d"), $phone ],
		[ 'email', ($p <= 100 ? ($fam, $fam) : ($typo, $typo)) ] ] ];
	push @records, [ 'newsletter', "n$p", [ [ 'email', ($p <= 100 ? (uc $fam, $fam) : ($email, $email)) ] ] ]
	  if $p % 7 != 3;
}
srand(20261123);
for (my $i = $#records; $i > 0; $i--) {
	my $j = int(rand($i + 1));
	@records[ $i, $j ] = @records[ $j, $i ];
}
my $N = scalar @records;

# ---- reference: union-find over canonical values ----------------------------
my (%parent, %owner);
sub find { my $x = shift; $x = $parent{$x} while $parent{$x} ne $x; return $x; }
for my $r (@records) {
	my $k = "$r->[0]/$r->[1]";
	$parent{$k} = $k;
	for my $id (@{ $r->[2] }) {
		my $v = "$id->[0]\0$id->[2]";
		if (exists $owner{$v}) { my ($a, $b) = (find($k), find($owner{$v})); $parent{$a} = $b if $a ne $b; }
		else { $owner{$v} = $k; }
	}
}
my %ref = map { $_ => find($_) } keys %parent;

# ---- work table ---------------------------------------------------------------
my @rows;
my $i = 0;
for my $r (@records) {
	$i++;
	my %ids;
	push @{ $ids{ $_->[0] } }, $_->[1] for @{ $r->[2] };
	my $json = '{' . join(',', map { "\"$_\":[" . join(',', map { "\"$_\"" } @{ $ids{$_} }) . ']' } sort keys %ids) . '}';
	push @rows, "($i, 'ct_$r->[0]', '$r->[1]', '$json')";
}
$node->safe_psql('postgres', 'CREATE TABLE work (id int PRIMARY KEY, src text, skey text, ids jsonb); '
	  . 'INSERT INTO work VALUES ' . join(",\n", @rows) . '; CREATE SEQUENCE work_seq;');

my $script = q{
SELECT cdp.upsert_record(w.src, w.skey, w.ids) FROM work w WHERE w.id = (SELECT nextval('work_seq'));
\set r random(1, } . $N . q{)
SELECT cdp.upsert_record(w.src, w.skey, w.ids) FROM work w WHERE w.id = :r;
};
my $per_client = int($N / 8) + 2;

sub partition_matches {
	my ($labels, $expected) = @_;    # both: key -> label
	my (%ab, %ba, $bad);
	for my $k (keys %$expected) {
		my $l = $labels->{$k};
		return "record $k missing" unless defined $l;
		$ab{ $expected->{$k} }{$l} = 1;
		$ba{$l}{ $expected->{$k} } = 1;
	}
	$bad = grep { keys %{ $ab{$_} } > 1 } keys %ab;
	$bad += grep { keys %{ $ba{$_} } > 1 } keys %ba;
	return $bad ? "$bad groups differ" : 'same';
}

sub cdp_partition {
	my %p;
	for my $line (split /\n/, $node->safe_psql('postgres',
		"SELECT substr(source, 4) || '/' || source_key, coalesce(customer_id, -record_id) FROM cdp.records WHERE source LIKE 'ct\\_%'"))
	{
		my ($k, $c) = split /\|/, $line;
		$p{$k} = $c;
	}
	return \%p;
}

sub run_load {
	my ($name) = @_;
	$node->safe_psql('postgres', "SELECT setval('work_seq', 1, false)");
	$node->pgbench("--no-vacuum --client=8 --jobs=2 --transactions=$per_client", 0,
		[ qr{processed: \d+/\d+}, qr{number of failed transactions: 0} ], [ qr{^$} ], "pgbench $name: 8 clients, no error",
		{ "identity_$name" => $script });
	is($node->safe_psql('postgres', "SELECT count(*) FILTER (WHERE customer_id IS NULL) || '/' || count(*) FROM cdp.records WHERE source LIKE 'ct\\_%'"),
		"0/$N", "$name: every record stored once and resolved");
}

sub wipe {
	$node->safe_psql('postgres', q{
		DELETE FROM cdp.merge_log; DELETE FROM cdp.customer_aliases; DELETE FROM cdp.customers; DELETE FROM cdp.records;});
}

# 1. no per-customer limits: the Perl reference
$node->safe_psql('postgres', 'UPDATE cdp.identifier_types SET max_per_customer = NULL');
run_load('nolimit');
is(partition_matches(cdp_partition(), \%ref), 'same', 'concurrent partition equals the union-find reference');
is($node->safe_psql('postgres', "SELECT cdp.resolve_identities()->>'records_changed'"), '0',
	'resolve_identities changes nothing after concurrent loading');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cdp.records r WHERE NOT EXISTS (SELECT 1 FROM cdp.customers c WHERE c.customer_id = r.customer_id)}),
	'0', 'every customer id has its customers row');

# 2. seeded limits (user_id: 1 per customer fires in households)
wipe();
$node->safe_psql('postgres', q{UPDATE cdp.identifier_types SET max_per_customer =
	CASE id_type WHEN 'user_id' THEN 1 WHEN 'email' THEN 5 WHEN 'phone' THEN 5 WHEN 'external_id' THEN 5
	             WHEN 'device_id' THEN 20 WHEN 'anonymous_id' THEN 100 END});
run_load('limits');
ok($node->safe_psql('postgres', "SELECT count(*) FROM cdp.merge_log WHERE rule = 'refused:max_per_customer'") > 0,
	'limits fired during the concurrent load');
my $before = cdp_partition();
$node->safe_psql('postgres', 'SELECT cdp.resolve_identities()');
is(partition_matches(cdp_partition(), $before), 'same', 'concurrent partition equals resolve_identities() on the same data');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT r.customer_id, i.id_type, count(DISTINCT i.id_value) n
	  FROM cdp.records r JOIN cdp.identifiers i USING (record_id) GROUP BY 1, 2) x
	  JOIN cdp.identifier_types t USING (id_type) WHERE x.n > t.max_per_customer}), '0', 'no customer exceeds a limit');

my $log = slurp_file($node->logfile);
unlike($log, qr/deadlock detected|could not serialize/, 'no deadlock or serialization failure in the server log');
$node->stop;
done_testing();
