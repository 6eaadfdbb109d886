# Segments: full refresh of a typical 3-condition segment (trait, event count
# in a window, computed trait) versus hand-written SQL doing the same work
# (select, diff against the current members, enter/exit log); incremental
# refresh after 1% of the customers changed versus the full refresh and
# versus a hand-written incremental refresh of the same customers;
# refresh_segments() of 50 segments; ingest with 20 segments defined and
# change tracking on versus the same ingest with no segment.  Sizes: 1M
# customers / 10M events at BENCH_SCALE=1.
customers=$(awk -v s="${BENCH_SCALE:-1}" 'BEGIN { n = int(1000000 * s); print (n < 1000 ? 1000 : n) }')
events=$((customers * 10))
changed=$((customers / 100))
bench_psql <<SQL
CREATE EXTENSION IF NOT EXISTS cdp;
SET cdp.maintain_profiles = off;
SET cdp.defer_resolution = on;
INSERT INTO cdp.sources (source) VALUES ('sbench') ON CONFLICT DO NOTHING;
INSERT INTO cdp.records (source, source_key, traits)
SELECT 'sbench', 'u' || g, jsonb_build_object('city', 'c' || (g % 50), 'age', 18 + g % 60) FROM generate_series(1, $customers) g;
INSERT INTO cdp.identifiers (record_id, id_type, id_value)
SELECT record_id, 'user_id', source_key FROM cdp.records WHERE source = 'sbench';
INSERT INTO cdp.events (record_id, type, event, properties, occurred_at, message_id)
SELECT r.record_id, 'track', CASE WHEN g % 4 = 0 THEN 'Order Completed' ELSE 'Product Viewed' END,
       jsonb_build_object('revenue', (g % 97) + 0.5), now() - (g % 200) * interval '1 day' - (g % 86400) * interval '1 second', 'sb-' || g
  FROM generate_series(1, $events) g JOIN cdp.records r ON r.source = 'sbench' AND r.source_key = 'u' || (g % $customers + 1)
 ORDER BY 5 DESC;  -- events arrive in time order
RESET cdp.defer_resolution;
SELECT cdp.resolve_identities() IS NOT NULL;
SET cdp.maintain_profiles = on;
CALL cdp.rebuild_profiles();
CREATE INDEX IF NOT EXISTS sbench_events_event ON cdp.events (event, occurred_at);
VACUUM ANALYZE;
SELECT cdp.create_segment('sb_typical', '{"all":[{"trait":"city","op":"in","value":["c1","c2","c3","c4","c5","c6","c7","c8","c9","c10"]},
   {"event":"Order Completed","within":"30 days","count":{"gte":2}},
   {"computed":"rfm_monetary","op":"gte","value":100}]}') > 0;
CALL cdp.refresh_segment('sb_typical', 'full');
DROP TABLE IF EXISTS sb_ref_members, sb_ref_log;
CREATE TABLE sb_ref_members (customer_id bigint PRIMARY KEY, since timestamptz);
CREATE TABLE sb_ref_log (seq bigserial, customer_id bigint, change text, at timestamptz DEFAULT now());
SQL

# The hand-written segment (well indexed, set-based) as its author would write it.
ref_select="SELECT p.customer_id FROM cdp.profiles p
  WHERE p.traits ->> 'city' IN ('c1','c2','c3','c4','c5','c6','c7','c8','c9','c10')
    AND (p.computed ->> 'rfm_monetary')::numeric >= 100
    AND p.customer_id IN (SELECT r.customer_id FROM cdp.events e JOIN cdp.records r ON r.record_id = e.record_id
                           WHERE e.event = 'Order Completed' AND e.occurred_at > now() - interval '30 days'
                           GROUP BY r.customer_id HAVING count(*) >= 2)"
ref_full="WITH cur AS ($ref_select),
  ent AS (INSERT INTO sb_ref_members SELECT customer_id, now() FROM cur WHERE customer_id NOT IN (SELECT customer_id FROM sb_ref_members) RETURNING customer_id),
  ext AS (DELETE FROM sb_ref_members m WHERE NOT EXISTS (SELECT 1 FROM cur WHERE cur.customer_id = m.customer_id) RETURNING customer_id)
  INSERT INTO sb_ref_log (customer_id, change) SELECT customer_id, 'enter' FROM ent UNION ALL SELECT customer_id, 'exit' FROM ext"
bench_psql -c "$ref_full" >/dev/null
# Each timing session loads the library first (untimed), as a pooled
# connection has it loaded.
export TIME_SQL_PRELUDE="SELECT count(cdp._segment_compile(definition)) FROM cdp.segments"
full=$(time_sql "CALL cdp.refresh_segment('sb_typical', 'full')" 3)
ref=$(time_sql "$ref_full" 3)
report "full refresh, 3 conditions (+diff, log)" "$full" "hand-written SQL + diff + log" "$ref"

# 1% of the customers change (new orders through ingest): incremental vs full
# vs a hand-written incremental refresh of exactly those customers.
change_sql() { # run number
  bench_psql -At -c "SELECT (cdp.ingest(jsonb_build_object('batch', jsonb_agg(jsonb_build_object('type', 'track', 'userId', 'u' || (1 + (g * 7919 + $1 * 104729) % $customers), 'event', 'Order Completed', 'messageId', 'sbc-$1-' || g, 'properties', jsonb_build_object('revenue', 80)))), 'sbench') ->> 'accepted')::int FROM generate_series(1, $changed) g" >/dev/null
  bench_psql -c "DROP TABLE IF EXISTS sb_changed; CREATE TABLE sb_changed AS SELECT DISTINCT cdp.customer_id('user_id', 'u' || (1 + (g * 7919 + $1 * 104729) % $customers)) AS customer_id FROM generate_series(1, $changed) g" >/dev/null
}
ref_inc="WITH ids AS (SELECT array_agg(customer_id) AS a FROM sb_changed),
  cur AS (SELECT p.customer_id FROM cdp.profiles p, ids WHERE p.customer_id = ANY (ids.a)
    AND p.traits ->> 'city' IN ('c1','c2','c3','c4','c5','c6','c7','c8','c9','c10')
    AND (p.computed ->> 'rfm_monetary')::numeric >= 100
    AND p.customer_id IN (SELECT r.customer_id FROM cdp.events e JOIN cdp.records r ON r.record_id = e.record_id, ids
                           WHERE r.customer_id = ANY (ids.a) AND e.event = 'Order Completed' AND e.occurred_at > now() - interval '30 days'
                           GROUP BY r.customer_id HAVING count(*) >= 2)),
  ent AS (INSERT INTO sb_ref_members SELECT customer_id, now() FROM cur WHERE customer_id NOT IN (SELECT customer_id FROM sb_ref_members) RETURNING customer_id),
  ext AS (DELETE FROM sb_ref_members m USING ids WHERE m.customer_id = ANY (ids.a) AND NOT EXISTS (SELECT 1 FROM cur WHERE cur.customer_id = m.customer_id) RETURNING m.customer_id)
  INSERT INTO sb_ref_log (customer_id, change) SELECT customer_id, 'enter' FROM ent UNION ALL SELECT customer_id, 'exit' FROM ext"
inc_runs=() ; ref_runs=()
for run in 1 2 3; do
  change_sql $run
  inc_runs+=("$(time_sql "CALL cdp.refresh_segment('sb_typical', 'incremental')" 1)")
  ref_runs+=("$(time_sql "$ref_inc" 1)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
inc=$(median "${inc_runs[@]}"); refinc=$(median "${ref_runs[@]}")
mode=$(bench_psql -At -c "SELECT mode || ' (' || candidates || ' candidates)' FROM cdp.segment_runs ORDER BY run_id DESC LIMIT 1")
report "incremental refresh, 1% changed" "$inc" "full refresh" "$full" "$mode"
report "incremental refresh, 1% changed" "$inc" "hand-written incremental" "$refinc"

# 50 segments (variations of the typical conditions), refreshed together.
bench_psql -At <<SQL >/dev/null
SELECT count(cdp.create_segment('sb_s' || k, CASE k % 5
  WHEN 0 THEN jsonb_build_object('trait', 'city', 'op', 'eq', 'value', 'c' || k)
  WHEN 1 THEN jsonb_build_object('all', jsonb_build_array(jsonb_build_object('trait', 'age', 'op', 'between', 'value', jsonb_build_array(18 + k % 30, 30 + k % 30)),
                                                        jsonb_build_object('computed', 'rfm_frequency', 'op', 'gte', 'value', 1 + k % 5)))
  WHEN 2 THEN jsonb_build_object('event', 'Order Completed', 'within', (7 + k) || ' days', 'count', jsonb_build_object('gte', 1 + k % 3))
  WHEN 3 THEN jsonb_build_object('all', jsonb_build_array(jsonb_build_object('segment', 'sb_typical'),
                                                        jsonb_build_object('trait', 'age', 'op', 'gt', 'value', 20 + k)))
  ELSE jsonb_build_object('any', jsonb_build_array(jsonb_build_object('trait', 'city', 'op', 'in', 'value', jsonb_build_array('c' || k, 'c' || (k + 1))),
                                                  jsonb_build_object('event', 'Product Viewed', 'within', '3 days', 'count', jsonb_build_object('gte', 3))))
  END)) FROM generate_series(1, 49) k;
SQL
first=$(time_sql "CALL cdp.refresh_segments()" 1)
report "refresh_segments(), 50 segments (first, full)" "$first" "target" 5000
change_sql 4
again=$(time_sql "CALL cdp.refresh_segments()" 1)
report "refresh_segments(), 50 segments, 1% changed" "$again" "target" 5000

# Ingest with 20 segments defined (change tracking on) vs no segment.
bench_psql -At <<SQL >/dev/null
SELECT count(cdp.drop_segment(name)) FROM (SELECT name FROM cdp.segments WHERE name LIKE 'sb\_s%' AND segment_id % 5 <> 0 ORDER BY segment_id DESC LIMIT 30) s;
DROP TABLE IF EXISTS sb_batches;
CREATE TABLE sb_batches AS
SELECT r AS run, b, jsonb_build_object('batch', jsonb_agg(jsonb_build_object(
         'type', 'track', 'messageId', format('sbi%s-b%s-%s', r, b, i), 'userId', 'u' || ((b * 50 + i % 50) % $customers + 1),
         'event', CASE WHEN i % 5 = 0 THEN 'Order Completed' ELSE 'Product Viewed' END,
         'properties', jsonb_build_object('revenue', i % 90)) ORDER BY i)) AS body
  FROM generate_series(1, 6) r, generate_series(1, 10) b, generate_series(1, 1000) i GROUP BY r, b;
DROP SEQUENCE IF EXISTS sb_on; DROP SEQUENCE IF EXISTS sb_off;
CREATE SEQUENCE sb_on; CREATE SEQUENCE sb_off START 4;
SQL
nseg=$(bench_psql -At -c "SELECT count(*) FROM cdp.segments")
on=$(time_sql "WITH r AS (SELECT nextval('sb_on') AS run) SELECT sum((cdp.ingest(body, 'sbench')->>'accepted')::int) FROM sb_batches b, r WHERE b.run = r.run" 3)
bench_psql -c "CREATE TABLE sb_saved AS SELECT * FROM cdp.segments" -c "SELECT count(cdp.drop_segment(name)) FROM (SELECT name FROM cdp.segments ORDER BY segment_id DESC) s" >/dev/null
off=$(time_sql "WITH r AS (SELECT nextval('sb_off') AS run) SELECT sum((cdp.ingest(body, 'sbench')->>'accepted')::int) FROM sb_batches b, r WHERE b.run = r.run" 3)
report "ingest 10x1000 track, $nseg segments tracked" "$on" "no segment" "$off" "ratio = none/with"
