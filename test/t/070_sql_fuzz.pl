# SQL-level fuzz: every function and procedure of the extension, found
# through the catalog (so a new one is covered without an edit here), is
# called with NULLs, empty, huge and odd-Unicode strings, deep and wrongly
# typed JSON, extreme numbers and timestamps, one argument at a time against
# an ordinary call.  Each call must end in a result or a clear ERROR: no
# crash (the server log shows none and the server answers), no internal
# error (SQLSTATE XX000 is a missing check), no call running past the
# statement timeout.  Afterwards every cdp table reads back in full and
# pg_dump of the database succeeds: no stored value the database cannot
# read back.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sqlfuzz');
$node->init;
$node->append_conf('postgresql.conf', "max_stack_depth = '2MB'\n");
$node->start;
my $db = 'postgres';
$node->safe_psql($db, 'CREATE EXTENSION cdp');

# A little data, so that functions reach past their "not found" checks.
$node->safe_psql($db, q{
    SELECT cdp.upsert_record('crm', 'r' || i, jsonb_build_object('email', 'p' || i || '@x.org'),
                             jsonb_build_object('first_name', 'Ann', 'city', 'Roma'))
      FROM generate_series(1, 20) i;
    SELECT cdp.ingest('{"type":"track","userId":"u1","event":"Order Completed","messageId":"m1",
                        "properties":{"revenue":10},"timestamp":"2026-01-01T00:00:00Z"}', 'web');
});

# Runs one statement, returns its SQLSTATE ('00000' on success) and message.
$node->safe_psql($db, q{
CREATE FUNCTION public.fuzz_try(stmt text, OUT state text, OUT msg text)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE stmt;
  state := '00000';
EXCEPTION
  WHEN query_canceled THEN state := '57014'; msg := 'statement timeout';
  WHEN OTHERS THEN GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
END $$;
});

my $huge = "repeat('ab', 100000)";
my %pool = (
    text => [
        'NULL', q{''}, q{'x'}, $huge, q{E'\u0301\u0301\u0301'}, q{'😀 ‮ǅ Ω 日本'},
        q{'O''Brien''); DROP TABLE cdp.records; --'}, q{'$1'}, q{E'back\\\\slash'}, q{'   '},
        q{'email'}, q{'user_id'}, q{'full'}, q{'now-30 days'}, q{repeat('é', 5000)},
    ],
    jsonb => [
        'NULL', q{'{}'}, q{'[]'}, q{'"x"'}, q{'1'}, q{'null'}, q{'true'},
        q{(repeat('[', 3000) || repeat(']', 3000))::jsonb},
        q{(repeat('{"a":', 200) || '1' || repeat('}', 200))::jsonb},
        q{(SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 5000) i)},
        q{'{"type":"track","event":"e","userId":"u","messageId":"z"}'},
        q{'{"batch":[{"type":"identify"},{},1,null]}'},
        q{'{"aggregate":"count","within":"-5 days","where":[{"op":"nope"}]}'},
        q{'{"all":[{"trait":"country","op":"eq","value":"IT"},{"not":{"segment":"x"}}]}'},
        q{'{"email":["a@b.c",null,1,{}],"phone":"+39 06 1234"}'},
        q{'{"segment":"s","purpose":"p","fields":["email"],"kind":"webhook","url":"file:///etc/passwd"}'},
    ],
    int2 => ['NULL', '0', '-1', '1', '32767', '(-32768)::int2'],
    int4 => ['NULL', '0', '-1', '1', '2147483647', '(-2147483648)::int4'],
    int8 => ['NULL', '0', '-1', '1', '9223372036854775807', '(-9223372036854775808)::int8'],
    float8 => ['NULL', q{'NaN'}, q{'Infinity'}, q{'-Infinity'}, '0', '-1', '1e308', '0.5'],
    bool => ['NULL', 'true', 'false'],
    timestamptz => ['NULL', q{'infinity'}, q{'-infinity'}, q{'4713-01-01 BC'}, q{'294276-12-31'}, 'now()'],
    interval => ['NULL', q{'0'}, q{'-1 day'}, q{'178000000 years'}],
    '_text' => ['NULL', q{'{}'}, q{'{NULL}'}, q{'{""}'}, q{ARRAY[repeat('x', 10000)]}],
    '_int8' => ['NULL', q{'{}'}, q{'{NULL}'}, q{'{-1,0}'}],
);
# The ordinary value of each type, used for the arguments not under test.
my %normal = (text => q{'x'}, jsonb => q{'{}'}, int2 => '1', int4 => '1', int8 => '1', float8 => '0.5',
              bool => 'false', timestamptz => 'now()', interval => q{'1 day'}, '_text' => q{'{}'},
              '_int8' => q{'{1}'});

# Every function and procedure of schema cdp callable from SQL (not type
# I/O, index support or aggregate functions: those take internal/cstring).
my $list = $node->safe_psql($db, q{
    SELECT p.oid, p.prokind, p.proname,
           coalesce((SELECT string_agg(t.typname, ',' ORDER BY o.n)
                       FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY o(t, n)
                       JOIN pg_type t ON t.oid = o.t), '')
      FROM pg_proc p
     WHERE p.pronamespace = 'cdp'::regnamespace AND p.prokind IN ('f', 'p')
       AND p.prorettype NOT IN ('internal'::regtype, 'cstring'::regtype, 'trigger'::regtype,
                                'event_trigger'::regtype)
       AND NOT EXISTS (SELECT 1 FROM unnest(p.proargtypes::oid[]) a
                        WHERE a IN ('internal'::regtype, 'cstring'::regtype))
     ORDER BY p.proname, p.oid});

my (@calls, %fn_of);
for my $line (split /\n/, $list) {
    my ($oid, $kind, $name, $types) = split /\|/, $line, 4;
    my @t = $types eq '' ? () : split /,/, $types;
    my $call = sub {
        my $args = join(', ', map { "$_[$_]::$t[$_]" } 0 .. $#t);
        $args =~ s/::_text/::text[]/g;
        $args =~ s/::_int8/::int8[]/g;
        return $kind eq 'p' ? "CALL cdp.$name($args)" : "SELECT * FROM cdp.$name($args)";
    };
    my @base = map { $normal{$_} // 'NULL' } @t;
    my @variants = ([@base], [map { 'NULL' } @t]);
    for my $i (0 .. $#t) {
        for my $v (@{ $pool{ $t[$i] } // ['NULL'] }) {
            my @a = @base;
            $a[$i] = $v;
            push @variants, \@a;
        }
    }
    for my $v (@variants) {
        my $sql = $call->(@$v);
        push @calls, $sql;
        $fn_of{$sql} = $name;
    }
}
ok(@calls > 500, scalar(@calls) . ' calls over ' . scalar(split /\n/, $list) . ' functions');

# Calls of one function share a session; each call has its own timeout.
my (%by_fn, @internal, @timeouts, $crashed);
push @{ $by_fn{ $fn_of{$_} } }, $_ for @calls;
my %states;
for my $fn (sort keys %by_fn) {
    my $batch = join("\n", map {
        my $q = $_;
        $q =~ s/'/''/g;
        "SET statement_timeout = '20s'; SELECT state || '|' || translate(coalesce(msg, ''), E'\\n\\r', '  ') FROM public.fuzz_try('$q');"
    } @{ $by_fn{$fn} });
    my ($rc, $out, $err) = $node->psql($db, $batch);
    my @res = grep { /\|/ } split /\n/, $out;
    for my $i (0 .. $#res) {
        my ($state, $msg) = split /\|/, $res[$i], 2;
        $states{$state}++;
        my $sql = substr($by_fn{$fn}[$i], 0, 200);
        push @internal, "$sql -> $state $msg" if $state =~ /^XX/;
        push @timeouts, "$sql -> $msg" if $state eq '57014';
    }
    if (@res != @{ $by_fn{$fn} }) {
        $crashed .= "$fn: " . scalar(@res) . ' of ' . scalar(@{ $by_fn{$fn} }) . " calls answered; $err\n";
        last unless $node->psql($db, 'SELECT 1') == 0;
    }
}
note(join ', ', map { "$_: $states{$_}" } sort keys %states);
is($crashed // '', '', 'every call answered (no lost session)');
is(join("\n", @internal), '', 'no internal error (XX000) from any call');
is(join("\n", @timeouts), '', 'no call ran into the statement timeout');
is($node->safe_psql($db, 'SELECT 1'), '1', 'the server answers');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated|PANIC/, 'no backend crash in the server log');

# Every stored value reads back, and the database dumps.
my $tables = $node->safe_psql($db, q{
    SELECT string_agg(format('SELECT count(*) FROM (SELECT t::text FROM %s t) s', c.oid::regclass), ' UNION ALL ')
      FROM pg_class c WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind IN ('r', 'p')});
my ($rc, $out, $err) = $node->psql($db, $tables);
is($rc, 0, 'every row of every cdp table reads back as text') or diag($err);
my $dump = $node->data_dir . '/../fuzz.dump';
command_ok(['pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr($db)], 'pg_dump of the fuzzed database succeeds');
command_ok(['pg_restore', '-l', $dump], 'the dump reads back');

done_testing();
