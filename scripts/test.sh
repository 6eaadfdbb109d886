#!/usr/bin/env bash
# make test: set up (packages, build, install, throwaway cluster) and run
# every test layer, then print exactly one line "N passed, N failed".
#
# Layers (each adds to the counts):
#   unit       GoogleTest via ctest (each TEST is one case)
#   regress    pg_regress over sql/*.sql        (each file is one case)
#   isolation  pg_isolation_regress over test/isolation/specs/*.spec
#   tap        prove over test/t/*.pl           (each assertion is one case)
#   fuzz       each libFuzzer target in test/fuzz, run briefly (one case each)
#
# Environment: PG_CONFIG, CDP_TEST_PORT (default 54330), CDP_FUZZ_SECONDS
# (default 10), CDP_TEST_LAYERS (default "unit regress isolation tap fuzz"),
# and, to run a subset while developing, CDP_REGRESS (regress test names),
# CDP_ISOLATION (spec names), CDP_TAP (TAP file names, e.g. "050_upgrade.pl").
set -uo pipefail
source "$(dirname "$0")/lib.sh"

PASSED=0
FAILED=0
FAILED_NAMES=()
WORK=$(mktemp -d /tmp/cdp-test.XXXXXX)
chmod 755 "$WORK"
LAYERS=${CDP_TEST_LAYERS:-unit regress isolation tap fuzz}
PORT=${CDP_TEST_PORT:-54330}
CLUSTER=$WORK/cluster

finish() {
  local rc=$?
  cdp_cluster_stop "$CLUSTER" 2>/dev/null
  if [ ${#FAILED_NAMES[@]} -gt 0 ]; then
    log "failures: ${FAILED_NAMES[*]}"
    log "logs kept in $WORK"
  else
    rm -rf "$WORK" 2>/dev/null
  fi
  echo "$PASSED passed, $FAILED failed"
  if [ "$FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then exit 1; fi
  exit 0
}
trap finish EXIT

count() { # count LAYER PASSED FAILED [failed-names...]
  local layer=$1 p=$2 f=$3; shift 3
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
  for n in "$@"; do FAILED_NAMES+=("$layer:$n"); done
  log "$layer: $p passed, $f failed"
}

setup_fail() { count setup 0 1 "$1"; exit 1; }

cdp_deps || setup_fail deps
cdp_build_install || setup_fail build

# Test data must be readable by the server's OS user for server-side COPY.
CDP_TEST_DATA=$ROOT/test/data
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -r "$CDP_TEST_DATA/SOURCES.md"; then
  cp -r "$ROOT/test/data" "$WORK/data"; chmod -R a+rX "$WORK/data"; CDP_TEST_DATA=$WORK/data
fi
export CDP_TEST_DATA

want() { [[ " $LAYERS " == *" $1 "* ]]; }

# ---- unit (GoogleTest) -----------------------------------------------------
if want unit; then
  log "unit: building GoogleTest suite"
  if cmake -S "$ROOT" -B "$ROOT/build/unit" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/cmake.log" 2>&1 &&
     cmake --build "$ROOT/build/unit" -j2 >>"$WORK/cmake.log" 2>&1; then
    ctest --test-dir "$ROOT/build/unit" -j2 --output-on-failure >"$WORK/unit.log" 2>&1
    p=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed' "$WORK/unit.log")
    # GoogleTest's DISABLED_ tests show as "Not Run (Disabled)": listed, not
    # counted either way; any other test that did not run is a failure.
    mapfile -t fails < <(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(Failed|Exception|Timeout|Not Run)' "$WORK/unit.log" |
      grep -v 'Disabled' | sed -E 's/.*Test +#[0-9]+: ([^ ]+).*/\1/')
    disabled=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*Disabled' "$WORK/unit.log" || true)
    [ "$disabled" -gt 0 ] && log "unit: $disabled disabled test(s): $(grep -E 'Test +#[0-9]+: .*Disabled' "$WORK/unit.log" | sed -E 's/.*Test +#[0-9]+: ([^ ]+).*/\1/' | tr '\n' ' ')"
    count unit "$p" "${#fails[@]}" "${fails[@]}"
    [ ${#fails[@]} -gt 0 ] && grep -A30 -E 'FAILED|Failure' "$WORK/unit.log" | head -60 >&2
  else
    tail -30 "$WORK/cmake.log" >&2; count unit 0 1 build
  fi
fi

cdp_cluster_start "$CLUSTER" "$PORT" || setup_fail cluster

# pg_regress-style output: "test name ... ok" / "... FAILED".
# A runner that stops early (e.g. an expected file is missing: pg_regress
# aborts after "diff command failed") exits non-zero with no FAILED line; it
# counts as one failure instead of passing silently.
count_regress() { # layer logfile [runner exit status]
  local layer=$1 log=$2 rc=${3:-0}
  local p; p=$(grep -cE '\.\.\. ok' "$log")
  mapfile -t fails < <(grep -E '\.\.\. FAILED|\.\.\. failed' "$log" | sed -E 's/^ *(test )?([^ ]+).*/\2/')
  if [ "$rc" -ne 0 ] && [ ${#fails[@]} -eq 0 ]; then
    fails=("runner_exit_$rc"); grep -E 'diff command failed|No such file|FATAL|ERROR' "$log" | head -5 >&2
  fi
  count "$layer" "$p" "${#fails[@]}" "${fails[@]}"
  if [ ${#fails[@]} -gt 0 ]; then
    find "$WORK/$layer" -name regression.diffs -exec head -80 {} \; >&2
  fi
}

# ---- regress (pg_regress) ----------------------------------------------------
if want regress && ls "$ROOT"/sql/*.sql 2>/dev/null | grep -qv 'cdp--'; then
  mkdir -p "$WORK/regress"
  make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" installcheck ISOLATION= TAP_TESTS= ${CDP_REGRESS:+REGRESS="$CDP_REGRESS"} \
       EXTRA_REGRESS_OPTS="--outputdir=$WORK/regress --port=$PGPORT --host=$PGHOST --user=$PGUSER" \
       >"$WORK/regress.log" 2>&1
  count_regress regress "$WORK/regress.log" $?
fi

# ---- isolation ----------------------------------------------------------------
if want isolation && ls "$ROOT"/test/isolation/specs/*.spec >/dev/null 2>&1; then
  mkdir -p "$WORK/isolation"
  specs=${CDP_ISOLATION:-$(cd "$ROOT/test/isolation/specs" && ls *.spec | sed 's/\.spec$//' | sort)}
  (cd "$ROOT" && "$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/isolation/pg_isolation_regress" \
      --inputdir=test/isolation --outputdir="$WORK/isolation" --load-extension=cdp \
      --port="$PGPORT" --host="$PGHOST" --user="$PGUSER" $specs) >"$WORK/isolation.log" 2>&1
  count_regress isolation "$WORK/isolation.log" $?
fi

# ---- TAP ------------------------------------------------------------------------
if want tap && ls "$ROOT"/test/t/*.pl >/dev/null 2>&1; then
  mkdir -p "$WORK/tap"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$WORK/tap"
  perl_inc=$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/perl
  TAP_ROOT=$ROOT
  tap_files="test/t/*.pl"
  [ -n "${CDP_TAP:-}" ] && tap_files=$(printf 'test/t/%s ' $CDP_TAP)
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -r "$ROOT/test/t"; then
    # The checkout is not readable by the cluster user: run a copy.
    mkdir -p "$WORK/tap-src/test"; cp -r "$ROOT/test/t" "$WORK/tap-src/test/"
    cp -r "$ROOT/README.md" "$ROOT/docs" "$WORK/tap-src/"   # read by 060_docs.pl
    chown -R postgres: "$WORK/tap-src"; TAP_ROOT=$WORK/tap-src
  fi
  (cd "$TAP_ROOT" && as_pg_user env PATH="$PGBIN:$PATH" TESTDIR="$WORK/tap" \
      PG_REGRESS="$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress" \
      CDP_TEST_DATA="$CDP_TEST_DATA" PGHOST= PGPORT= PGUSER= \
      prove -v -I "$perl_inc" $tap_files) >"$WORK/tap.log" 2>&1
  rc=$?
  p=$(grep -cE '^ *ok [0-9]+' "$WORK/tap.log")
  mapfile -t fails < <(grep -E '^ *not ok [0-9]+' "$WORK/tap.log" | sed -E 's/^ *not ok [0-9]+ *-? *//' | tr ' ' '_')
  if [ $rc -ne 0 ] && [ ${#fails[@]} -eq 0 ]; then fails=(prove_exit_$rc); fi
  count tap "$p" "${#fails[@]}" "${fails[@]}"
  [ ${#fails[@]} -gt 0 ] && grep -B2 -A12 -E '^ *not ok|Dubious|Failed test' "$WORK/tap.log" | head -80 >&2
fi

# ---- fuzz (libFuzzer, brief) -------------------------------------------------------
if want fuzz && ls "$ROOT"/test/fuzz/*.cpp >/dev/null 2>&1; then
  secs=${CDP_FUZZ_SECONDS:-10}
  if CC=clang CXX=clang++ cmake -S "$ROOT" -B "$ROOT/build/fuzz" -DCDP_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/fuzz-build.log" 2>&1 &&
     cmake --build "$ROOT/build/fuzz" -j2 >>"$WORK/fuzz-build.log" 2>&1; then
    fp=0; fails=()
    for src in "$ROOT"/test/fuzz/*.cpp; do
      t=$(basename "$src" .cpp)
      mkdir -p "$WORK/fuzz/$t"
      if "$ROOT/build/fuzz/$t" -seed="${CDP_FUZZ_SEED:-1}" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
           -artifact_prefix="$WORK/fuzz/$t/" "$WORK/fuzz/$t" >"$WORK/fuzz/$t.log" 2>&1; then
        fp=$((fp + 1))
      else
        fails+=("$t"); tail -30 "$WORK/fuzz/$t.log" >&2
      fi
    done
    count fuzz "$fp" "${#fails[@]}" "${fails[@]}"
  else
    tail -30 "$WORK/fuzz-build.log" >&2; count fuzz 0 1 build
  fi
fi
