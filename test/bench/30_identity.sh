# Identity resolution.
#  1. cdp.resolve_identities() on N = 1M * BENCH_SCALE records (~2.8 identifiers
#     each, bulk-loaded unresolved as with cdp.defer_resolution) against
#     pgRouting pgr_connectedComponents on the same record-value graph, edge
#     building (value -> integer node ids) and write-back of customer_id
#     included for both.  Then the same without write-back (graph already
#     resolved: resolve_identities() changes nothing; pgRouting into a table).
#  2. At a size where they finish (200k * BENCH_SCALE records): a recursive CTE
#     (reachability closure) and a loop of UPDATEs (min-label propagation);
#     ours timed in a session that has already loaded the library.
#  3. cdp.upsert_record latency on the resolved N-record graph: pgbench, one
#     client, new records that share an e-mail with an existing customer half
#     of the time (merges), median and p99 from the per-transaction log; peer:
#     the same writes as plain INSERTs (record + identifiers, no resolution).
n=$(awk -v s="${BENCH_SCALE:-1}" 'BEGIN { printf "%d", 1000000 * s }'); [ "$n" -lt 1000 ] && n=1000
small=$(awk -v s="${BENCH_SCALE:-1}" 'BEGIN { printf "%d", 200000 * s }'); [ "$small" -lt 500 ] && small=500
upsert_secs=${IDENTITY_BENCH_UPSERT_SECONDS:-15}

# gen_identity(n): persons P = n/3; record i belongs to a pseudo-random person;
# e-mail (60%), phone (40%), anonymous id (all, unique), device (1/3),
# external id (1/2).
load_graph() { # load_graph N SCHEMA  (SCHEMA: cdp, or a plain copy for the peers)
  bench_psql <<SQL
SET client_min_messages = warning;
TRUNCATE cdp.records, cdp.identifiers, cdp.customers, cdp.customer_aliases, cdp.merge_log CASCADE;
INSERT INTO cdp.sources (source) VALUES ('bench') ON CONFLICT DO NOTHING;
INSERT INTO cdp.records (record_id, source, source_key)
SELECT i, 'bench', 'k' || i FROM generate_series(1, $1) i;
SELECT setval('cdp.records_record_id_seq', $1) \\gset
INSERT INTO cdp.identifiers (record_id, id_type, id_value)
SELECT i, t, v FROM (SELECT i, (hashint4(i) & 2147483647) % greatest($1 / 3, 1) AS p FROM generate_series(1, $1) i) r,
  LATERAL (VALUES
    ('email', CASE WHEN i % 5 < 3 THEN 'e' || p || '@x.it' END),
    ('phone', CASE WHEN i % 5 IN (1, 3) THEN '+39347' || lpad(p::text, 7, '0') END),
    ('anonymous_id', 'a' || i),
    ('device_id', CASE WHEN i % 3 = 0 THEN 'd' || (p * 2 + i % 2) END),
    ('external_id', CASE WHEN i % 2 = 0 THEN 'x' || p END)) AS x(t, v)
 WHERE v IS NOT NULL;
VACUUM ANALYZE cdp.records, cdp.identifiers;
SQL
}

bench_psql -c "CREATE EXTENSION IF NOT EXISTS cdp" -c "CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE" >/dev/null
load_graph "$n"
ids=$(bench_psql -At -c "SELECT count(*) FROM cdp.identifiers")
bench_psql -At -c "CHECKPOINT" >/dev/null

# peer: pgRouting over the bipartite graph record -- value (values numbered after the records)
pgr_edges="SELECT row_number() OVER () AS id, i.record_id AS source, $n + v.vid AS target, 1.0::float8 AS cost, 1.0::float8 AS reverse_cost
             FROM cdp.identifiers i JOIN (SELECT id_type, id_value, row_number() OVER () AS vid
                                            FROM (SELECT DISTINCT id_type, id_value FROM cdp.identifiers) d) v USING (id_type, id_value)"
pgr_sql="CREATE TEMP TABLE pgr_comp AS SELECT node, component FROM pgr_connectedComponents(\$e\$ $pgr_edges \$e\$) WHERE node <= $n"
pgr_write="UPDATE cdp.records r SET customer_id = c.component FROM pgr_comp c WHERE r.record_id = c.node AND r.customer_id IS DISTINCT FROM c.component"

# cdp, fresh (all records unresolved), with write-back
ours=$(time_sql "SELECT cdp.resolve_identities()" 1)
stats=$(bench_psql -At -c "SELECT cdp.resolve_identities()")
customers=$(bench_psql -At -c "SELECT count(DISTINCT customer_id) FROM cdp.records")
# peer, fresh: reset customer ids, then edges + components + write-back
bench_psql -c "UPDATE cdp.records SET customer_id = NULL" -c "VACUUM cdp.records" >/dev/null
peer=$( { echo '\timing on'; echo "$pgr_sql;"; echo "$pgr_write;"; } | "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -d "$BENCH_DB" |
        sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{s += $1} END {print s}')
peer_customers=$(bench_psql -At -c "SELECT count(DISTINCT component) FROM pgr_comp" 2>/dev/null || echo "?")
report "resolve_identities: ${n} records, ${ids} ids, write-back" "$ours" "pgr_connectedComponents+UPDATE" "$peer" "$customers customers"
# same partition?  (pgRouting labels by smallest node: compare partitions)
bench_psql -At -c "SELECT cdp.resolve_identities()" >/dev/null
same=$( { echo "CREATE TEMP TABLE pc AS SELECT node, component FROM pgr_connectedComponents(\$e\$ $pgr_edges \$e\$) WHERE node <= $n;";
          echo "SELECT count(DISTINCT component) = count(DISTINCT customer_id) AND count(DISTINCT (component, customer_id)) = count(DISTINCT customer_id) FROM pc JOIN cdp.records r ON r.record_id = pc.node;"; } |
        "$PGBIN/psql" -X -At -q -v ON_ERROR_STOP=1 -d "$BENCH_DB")
echo "  partition equal to pgRouting's: $same"

# already resolved: nothing to write
ours=$(time_sql "SELECT cdp.resolve_identities()" 3)
peer=$(time_sql "${pgr_sql/pgr_comp/pgr_comp_again}" 1)
report "resolve_identities again (no change): ${n} records" "$ours" "pgr_connectedComponents" "$peer" "compute only"

# upsert latency on the resolved graph
P=$(( n / 3 ))
tmp=$(mktemp -d /tmp/cdp-bench-upsert.XXXXXX); chmod 777 "$tmp"
cat >"$tmp/upsert.sql" <<PGB
\set p random(0, $(( P - 1 )))
\set m random(0, 1)
SELECT cdp.upsert_record('bench_live', 'u' || k, CASE WHEN :m = 0 THEN jsonb_build_object('email', 'e' || :p || '@x.it', 'anonymous_id', 'live' || k) ELSE jsonb_build_object('anonymous_id', 'live' || k, 'device_id', 'ld' || k) END) FROM (SELECT nextval('bench_key_seq') AS k) s;
PGB
cat >"$tmp/insert.sql" <<PGB
\set p random(0, $(( P - 1 )))
\set m random(0, 1)
WITH s AS (SELECT nextval('bench_key_seq') AS k),
     r AS (INSERT INTO peer_records (source, source_key) SELECT 'bench_live', 'u' || k FROM s RETURNING record_id)
INSERT INTO peer_identifiers SELECT r.record_id, t, v FROM r, s, LATERAL (VALUES ('email', CASE WHEN :m = 0 THEN 'e' || :p || '@x.it' END), ('anonymous_id', 'live' || s.k), ('device_id', CASE WHEN :m = 1 THEN 'ld' || s.k END)) x(t, v) WHERE v IS NOT NULL;
PGB
# unique keys for both scripts (random keys collide in long runs)
bench_psql -c "DROP SEQUENCE IF EXISTS bench_key_seq" -c "CREATE SEQUENCE bench_key_seq" -c "GRANT USAGE ON SEQUENCE bench_key_seq TO PUBLIC" >/dev/null
bench_psql -c "DROP TABLE IF EXISTS peer_identifiers, peer_records" \
  -c "CREATE TABLE peer_records (LIKE cdp.records INCLUDING ALL)" -c "ALTER TABLE peer_records ALTER record_id SET DEFAULT nextval('cdp.records_record_id_seq')" \
  -c "CREATE TABLE peer_identifiers (LIKE cdp.identifiers INCLUDING ALL)" \
  -c "INSERT INTO peer_records SELECT * FROM cdp.records" -c "INSERT INTO peer_identifiers SELECT * FROM cdp.identifiers" \
  -c "VACUUM ANALYZE peer_records, peer_identifiers" >/dev/null
pct() { # pct FILE -> "median p99" in ms from pgbench -l logs (3rd column, microseconds)
  cat "$@" | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.3f %.3f %d", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000, NR}'
}
(cd "$tmp" && as_pg_user "$PGBIN/pgbench" -n -c 1 -T 2 -f upsert.sql "$BENCH_DB" >/dev/null 2>&1)   # warm up
(cd "$tmp" && rm -f pgbench_log.* && as_pg_user "$PGBIN/pgbench" -n -c 1 -T "$upsert_secs" -l -f upsert.sql "$BENCH_DB" >"$tmp/ours.out" 2>&1)
read -r med99 <<<"$(pct "$tmp"/pgbench_log.*)"; set -- $med99
o_med=$1 o_p99=$2 o_n=$3
(cd "$tmp" && rm -f pgbench_log.* && as_pg_user "$PGBIN/pgbench" -n -c 1 -T "$upsert_secs" -l -f insert.sql "$BENCH_DB" >"$tmp/peer.out" 2>&1)
read -r med99 <<<"$(pct "$tmp"/pgbench_log.*)"; set -- $med99
p_med=$1 p_p99=$2
merges=$(bench_psql -At -c "SELECT count(*) FROM cdp.merge_log WHERE rule = 'exact' AND record_id > $n")
report "upsert_record median latency (${n} records)" "$o_med" "plain INSERT record+ids" "$p_med" "$o_n upserts, $merges joins"
report "upsert_record p99 latency (${n} records)" "$o_p99" "plain INSERT record+ids" "$p_p99" "1 client, ${upsert_secs}s"
(cd "$tmp" && rm -f pgbench_log.* && as_pg_user "$PGBIN/pgbench" -n -c 2 -j 2 -T 5 -f upsert.sql "$BENCH_DB" 2>&1 | grep -E "^tps|failed" | sed 's/^/  2 clients: /')
rm -rf "$tmp"

# small graph: recursive CTE and loop of UPDATEs (they do not finish at 1M)
load_graph "$small"
cte="WITH RECURSIVE e AS (SELECT a.record_id AS x, b.record_id AS y FROM cdp.identifiers a JOIN cdp.identifiers b USING (id_type, id_value) WHERE a.record_id <> b.record_id),
  reach(root, r) AS (SELECT record_id, record_id FROM cdp.records UNION SELECT reach.root, e.y FROM reach JOIN e ON e.x = reach.r)
  SELECT count(DISTINCT c) FROM (SELECT r, min(root) AS c FROM reach GROUP BY r) s"
loop="DO \$\$ DECLARE k int; BEGIN
  CREATE TEMP TABLE lab AS SELECT record_id, record_id AS label FROM cdp.records;
  CREATE INDEX ON lab (record_id); ANALYZE lab;
  LOOP
    UPDATE lab SET label = m.lo FROM (SELECT a.record_id, min(l.label) AS lo FROM cdp.identifiers a
        JOIN cdp.identifiers b USING (id_type, id_value) JOIN lab l ON l.record_id = b.record_id GROUP BY 1) m
     WHERE lab.record_id = m.record_id AND m.lo < lab.label;
    GET DIAGNOSTICS k = ROW_COUNT; EXIT WHEN k = 0;
  END LOOP;
  UPDATE cdp.records r SET customer_id = lab.label FROM lab WHERE r.record_id = lab.record_id;
  DROP TABLE lab; END \$\$"
# vs_cte_and_loop LABEL: ours (all records unresolved, with write-back) against
# the recursive CTE (read only), then against the label loop (with write-back).
vs_cte_and_loop() {
  export TIME_SQL_PRELUDE="SELECT cdp.version()"   # library loaded before timing
  local ours peer customers
  ours=$(time_sql "SELECT cdp.resolve_identities()" 1)
  customers=$(bench_psql -At -c "SELECT count(DISTINCT customer_id) FROM cdp.records")
  peer=$(time_sql "$cte" 1)
  report "resolve_identities: $1" "$ours" "recursive CTE closure" "$peer" "$customers customers; CTE read only"
  bench_psql -c "UPDATE cdp.records SET customer_id = NULL" >/dev/null
  peer=$(time_sql "$loop" 1)
  bench_psql -c "UPDATE cdp.records SET customer_id = NULL" >/dev/null
  ours=$(time_sql "SELECT cdp.resolve_identities()" 1)
  unset TIME_SQL_PRELUDE
  report "resolve_identities: $1" "$ours" "loop of UPDATEs (labels)" "$peer" "both write back"
}
vs_cte_and_loop "${small} records, write-back"

# chains: the same three on components of 20 records linked in a line
# (diameter 19), where the closure's size grows with the square of the
# component size and the label loop needs one round per hop.
chain=$(awk -v s="${BENCH_SCALE:-1}" 'BEGIN { printf "%d", 20000 * s }'); [ "$chain" -lt 200 ] && chain=200
bench_psql <<SQL
SET client_min_messages = warning;
TRUNCATE cdp.records, cdp.identifiers, cdp.customers, cdp.customer_aliases, cdp.merge_log CASCADE;
INSERT INTO cdp.sources (source) VALUES ('bench') ON CONFLICT DO NOTHING;
INSERT INTO cdp.records (record_id, source, source_key) SELECT i, 'bench', 'k' || i FROM generate_series(1, $chain) i;
SELECT setval('cdp.records_record_id_seq', $chain) \\gset
INSERT INTO cdp.identifiers (record_id, id_type, id_value)
SELECT i, 'anonymous_id', 'c' || i FROM generate_series(1, $chain) i
UNION ALL
SELECT i, 'anonymous_id', 'c' || (i + 1) FROM generate_series(1, $chain) i WHERE i % 20 <> 0;
VACUUM ANALYZE cdp.records, cdp.identifiers;
SQL
vs_cte_and_loop "${chain} records in chains of 20"
