#!/usr/bin/env bash
# make cluster-start / make stop: the demo cluster in ./.cdp-cluster.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PGBIN=$("$PG_CONFIG" --bindir)
dir=${CDP_CLUSTER_DIR:-$ROOT/.cdp-cluster}
case "${1:-}" in
  start) cdp_cluster_start "$dir" "${CDP_PORT:-54329}" ;;
  stop)  cdp_cluster_stop "$(readlink -f "$dir")"; log "stopped cluster in $dir" ;;
  *) echo "usage: cluster.sh start|stop" >&2; exit 2 ;;
esac
