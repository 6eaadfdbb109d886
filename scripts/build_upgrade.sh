#!/bin/sh
# Assembles the upgrade script of the version under development:
#   scripts/build_upgrade.sh sql/upgrade/A--B OUT
# = the delta fragments in sql/upgrade/A--B/NN_*.sql (changes to objects
# that version A already had) merged, by file name, with every install
# fragment sql/install/NN_*.sql that A did not ship (listed in
# sql/upgrade/A--B/released-fragments.txt).  So a new area's fragment is in
# the upgrade with no edit here, and a change to an old fragment needs its
# delta next to it; the upgrade test (test/t/050_upgrade.pl) catches a
# forgotten delta.  At release time the assembled file is committed frozen
# as sql/cdp--A--B.sql and the directory removed.
set -eu
dir=$1 out=$2
released=$dir/released-fragments.txt
tmp=$out.tmp
{
  for f in "$dir"/*.sql; do echo "$(basename "$f") $f"; done
  for f in sql/install/*.sql; do
    b=$(basename "$f")
    grep -qxF "$b" "$released" || echo "$b $f"
  done
} | sort -k1,1 -s | while read -r _ f; do
  printf -- '-- from %s\n' "$f"; cat "$f"; echo
done > "$tmp"
mv "$tmp" "$out"
