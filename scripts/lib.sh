# Shared set-up for demo/test/bench (sourced, not executed).
# Provides: ROOT, PG_CONFIG, PGBIN, cdp_build_install, cdp_cluster_start,
# cdp_cluster_stop, cdp_psql, as_pg_user.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG

log() { printf '\033[1mcdp:\033[0m %s\n' "$*" >&2; }

cdp_deps() { bash "$ROOT/scripts/deps.sh"; PGBIN=$("$PG_CONFIG" --bindir); export PGBIN; }

# Build the extension and install it into PG_CONFIG's server.
cdp_build_install() {
  log "building (make PG_CONFIG=$PG_CONFIG)"
  make -C "$ROOT" -s -j2 PG_CONFIG="$PG_CONFIG" >/dev/null
  local SUDO=()
  if [ "$(id -u)" -ne 0 ] && [ ! -w "$("$PG_CONFIG" --pkglibdir)" ]; then SUDO=(sudo -n); fi
  "${SUDO[@]}" make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
  log "installed into $("$PG_CONFIG" --pkglibdir)"
}

# Run a command as the cluster's OS user: 'postgres' when we are root
# (initdb refuses root), ourselves otherwise.
as_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# cdp_cluster_start DIR PORT — initdb (once) and start a private cluster with
# pg_cron preloaded, listening only on a Unix socket in DIR/sock.
cdp_cluster_start() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      # postgres cannot reach the checkout (e.g. under /root): use /tmp.
      local alt=/tmp/cdp-cluster-$port
      mkdir -p "$alt"; chown postgres: "$alt"
      rmdir "$dir" 2>/dev/null || true
      ln -sfn "$alt" "$dir"
      dir=$alt
    fi
  fi
  export CDP_CLUSTER_DIR=$dir PGHOST=$dir/sock PGPORT=$port PGUSER=postgres
  [ "$(id -u)" -eq 0 ] || export PGUSER=$(id -un)
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg_user mkdir -p "$dir/data" "$dir/sock"
    as_pg_user "$PGBIN/initdb" -D "$dir/data" -E UTF8 --locale=C.UTF-8 -A trust -U "$PGUSER" >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; return 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
# cdp throwaway cluster
listen_addresses = ''
port = $port
unix_socket_directories = '$dir/sock'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 4GB
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
log_min_messages = warning
CONF
  fi
  if ! as_pg_user "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg_user "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
      || { tail -20 "$dir/server.log" >&2; return 1; }
  fi
  log "cluster running: PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER (data in $dir/data)"
}

cdp_cluster_stop() {
  local dir=${1:-$CDP_CLUSTER_DIR}
  [ -n "$dir" ] && [ -f "$dir/data/PG_VERSION" ] || return 0
  as_pg_user "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

cdp_psql() { "$PGBIN/psql" -X -v ON_ERROR_STOP=1 "$@"; }
