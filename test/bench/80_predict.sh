# Predictions: CALL cdp.refresh_recommendations() versus a hand-written SQL
# item-item co-occurrence (GROUP BY over a self-join, top 50 per item);
# recommend_products and best_send_time latency (median of 500 calls) against
# the issue's targets; train_prediction (train + validate + score everyone)
# versus a hand-written SQL RFM score over the same events.  Sizes: 1M
# customers / 10M events at BENCH_SCALE=1.
customers=$(awk -v s="${BENCH_SCALE:-1}" 'BEGIN { n = int(1000000 * s); print (n < 200 ? 200 : n) }')
events=$((customers * 10))
bench_psql <<SQL
CREATE EXTENSION IF NOT EXISTS cdp;
SET cdp.maintain_profiles = off;
SET cdp.defer_resolution = on;
INSERT INTO cdp.sources (source) VALUES ('prbench') ON CONFLICT DO NOTHING;
INSERT INTO cdp.records (source, source_key)
SELECT 'prbench', 'u' || g FROM generate_series(1, $customers) g ON CONFLICT DO NOTHING;
INSERT INTO cdp.identifiers (record_id, id_type, id_value)
SELECT record_id, 'user_id', source_key FROM cdp.records WHERE source = 'prbench' ON CONFLICT DO NOTHING;
-- 1 order in 4 events (2-4 products from a customer-specific shelf of 2,000 products), the rest views and e-mail opens
INSERT INTO cdp.events (record_id, type, event, properties, context, occurred_at, message_id)
SELECT r.record_id, 'track',
       CASE WHEN g % 4 = 0 THEN 'Order Completed' WHEN g % 4 = 1 THEN 'Product Viewed' ELSE 'Email Opened' END,
       CASE WHEN g % 4 = 0 THEN jsonb_build_object('revenue', g % 97 + 1, 'products', jsonb_build_array(
                jsonb_build_object('product_id', 'P' || ((g / 4) % 50 + (g % 40) * 50), 'price', 5, 'quantity', 1),
                jsonb_build_object('product_id', 'P' || ((g / 4 + 7) % 50 + (g % 40) * 50), 'price', 7, 'quantity', 2)))
            WHEN g % 4 = 1 THEN jsonb_build_object('product_id', 'P' || (g % 2000)) ELSE '{}' END,
       '{"timezone":"Europe/Berlin"}',
       timestamptz '2026-01-01' + (g % 180) * interval '1 day' + ((g::bigint * 7919) % 86400) * interval '1 second', 'prb-' || g
  FROM generate_series(1, $events) g JOIN cdp.records r ON r.source = 'prbench' AND r.source_key = 'u' || (g % $customers + 1)
ON CONFLICT DO NOTHING;
RESET cdp.defer_resolution;
SELECT cdp.resolve_identities() IS NOT NULL;
VACUUM ANALYZE;
SQL
export TIME_SQL_PRELUDE="SET cdp.test_now = '2026-07-01 00:00+00'"
ours=$(time_sql "CALL cdp.refresh_recommendations()" 1)
peer=$(time_sql "CREATE TEMP TABLE co AS SELECT i, j, n FROM (SELECT a.p AS i, b.p AS j, count(*) AS n, row_number() OVER (PARTITION BY a.p ORDER BY count(*) DESC) AS k FROM (SELECT DISTINCT r.customer_id, x ->> 'product_id' AS p FROM cdp.events e JOIN cdp.records r USING (record_id), jsonb_array_elements(e.properties -> 'products') x WHERE e.event = 'Order Completed') a JOIN (SELECT DISTINCT r.customer_id, x ->> 'product_id' AS p FROM cdp.events e JOIN cdp.records r USING (record_id), jsonb_array_elements(e.properties -> 'products') x WHERE e.event = 'Order Completed') b ON a.customer_id = b.customer_id AND a.p <> b.p GROUP BY 1, 2) z WHERE k <= 50" 1)
report "refresh_recommendations ($customers customers)" "$ours" "SQL self-join co-occurrence" "$peer" "target <= 60 s"
ours=$(time_sql "CALL cdp.refresh_send_times()" 1)
report "refresh_send_times" "$ours" "(no peer)" "$ours"

latency() { # latency "<expression of c>"  -> median ms of 500 calls
  bench_psql -At <<SQL
SET cdp.test_now = '2026-07-01 00:00+00';
CREATE TEMP TABLE lat (ms float8);
DO \$\$
DECLARE c bigint; t timestamptz; n int;
BEGIN
  FOR i IN 1 .. 500 LOOP
    c := (SELECT customer_id FROM cdp.records WHERE source = 'prbench' AND source_key = 'u' || (1 + (i * 7919) % $customers));
    t := clock_timestamp();
    PERFORM $1;
    INSERT INTO lat VALUES (extract(epoch FROM clock_timestamp() - t) * 1000);
  END LOOP;
END \$\$;
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM lat;
SQL
}
report "recommend_products median" "$(latency 'count(*) FROM cdp.recommend_products(c, 10)')" "target" 5
report "best_send_time median" "$(latency 'cdp.best_send_time(c)')" "target" 2

bench_psql -c "SELECT cdp.create_prediction('bench_buy', '{\"target\":{\"event\":\"Order Completed\",\"within\":\"30 days\"}}')" >/dev/null
ours=$(time_sql "SELECT cdp.train_prediction('bench_buy') IS NOT NULL" 1)
peer=$(time_sql "CREATE TEMP TABLE rfm AS SELECT r.customer_id, ntile(5) OVER (ORDER BY max(e.occurred_at)) + ntile(5) OVER (ORDER BY count(*)) + ntile(5) OVER (ORDER BY sum((e.properties->>'revenue')::numeric)) AS s FROM cdp.events e JOIN cdp.records r USING (record_id) WHERE e.event = 'Order Completed' GROUP BY 1" 1)
report "train_prediction ($customers customers, all scored)" "$ours" "SQL RFM quintile score" "$peer" "target: 100k train <= 30 s, 1M scored <= 10 s"
report "predict median" "$(latency "cdp.predict('bench_buy', c)")" "target" 5
