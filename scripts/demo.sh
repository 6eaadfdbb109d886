#!/usr/bin/env bash
# make demo: install what is missing, build, install, start a throwaway
# cluster in ./.cdp-cluster (unless PGHOST/PGPORT name a server), create the
# database cdp_demo, load the bundled sample and show what cdp does with it.
# Each capability adds a demo/NN_<area>.sql script; they run in name order.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cdp_deps
cdp_build_install

if [ -n "${PGHOST:-}" ] || [ -n "${PGPORT:-}" ]; then
  log "using the server at PGHOST=${PGHOST:-<default>} PGPORT=${PGPORT:-<default>}"
else
  cdp_cluster_start "$ROOT/.cdp-cluster" "${CDP_PORT:-54329}"
fi

DB=${CDP_DEMO_DB:-cdp_demo}
cdp_psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
log "database $DB created"

# Sample data is read by the client (psql \copy), so any server works.
export CDP_DEMO_DATA=$ROOT/demo/data
for f in "$ROOT"/demo/[0-9]*.sql; do
  log "running $(basename "$f")"
  (cd "$ROOT/demo" && cdp_psql -d "$DB" -P pager=off -f "$f")
done

cat <<MSG

cdp demo finished.  Connect with:
  psql -h ${PGHOST:-localhost} -p ${PGPORT:-5432} -U ${PGUSER:-$USER} $DB
Stop the throwaway cluster with: make stop
MSG
