# Profiles: ingest with profiles and three computed traits maintained versus
# ingest with cdp.maintain_profiles off (same run); cdp.customer_profile
# latency (median, p99); full recomputation of computed traits versus a
# hand-written INSERT ... SELECT ... GROUP BY over the same events; window
# expiry refresh after a day versus the full recomputation; forget_customer
# of a customer with 1,000 events.  Sizes: 1M customers / 10M events at
# BENCH_SCALE=1.
customers=$(awk -v s="${BENCH_SCALE:-1}" 'BEGIN { n = int(1000000 * s); print (n < 100 ? 100 : n) }')
events=$((customers * 10))
batches=${PROFILE_BENCH_BATCHES:-10}
bench_psql <<SQL
CREATE EXTENSION IF NOT EXISTS cdp;
SET cdp.maintain_profiles = off;
SET cdp.defer_resolution = on;
INSERT INTO cdp.sources (source) VALUES ('pbench') ON CONFLICT DO NOTHING;
INSERT INTO cdp.records (source, source_key, traits)
SELECT 'pbench', 'u' || g, jsonb_build_object('first_name', 'n' || (g % 1000), 'city', 'c' || (g % 50)) FROM generate_series(1, $customers) g;
INSERT INTO cdp.identifiers (record_id, id_type, id_value)
SELECT record_id, 'user_id', source_key FROM cdp.records WHERE source = 'pbench';
INSERT INTO cdp.events (record_id, type, event, properties, occurred_at, message_id)
SELECT r.record_id, 'track', CASE WHEN g % 4 = 0 THEN 'Order Completed' ELSE 'Product Viewed' END,
       jsonb_build_object('revenue', (g % 97) + 0.5, 'sku', 'SKU-' || (g % 300)),
       timestamptz '2026-01-01' + (g % 200) * interval '1 day' + (g % 86400) * interval '1 second', 'pb-' || g
  FROM generate_series(1, $events) g JOIN cdp.records r ON r.source = 'pbench' AND r.source_key = 'u' || (g % $customers + 1);
RESET cdp.defer_resolution;
SELECT cdp.resolve_identities() IS NOT NULL;
SELECT cdp.create_computed_trait('pb_views_30d', '{"aggregate": "count", "event": "Product Viewed", "within": "30 days"}');
SELECT cdp.create_computed_trait('pb_spend_90d', '{"aggregate": "sum", "event": "Order Completed", "property": "revenue", "within": "90 days"}');
SELECT cdp.create_computed_trait('pb_fav_sku', '{"aggregate": "most_frequent", "event": "Product Viewed", "property": "sku"}');
SET cdp.maintain_profiles = on;
CALL cdp.rebuild_profiles();
VACUUM ANALYZE;
DROP TABLE IF EXISTS pbench_batches;
CREATE TABLE pbench_batches AS
SELECT r AS run, b, jsonb_build_object('batch', jsonb_agg(jsonb_build_object(
         'type', 'track', 'messageId', format('pbr%s-b%s-%s', r, b, i), 'userId', 'u' || ((b * 50 + i % 50) % $customers + 1),
         'event', CASE WHEN i % 5 = 0 THEN 'Order Completed' ELSE 'Product Viewed' END,
         'properties', jsonb_build_object('revenue', i % 90, 'sku', 'SKU-' || (i % 300)),
         'timestamp', '2026-07-01T00:00:00Z') ORDER BY i)) AS body
  FROM generate_series(1, 6) r, generate_series(1, $batches) b, generate_series(1, 1000) i GROUP BY r, b;
DROP SEQUENCE IF EXISTS pbench_on; DROP SEQUENCE IF EXISTS pbench_off;
CREATE SEQUENCE pbench_on; CREATE SEQUENCE pbench_off START 4;
SQL
on_sql="WITH r AS (SELECT nextval('pbench_on') AS run) SELECT sum((cdp.ingest(body, 'pbench')->>'accepted')::int) FROM pbench_batches b, r WHERE b.run = r.run"
off_sql="WITH r AS (SELECT nextval('pbench_off') AS run) SELECT sum((cdp.ingest(body, 'pbench')->>'accepted')::int) FROM pbench_batches b, r WHERE b.run = r.run"
on=$(time_sql "$on_sql" 3)
off=$(TIME_SQL_PRELUDE="SET cdp.maintain_profiles = off" time_sql "$off_sql" 3)
report "ingest ${batches}x1000 track, profiles + 3 traits" "$on" "cdp.maintain_profiles = off" "$off" "ratio = off/on"

# customer_profile latency: 1,000 random customers, each call timed alone.
bench_psql -At <<SQL | while IFS='|' read -r med p99; do report "customer_profile median (p99 ${p99} ms)" "$med" "Segment Profile API target" 200; done
CREATE TEMP TABLE lat (ms float8);
DO \$\$
DECLARE c bigint; t timestamptz; j jsonb;
BEGIN
  FOR i IN 1 .. 1000 LOOP
    SELECT customer_id INTO c FROM cdp.profiles OFFSET floor(random() * (SELECT count(*) FROM cdp.profiles))::int LIMIT 1;
    t := clock_timestamp();
    j := cdp.customer_profile(c);
    INSERT INTO lat VALUES (extract(epoch FROM clock_timestamp() - t) * 1000);
  END LOOP;
END \$\$;
SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3), round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 3) FROM lat;
SQL

full=$(time_sql "CALL cdp.refresh_computed_traits(true)" 1)
bench_psql -c "DROP TABLE IF EXISTS pb_ref; CREATE TABLE pb_ref (c bigint, j jsonb)"
# The reference computes what the full recomputation computes: the three
# bench traits, the four RFM built-ins and the RFM quintile scores.
ref=$(time_sql "INSERT INTO pb_ref SELECT c, j || jsonb_build_object('rfm_r', 6 - ntile(5) OVER (ORDER BY rec NULLS FIRST), 'rfm_f', ntile(5) OVER (ORDER BY freq), 'rfm_m', ntile(5) OVER (ORDER BY mon NULLS FIRST)) FROM (SELECT r.customer_id AS c, count(*) FILTER (WHERE e.event = 'Order Completed') AS freq, sum(cdp._order_value(e.properties)) FILTER (WHERE e.event = 'Order Completed') AS mon, max(e.occurred_at) FILTER (WHERE e.event = 'Order Completed') AS rec, jsonb_build_object('a', count(*) FILTER (WHERE e.event = 'Product Viewed' AND e.occurred_at > now() - interval '30 days'), 'b', sum((e.properties->>'revenue')::numeric) FILTER (WHERE e.event = 'Order Completed' AND e.occurred_at > now() - interval '90 days'), 'c', mode() WITHIN GROUP (ORDER BY e.properties->'sku') FILTER (WHERE e.event = 'Product Viewed'), 'f', count(*) FILTER (WHERE e.event = 'Order Completed'), 'm', sum(cdp._order_value(e.properties)) FILTER (WHERE e.event = 'Order Completed'), 'l', max(e.occurred_at) FILTER (WHERE e.event = 'Order Completed'), 'd', floor(extract(epoch FROM now() - max(e.occurred_at) FILTER (WHERE e.event = 'Order Completed')) / 86400)) AS j FROM cdp.records r JOIN cdp.events e ON e.record_id = r.record_id GROUP BY r.customer_id) s" 1)
report "full recomputation of computed traits" "$full" "INSERT..SELECT..GROUP BY" "$ref"
day=$(TIME_SQL_PRELUDE="SELECT set_config('cdp.test_now', (coalesce((SELECT last_refresh_at FROM cdp.computed_state), now()) + interval '1 day')::text, false)" time_sql "CALL cdp.refresh_computed_traits()" 1)
report "window refresh after a day" "$day" "full recomputation" "$full"

bench_psql <<SQL
INSERT INTO cdp.events (record_id, type, event, properties, occurred_at, message_id)
SELECT (SELECT record_id FROM cdp.records WHERE source = 'pbench' AND source_key = 'u1'), 'track', 'Product Viewed', '{}', now(), 'pb-f-' || g
  FROM generate_series(1, 1000) g;
SQL
# (a first forget in the same session, untimed, loads the library and plans)
forget=$(TIME_SQL_PRELUDE="SELECT cdp.forget_customer(cdp.customer_id('user_id', 'u2'))" time_sql "SELECT cdp.forget_customer(cdp.customer_id('user_id', 'u1'))" 1)
report "forget_customer, 1000 events" "$forget" "target" 50
