#!/usr/bin/env bash
# make bench: run every test/bench/NN_<name>.sh against a throwaway cluster
# (or PGHOST/PGPORT) and print one table: our time, the peer's time in the
# same run, and the ratio peer/ours (above 1 means cdp is faster).
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"

cdp_deps
cdp_build_install
WORK=$(mktemp -d /tmp/cdp-bench.XXXXXX); chmod 755 "$WORK"
# On exit: stop the throwaway cluster, keep the results table in build/, and
# remove the work directory (the 1M-row cluster takes ~9 GB).
mkdir -p "$ROOT/build"
finish() {
  [ -f "$WORK/cluster/data/PG_VERSION" ] && cdp_cluster_stop "$WORK/cluster"
  [ -f "$WORK/results.tsv" ] && cp "$WORK/results.tsv" "$ROOT/build/bench-results.tsv"
  rm -rf "$WORK"
}
trap finish EXIT
if [ -z "${PGHOST:-}" ] && [ -z "${PGPORT:-}" ]; then
  cdp_cluster_start "$WORK/cluster" "${CDP_BENCH_PORT:-54331}"
fi
export BENCH_DB=${BENCH_DB:-cdp_bench} BENCH_SCALE=${BENCH_SCALE:-1} BENCH_RESULTS=$WORK/results.tsv
export BENCH_DATA=$ROOT/test/data
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -r "$BENCH_DATA/SOURCES.md"; then
  cp -r "$ROOT/test/data" "$WORK/data"; chmod -R a+rX "$WORK/data"; BENCH_DATA=$WORK/data
fi
cdp_psql -q -d postgres -c "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB" >/dev/null
: >"$BENCH_RESULTS"

printf '\n  %-48s %13s   %-28s %13s   %7s\n' "case (cdp)" "cdp" "peer" "peer" "ratio"
only=${CDP_BENCH_ONLY:-}
for b in "$ROOT"/test/bench/[0-9]*.sh; do
  name=$(basename "$b" .sh)
  [ -n "$only" ] && [[ "$name" != *"$only"* ]] && continue
  echo "== $name"
  (source "$ROOT/test/bench/lib.sh"; source "$b")
done
echo
log "results (tab-separated) in $ROOT/build/bench-results.tsv"
