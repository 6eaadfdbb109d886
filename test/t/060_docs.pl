# Every SQL example of the documentation runs: README.md and docs/*.md
# (a new page is picked up without an edit here).  For each page, a fresh
# database with the extension; the page's ```sql blocks run in order in one
# psql session as a superuser (a block may use what earlier blocks of the
# same page made, e.g. a table or a SET), and any error fails the test.
# Expectations (the convention is described in docs/development.md,
# "Documentation examples"):
#   SELECT ...;  -- → value        (on the statement's last line or the line
#                                  after it) the statement's output, unaligned and
#                                  without headers (psql -At), is exactly
#                                  value; "-- → ERROR 22023: message" means
#                                  the statement fails with that SQLSTATE and
#                                  message (the session goes on)
#   ```sql ... ``` then ```text    the block's output in psql's default
#                                  (aligned) format is the text block; a line
#                                  "..." there stands for any lines
#   ```sql norun                   shown only, never run (needs pg_cron, a
#                                  file, another server, ...)
# One assertion per block, and one that every public object of the
# extension is named in the docs.  CDP_DOCS_SHOW=1 prints every statement's output
# (to write a text block); CDP_DOCS_PAGES="README.md docs/x.md" picks pages.
use strict;
use warnings;
use FindBin;
use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# Everything is handled as UTF-8 bytes (pages, psql input and output).
my $root = File::Spec->rel2abs("$FindBin::Bin/../..");
my @all_pages = ('README.md', map { File::Spec->abs2rel($_, $root) } sort glob("$root/docs/*.md"));
my @pages = $ENV{CDP_DOCS_PAGES} ? split(' ', $ENV{CDP_DOCS_PAGES}) : @all_pages;
my $ARROW = "\xe2\x86\x92";    # the arrow, in UTF-8

sub slurp {
    my ($path) = @_;
    open(my $fh, '<:raw', $path) or die "cannot read $path: $!";
    local $/;
    my $text = <$fh>;
    close $fh;
    return $text;
}

# Blocks of a page: {lang, info, body, line, text (the ```text block right after, if any)}.
sub blocks {
    my ($text) = @_;
    my @lines = split /\n/, $text, -1;
    my @out;
    for (my $i = 0; $i < @lines; $i++) {
        next unless $lines[$i] =~ /^(\s*)```+\s*(\S*)\s*(.*?)\s*$/;
        my ($indent, $lang, $info, $start) = ($1, $2, $3, $i + 1);
        my @body;
        for ($i++; $i < @lines && $lines[$i] !~ /^\s*```+\s*$/; $i++) {
            push @body, $lines[$i] =~ s/^\Q$indent\E//r;
        }
        push @out, { lang => $lang, info => $info, body => join("\n", @body), line => $start, end => $i };
    }
    # A ```text block that follows a ```sql block (only blank lines between)
    # is its expected output.
    for my $k (0 .. $#out - 1) {
        next unless $out[$k]{lang} eq 'sql' && $out[ $k + 1 ]{lang} eq 'text';
        my $gap = join("\n", @lines[ $out[$k]{end} + 1 .. $out[ $k + 1 ]{line} - 2 ]);
        $out[$k]{text} = $out[ $k + 1 ]{body} if $gap =~ /^\s*$/;
    }
    return grep { $_->{lang} eq 'sql' } @out;
}

# Split SQL into statements at ';' (or a \g-style meta-command ending the
# line) outside quotes, dollar quotes and comments; a psql meta-command (a
# line starting with '\') is a statement of its own.  The rest of the line after a ';' (a comment) stays with the
# statement, so "SELECT 1;  -- → 1" keeps its expectation.
sub statements {
    my ($sql) = @_;
    my @stmts;
    my $cur = '';
    my @lines = split /\n/, $sql, -1;
    my ($in_dollar, $in_quote, $in_ident, $in_block) = (undef, 0, 0, 0);
    for my $line (@lines) {
        my $between = !$in_dollar && !$in_quote && !$in_ident && !$in_block && $cur !~ /\S/;
        # "-- → value" on the line after a statement belongs to it.
        if ($between && @stmts && $line =~ /^\s*--\s*$ARROW/) {
            $stmts[-1] .= "$line\n";
            next;
        }
        if ($between && $line =~ /^\s*\\/) {
            push @stmts, $line;
            $cur = '';
            next;
        }
        my $done = 0;
        my $i = 0;
        my $n = length $line;
        while ($i < $n) {
            my $rest = substr($line, $i);
            if ($in_dollar) {
                if ($rest =~ /^\Q$in_dollar\E/) { $i += length $in_dollar; $in_dollar = undef; }
                else { $i++; }
            } elsif ($in_quote) {
                $in_quote = 0 if substr($line, $i, 1) eq "'";
                $i++;
            } elsif ($in_ident) {
                $in_ident = 0 if substr($line, $i, 1) eq '"';
                $i++;
            } elsif ($in_block) {
                if ($rest =~ /^\*\//) { $in_block = 0; $i += 2; } else { $i++; }
            } elsif ($rest =~ /^--/) {
                last;
            } elsif ($rest =~ /^\/\*/) {
                $in_block = 1; $i += 2;
            } elsif ($rest =~ /^(\$[A-Za-z_]*\$)/) {
                $in_dollar = $1; $i += length $1;
            } elsif (substr($line, $i, 1) eq "'") {
                $in_quote = 1; $i++;
            } elsif (substr($line, $i, 1) eq '"') {
                $in_ident = 1; $i++;
            } elsif (substr($line, $i, 1) eq ';') {
                $done = 1; $i++;
            } else {
                $i++;
            }
        }
        # A query sent by a meta-command (\g, \gset, \gx, \gexec, ...) ends there too.
        $done = 1 if $line =~ /\\(?:g|gset|gx|gexec|gdesc|crosstabview)\b[^'"]*$/;
        $cur .= "$line\n";
        if ($done && !$in_dollar && !$in_quote && !$in_ident && !$in_block) {
            push @stmts, $cur;
            $cur = '';
        }
    }
    # Text after the last ';' that is not a comment would stay in psql's
    # query buffer and run with the next statement: refuse it.
    die "SQL without a closing ';': $cur\n" if $cur =~ /^(?!\s*--).*\S/m;
    return @stmts;
}

# The "-- → value" expectation of a statement (on its last line), if any.
sub arrow {
    my ($stmt) = @_;
    my @l = grep { /\S/ } split /\n/, $stmt;
    return undef unless @l;
    return $l[-1] =~ /--\s*$ARROW\s?(.*?)\s*$/ ? $1 : undef;
}

sub norm {
    my ($s) = @_;
    $s =~ s/[ \t]+$//mg;
    $s =~ s/^\n+//;
    $s =~ s/\n+$//;
    return $s;
}

# Does output match the expected text ("..." lines match any lines)?
sub matches {
    my ($got, $want) = @_;
    my $re = join("\n", map { $_ eq '...' ? "\x00" : quotemeta($_) } split /\n/, norm($want), -1);
    $re =~ s/\n?\x00\n?/(?:\\n.*)*?\\n?/g;
    return norm($got) =~ /^$re$/s;
}

my $node = PostgreSQL::Test::Cluster->new('docs');
$node->init;
$node->start;

my $db = 0;
my $total = 0;
for my $page (@pages) {
    my @blocks = grep { $_->{info} !~ /\bnorun\b/ } blocks(slurp("$root/$page"));
    next unless @blocks;
    $db++;
    $node->safe_psql('postgres', "CREATE DATABASE docs_$db");
    $node->safe_psql("docs_$db", 'CREATE EXTENSION cdp')
      unless grep { $_->{body} =~ /create\s+extension\s+(if\s+not\s+exists\s+)?cdp\b/i } @blocks;

    # One script for the page; markers tell which statement printed what.
    my $script = "\\set ON_ERROR_STOP 1\n";
    my @stmts;    # [block index, statement text, arrow]
    for my $b (0 .. $#blocks) {
        my @s = statements($blocks[$b]{body});
        for my $s (@s) {
            my $want = arrow($s);
            die "$page:$blocks[$b]{line}: a block followed by a text block uses no arrows\n"
              if defined $want && defined $blocks[$b]{text};
            my $k = scalar @stmts;
            push @stmts, [ $b, $s, $want ];
            my $fmt = defined $blocks[$b]{text} ? "\\pset format aligned\n\\pset tuples_only off\n"
                                                : "\\pset format unaligned\n\\pset tuples_only on\n";
            $script .= "\\echo '\@\@cdp-docs $k'\n$fmt";
            if (defined $want && $want =~ /^ERROR\b/) {
                $script .= "\\set ON_ERROR_STOP 0\n$s\n\\echo '\@\@cdp-docs-error' :ERROR :LAST_ERROR_SQLSTATE :LAST_ERROR_MESSAGE\n\\set ON_ERROR_STOP 1\n";
            } else {
                $script .= "$s\n";
            }
        }
    }
    $script .= "\\echo '\@\@cdp-docs end'\n";

    my ($out, $err) = ('', '');
    my $rc = $node->psql("docs_$db", $script, stdout => \$out, stderr => \$err, on_error_stop => 1);
    $out .= "\n";

    # Output of each statement.
    my %got;
    my $last = -1;
    my $reached_end = 0;
    while ($out =~ /^\@\@cdp-docs (\d+|end)\n((?:(?!\@\@cdp-docs \d|\@\@cdp-docs end).*\n)*)/mg) {
        if ($1 eq 'end') { $reached_end = 1; last; }
        $got{$1} = $2;
        $last = $1;
    }
    my @fail;    # per block: list of messages
    if (!$reached_end) {
        my $b = $last >= 0 ? $stmts[$last][0] : 0;
        push @{ $fail[$b] }, "psql stopped (exit $rc) at:\n$stmts[$last][1]\n$err";
    }
    for my $k (0 .. $#stmts) {
        my ($b, $s, $want) = @{ $stmts[$k] };
        next unless exists $got{$k};
        next if !$reached_end && $k == $last;
        my $g = $got{$k};
        if ($ENV{CDP_DOCS_SHOW}) { diag("$page:$blocks[$b]{line}: $s" . "=> $g"); }
        next unless defined $want;
        if ($want =~ /^ERROR\b/) {
            my ($flag, $state, $msg) = $g =~ /\@\@cdp-docs-error (\S+) (\S+) (.*)$/m;
            my $gotten = defined $flag && $flag eq 'true' ? "ERROR $state: $msg" : 'no error';
            push @{ $fail[$b] }, "statement:\n$s  expected: $want\n  got:      $gotten"
              unless $gotten eq $want;
            next;
        }
        push @{ $fail[$b] }, "statement:\n$s  expected: $want\n  got:      " . norm($g)
          unless norm($g) eq $want;
    }
    # Text blocks: the output of the whole block.
    for my $b (0 .. $#blocks) {
        next unless defined $blocks[$b]{text};
        my $g = join('', map { $got{$_} // '' } grep { $stmts[$_][0] == $b } 0 .. $#stmts);
        push @{ $fail[$b] }, "output differs; expected:\n$blocks[$b]{text}\n  got:\n" . norm($g)
          unless matches($g, $blocks[$b]{text});
    }
    my $reached_block = $reached_end ? $#blocks : ($last >= 0 ? $stmts[$last][0] : 0);
    for my $b (0 .. $#blocks) {
        my $name = "$page:$blocks[$b]{line}";
        $total++;
        if ($b > $reached_block) {
            fail("$name (not reached: an earlier block failed)");
        } elsif ($fail[$b]) {
            fail($name);
            diag(join("\n", @{ $fail[$b] }));
        } else {
            pass($name);
        }
    }
}
ok($total > 0, "documentation has runnable examples ($total blocks)");

# Every public object of the extension is named somewhere in the docs:
# functions (not index-support or type I/O functions, not _internal ones),
# tables and views, settings, operators, operator classes and types.
my $docs = join("\n", map { slurp("$root/$_") } @all_pages);
$node->safe_psql('postgres', 'CREATE DATABASE docs_catalog');
$node->safe_psql('docs_catalog', 'CREATE EXTENSION cdp');
my @objects = split /\n/, $node->safe_psql('docs_catalog', q{
LOAD 'cdp';
SELECT DISTINCT 'cdp.' || p.proname FROM pg_proc p
 WHERE p.pronamespace = 'cdp'::regnamespace AND p.proname !~ '^_'
   AND p.oid NOT IN (SELECT amproc FROM pg_amproc)
   AND p.oid NOT IN (SELECT typinput FROM pg_type UNION SELECT typoutput FROM pg_type)
UNION SELECT 'cdp.' || relname FROM pg_class
 WHERE relnamespace = 'cdp'::regnamespace AND relkind IN ('r', 'p', 'v', 'm') AND relname !~ '^_'
UNION SELECT name FROM pg_settings WHERE name LIKE 'cdp.%'
UNION SELECT oprname FROM pg_operator WHERE oprnamespace = 'cdp'::regnamespace
UNION SELECT 'cdp.' || opcname FROM pg_opclass WHERE opcnamespace = 'cdp'::regnamespace
UNION SELECT 'cdp.' || typname FROM pg_type
 WHERE typnamespace = 'cdp'::regnamespace AND typtype <> 'c' AND typname !~ '^_'
ORDER BY 1});
my @missing = grep { index($docs, $_) < 0 } @objects;
ok(@objects > 0 && !@missing, 'every function, table, setting, operator, operator class and type is documented')
  or diag(scalar(@objects) . ' objects; not named in README.md or docs/*.md: ' . join(', ', @missing));

$node->stop;
done_testing();
