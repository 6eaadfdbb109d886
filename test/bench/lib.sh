# Helpers for benchmark scripts (sourced by test/bench/run.sh before each
# test/bench/NN_<name>.sh).  A benchmark prints result rows with `report`:
#
#   report "<case>" <ours_ms> "<peer name>" <peer_ms> ["note"]
#
# and may use `time_sql "<sql>" [repeats]` which runs the statement in one
# psql session `repeats` times (default 3) and echoes the median in ms
# ($TIME_SQL_PRELUDE, when set, runs first in that session, untimed).
# Use `bench_psql` for set-up statements.  Data sizes: $BENCH_SCALE (1 = the
# full sizes the issues name, e.g. 1M rows; smaller for a quick look).

bench_psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$BENCH_DB" "$@"; }

time_sql() {
  local sql=$1 reps=${2:-3}
  {
    [ -n "${TIME_SQL_PRELUDE:-}" ] && echo "${TIME_SQL_PRELUDE%;};"   # untimed, same session (e.g. load the library)
    echo '\timing on'
    for ((i = 0; i < reps; i++)); do echo "${sql%;};"; done
  } | "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -d "$BENCH_DB" |
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -n |
    awk '{a[NR]=$1} END {if (NR==0) print "NaN"; else print a[int((NR+1)/2)]}'
}

report() {
  local name=$1 ours=$2 peer=$3 theirs=$4 note=${5:-}
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$ours" "$peer" "$theirs" "$note" >>"$BENCH_RESULTS"
  awk -v n="$name" -v o="$ours" -v p="$peer" -v t="$theirs" -v note="$note" 'BEGIN {
    r = (o > 0) ? t / o : 0;
    printf "  %-48s %10.1f ms   %-28s %10.1f ms   %6.2fx  %s\n", n, o, p, t, r, note }'
}
