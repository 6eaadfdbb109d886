#!/usr/bin/env bash
# Developer aid: make a private, relocated copy of the PostgreSQL 15 install
# so that several work trees can `make install` and test side by side
# without overwriting each other's cdp.so.  PostgreSQL finds its lib/share
# directories relative to its binaries, so a copied tree just works.
#
#   scripts/private-pg.sh /opt/pg-mine
#   export PG_CONFIG=/opt/pg-mine/lib/postgresql/15/bin/pg_config
#   make test CDP_TEST_PORT=54400
set -euo pipefail
dest=${1:?usage: private-pg.sh DEST}
bash "$(dirname "$0")/deps.sh"
mkdir -p "$dest/lib/postgresql" "$dest/share/postgresql" "$dest/include"
cp -a /usr/lib/postgresql/15 "$dest/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$dest/share/postgresql/"
cp -a /usr/include/postgresql "$dest/include/"
echo "export PG_CONFIG=$dest/lib/postgresql/15/bin/pg_config"
