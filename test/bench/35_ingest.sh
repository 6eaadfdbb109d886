# cdp.ingest throughput: batches of 1,000 Segment `track` events (50 users per
# batch, realistic properties/context), with cdp.events empty and holding
# 10M * BENCH_SCALE rows; new users (50 records created per batch) and
# returning users (records known: no identity work).  Peer: a plain INSERT ... SELECT FROM
# jsonb_array_elements of the same batches into a copy of cdp.events (same
# columns and indexes, same row count): the physical limit of storing them.
batches=${INGEST_BENCH_BATCHES:-10}   # batches per timed run (x1000 events)
prefill=$(awk -v s="${BENCH_SCALE:-1}" 'BEGIN { printf "%d", 10000000 * s }')
[ "$prefill" -lt 1 ] && prefill=1
bench_psql <<SQL
CREATE EXTENSION IF NOT EXISTS cdp;
DROP TABLE IF EXISTS ingest_bench_batches, ingest_peer_events;
DROP SEQUENCE IF EXISTS ingest_bench_ours, ingest_bench_peer;
CREATE SEQUENCE ingest_bench_ours; CREATE SEQUENCE ingest_bench_peer;
CREATE TABLE ingest_peer_events (LIKE cdp.events INCLUDING ALL);
-- 9 runs (3 timed runs per case, 3 cases) of $batches batches; runs 7-9 reuse the users of runs 1-3.
CREATE TABLE ingest_bench_batches AS
SELECT r AS run, b, jsonb_build_object('batch', jsonb_agg(jsonb_build_object(
         'type', 'track',
         'messageId', format('r%s-b%s-%s', r, b, i),
         'userId', format('user-%s-%s-%s', (r - 1) % 6 + 1, b, i % 50),
         'anonymousId', format('anon-%s-%s-%s', (r - 1) % 6 + 1, b, i % 50),
         'event', 'Product Viewed',
         'properties', jsonb_build_object('product_id', 'p' || (i % 500), 'sku', 'SKU-' || (i % 500),
                                          'price', (i % 100) + 0.99, 'currency', 'EUR', 'category', 'Shoes'),
         'context', jsonb_build_object('ip', '10.0.' || (i % 200) || '.' || (i % 250),
                                       'userAgent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0',
                                       'library', jsonb_build_object('name', 'analytics.js', 'version', '2.11.1'),
                                       'page', jsonb_build_object('url', 'https://shop.example/p/' || (i % 500))),
         'timestamp', to_char(timestamptz '2024-01-01' + make_interval(secs => r * 100000 + b * 1000 + i),
                              'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY i)) AS body
  FROM generate_series(1, 9) r, generate_series(1, $batches) b, generate_series(1, 1000) i
 GROUP BY r, b;
VACUUM ANALYZE ingest_bench_batches;
SQL

# nextval() pinned once per statement by the CTE: each timed run ingests fresh batches.
ours_sql="WITH r AS (SELECT nextval('ingest_bench_ours') AS run) SELECT sum((cdp.ingest(body, 'bench')->>'accepted')::int) FROM ingest_bench_batches b, r WHERE b.run = r.run"
peer_sql="WITH r AS (SELECT nextval('ingest_bench_peer') AS run)
  INSERT INTO ingest_peer_events (record_id, type, event, properties, context, occurred_at, message_id)
  SELECT 0, m->>'type', m->>'event', m->'properties', m->'context', (m->>'timestamp')::timestamptz, m->>'messageId'
    FROM ingest_bench_batches b JOIN r USING (run), jsonb_array_elements(b.body->'batch') m
  ON CONFLICT (message_id) DO NOTHING"

n=$((batches * 1000))
ours=$(time_sql "$ours_sql" 3)
peer=$(time_sql "$peer_sql" 3)
rate=$(awk -v n="$n" -v t="$ours" 'BEGIN { printf "%.0f", n / t * 1000 }')
report "ingest: ${batches}x1000 track, new users, events empty" "$ours" "INSERT..jsonb_array_elements" "$peer" "${rate} events/s"

# Pre-fill both tables with the same number of rows, then measure again.
bench_psql <<SQL
INSERT INTO cdp.events (record_id, type, event, properties, context, occurred_at, message_id)
SELECT g % 100000, 'track', 'Prefill', jsonb_build_object('n', g), '{}', timestamptz '2023-01-01' + g * interval '1 second',
       'prefill-' || g
  FROM generate_series(1, $prefill) g;
INSERT INTO ingest_peer_events (record_id, type, event, properties, context, occurred_at, message_id)
SELECT record_id, type, event, properties, context, occurred_at, message_id FROM cdp.events WHERE event = 'Prefill';
VACUUM ANALYZE cdp.events; VACUUM ANALYZE ingest_peer_events;
CHECKPOINT;
SQL
ours=$(time_sql "$ours_sql" 3)
peer=$(time_sql "$peer_sql" 3)
rate=$(awk -v n="$n" -v t="$ours" 'BEGIN { printf "%.0f", n / t * 1000 }')
report "ingest: ${batches}x1000 track, new users, ${prefill} rows" "$ours" "INSERT..jsonb_array_elements" "$peer" "${rate} events/s"
ours=$(time_sql "$ours_sql" 3)
peer=$(time_sql "$peer_sql" 3)
rate=$(awk -v n="$n" -v t="$ours" 'BEGIN { printf "%.0f", n / t * 1000 }')
report "ingest: ${batches}x1000 track, returning users, ${prefill} rows" "$ours" "INSERT..jsonb_array_elements" "$peer" "${rate} events/s"
