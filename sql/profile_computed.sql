-- Computed traits: maintained values equal a hand-written SQL reference on a
-- generated event history, on write (ingest), after the clock moves (window
-- expiry with CALL cdp.refresh_computed_traits()), exactly at a window
-- boundary, and for the RFM built-ins, quintile scores and segment names.
-- The clock is moved with the test-only setting cdp.test_now.  Sources are
-- prefixed 'pc_'.
\set SHOW_CONTEXT never
SELECT cdp.rfm_segment(5, 5) AS loads_the_library;
SET cdp.test_now = '2026-06-01 00:00:00+00';

-- 1. Definitions, and the errors naming the bad part.
SELECT cdp.create_computed_trait('pc_views_7d', '{"aggregate": "count", "event": "Product Viewed", "within": "7 days"}');
SELECT cdp.create_computed_trait('pc_eur_30d', '{"aggregate": "sum", "event": "Order Completed", "property": "revenue",
    "within": "30 days", "where": [{"property": "currency", "op": "eq", "value": "EUR"}]}');
SELECT cdp.create_computed_trait('pc_avg_rev', '{"aggregate": "avg", "event": "Order Completed", "property": "revenue"}');
SELECT cdp.create_computed_trait('pc_max_rev_14d', '{"aggregate": "max", "event": "Order Completed", "property": "revenue", "within": "14 days"}');
SELECT cdp.create_computed_trait('pc_first_sku', '{"aggregate": "first", "event": "Product Viewed", "property": "sku"}');
SELECT cdp.create_computed_trait('pc_last_sku_3d', '{"aggregate": "last", "event": "Product Viewed", "property": "sku", "within": "3 days"}');
SELECT cdp.create_computed_trait('pc_skus', '{"aggregate": "distinct", "event": "Product Viewed", "property": "sku"}');
SELECT cdp.create_computed_trait('pc_fav_sku', '{"aggregate": "most_frequent", "event": "Product Viewed", "property": "sku"}');
SELECT cdp.create_computed_trait('pc_big_orders', '{"aggregate": "count", "event": ["Order Completed"],
    "where": [{"property": "revenue", "op": "gte", "value": 50}, {"property": "coupon", "op": "not_exists"}]}');
SELECT cdp.create_computed_trait('pc_bad', '{"aggregate": "sum", "event": "Order Completed"}');
SELECT cdp.create_computed_trait('pc_bad', '{"aggregate": "count", "where": [{"property": "a", "op": "eq", "value": 1}, {"property": "b", "op": "like"}]}');
SELECT cdp.create_computed_trait('pc_bad', '{"aggregate": "count", "within": "3 fortnights"}');
SELECT cdp.create_computed_trait('pc_bad', '{"aggregate": "count", "evnt": "x"}');
SELECT cdp.create_computed_trait('pc_bad', '{"aggregate": "days_since", "trait": "pc_skus"}');
SELECT cdp.create_computed_trait('rfm_monetary', '{"aggregate": "count"}');
SELECT cdp.drop_computed_trait('rfm_frequency');
SELECT cdp.drop_computed_trait('pc_nope');
SELECT name, builtin FROM cdp.computed_traits ORDER BY name;

-- 2. A generated history: 40 customers, orders (revenue, else total, else
--    products) and product views over the 60 days before the clock.
SELECT setseed(0.7);
CREATE TABLE pc_msgs AS
SELECT c, jsonb_build_object('type', 'track', 'userId', 'pc-user-' || c, 'messageId', 'pc-' || c || '-' || n,
        'timestamp', to_char(timestamptz '2026-06-01 00:00:00+00' - random() * interval '60 days', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'event', CASE WHEN random() < 0.4 THEN 'Order Completed' ELSE 'Product Viewed' END) AS m, random() AS p1, random() AS p2
  FROM generate_series(1, 40) c, generate_series(1, 1 + (c % 9) * 3) n;
UPDATE pc_msgs SET m = m || jsonb_build_object('properties', CASE
        WHEN m ->> 'event' = 'Product Viewed' THEN jsonb_build_object('sku', 'sku-' || floor(p1 * 5)::int)
        WHEN p1 < 0.7 THEN jsonb_build_object('revenue', round((p2 * 100)::numeric, 2), 'currency', CASE WHEN p2 < 0.6 THEN 'EUR' ELSE 'USD' END)
                           || CASE WHEN p2 < 0.2 THEN '{"coupon": "X"}'::jsonb ELSE '{}' END
        WHEN p1 < 0.85 THEN jsonb_build_object('total', round((p2 * 80)::numeric, 2))
        ELSE jsonb_build_object('products', jsonb_build_array(jsonb_build_object('price', 10, 'quantity', 2),
                                                              jsonb_build_object('price', round((p2 * 9)::numeric, 2))))
        END);
-- ingested in batches of 25, in random order
SELECT sum((cdp.ingest(jsonb_build_object('batch', b.msgs), 'pc_shop') ->> 'accepted')::int) AS accepted
  FROM (SELECT jsonb_agg(m) AS msgs FROM (SELECT m, row_number() OVER (ORDER BY random()) AS k FROM pc_msgs) x
         GROUP BY k / 25) b;

-- 3. The reference, written by hand per trait over the events of each
--    customer's records; differences counted per trait.
CREATE FUNCTION pc_reference() RETURNS TABLE (customer_id bigint, trait text, value jsonb)
LANGUAGE sql STABLE AS $$
WITH now AS (SELECT current_setting('cdp.test_now')::timestamptz AS t),
ev AS (SELECT r.customer_id, e.* FROM cdp.records r JOIN cdp.events e ON e.record_id = r.record_id WHERE r.source = 'pc_shop'),
per AS (
  SELECT c.customer_id,
    (SELECT count(*) FROM ev, now WHERE ev.customer_id = c.customer_id AND ev.event = 'Product Viewed' AND ev.occurred_at > now.t - interval '7 days') AS views_7d,
    (SELECT coalesce(sum((ev.properties ->> 'revenue')::numeric), 0) FROM ev, now WHERE ev.customer_id = c.customer_id AND ev.event = 'Order Completed'
        AND ev.properties ->> 'currency' = 'EUR' AND ev.properties ? 'revenue' AND ev.occurred_at > now.t - interval '30 days') AS eur_30d,
    (SELECT avg((ev.properties ->> 'revenue')::numeric) FROM ev WHERE ev.customer_id = c.customer_id AND ev.event = 'Order Completed' AND ev.properties ? 'revenue') AS avg_rev,
    (SELECT max((ev.properties ->> 'revenue')::numeric) FROM ev, now WHERE ev.customer_id = c.customer_id AND ev.event = 'Order Completed'
        AND ev.properties ? 'revenue' AND ev.occurred_at > now.t - interval '14 days') AS max_rev_14d,
    (SELECT ev.properties -> 'sku' FROM ev WHERE ev.customer_id = c.customer_id AND ev.event = 'Product Viewed' ORDER BY ev.occurred_at, ev.event_id LIMIT 1) AS first_sku,
    (SELECT ev.properties -> 'sku' FROM ev, now WHERE ev.customer_id = c.customer_id AND ev.event = 'Product Viewed' AND ev.occurred_at > now.t - interval '3 days'
        ORDER BY ev.occurred_at DESC, ev.event_id DESC LIMIT 1) AS last_sku_3d,
    (SELECT count(DISTINCT ev.properties ->> 'sku') FROM ev WHERE ev.customer_id = c.customer_id AND ev.event = 'Product Viewed') AS skus,
    (SELECT ev.properties -> 'sku' FROM ev WHERE ev.customer_id = c.customer_id AND ev.event = 'Product Viewed'
        GROUP BY ev.properties -> 'sku' ORDER BY count(*) DESC, ev.properties -> 'sku' LIMIT 1) AS fav_sku,
    (SELECT count(*) FROM ev WHERE ev.customer_id = c.customer_id AND ev.event = 'Order Completed'
        AND (ev.properties ->> 'revenue')::numeric >= 50 AND NOT ev.properties ? 'coupon') AS big_orders,
    (SELECT count(*) FROM ev WHERE ev.customer_id = c.customer_id AND ev.event = 'Order Completed') AS frequency,
    (SELECT coalesce(sum(coalesce((ev.properties ->> 'revenue')::numeric, (ev.properties ->> 'total')::numeric,
                                  (SELECT sum((p ->> 'price')::numeric * coalesce((p ->> 'quantity')::numeric, 1))
                                     FROM jsonb_array_elements(ev.properties -> 'products') p))), 0)
       FROM ev WHERE ev.customer_id = c.customer_id AND ev.event = 'Order Completed') AS monetary,
    (SELECT floor(extract(epoch FROM (SELECT now.t FROM now) - max(ev.occurred_at)) / 86400)::int FROM ev
      WHERE ev.customer_id = c.customer_id AND ev.event = 'Order Completed') AS recency
  FROM (SELECT DISTINCT r.customer_id FROM cdp.records r WHERE r.source = 'pc_shop') c)
SELECT per.customer_id, t.trait, t.value FROM per, LATERAL (VALUES
    ('pc_views_7d', to_jsonb(views_7d)), ('pc_eur_30d', to_jsonb(eur_30d)), ('pc_avg_rev', to_jsonb(avg_rev)),
    ('pc_max_rev_14d', to_jsonb(max_rev_14d)), ('pc_first_sku', first_sku), ('pc_last_sku_3d', last_sku_3d),
    ('pc_skus', to_jsonb(skus)), ('pc_fav_sku', fav_sku), ('pc_big_orders', to_jsonb(big_orders)),
    ('rfm_frequency', to_jsonb(frequency)), ('rfm_monetary', to_jsonb(monetary)), ('rfm_recency_days', to_jsonb(recency))) t(trait, value)
$$;
CREATE FUNCTION pc_diff() RETURNS TABLE (trait text, customers bigint, differ bigint)
LANGUAGE sql STABLE AS $$
SELECT r.trait, count(*), count(*) FILTER (WHERE NOT (
           coalesce(p.computed -> r.trait IS NULL AND (r.value IS NULL OR r.value = 'null'::jsonb), false)
        OR coalesce(jsonb_typeof(r.value) = 'number' AND jsonb_typeof(p.computed -> r.trait) = 'number'
                    AND (p.computed ->> r.trait)::numeric = (r.value #>> '{}')::numeric, false)
        OR coalesce(p.computed -> r.trait = r.value, false)))
  FROM pc_reference() r JOIN cdp.profiles p ON p.customer_id = r.customer_id
 GROUP BY r.trait ORDER BY r.trait
$$;
-- RFM reference: quintile cut points (percentile_disc) over the customers
-- with an order, scores by counting cut points passed, names from the grid.
CREATE FUNCTION pc_rfm_diff() RETURNS bigint LANGUAGE sql STABLE AS $$
WITH v AS (SELECT p.customer_id, (p.computed ->> 'rfm_recency_days')::float8 AS rd, (p.computed ->> 'rfm_frequency')::float8 AS fq,
                  (p.computed ->> 'rfm_monetary')::float8 AS mo, p.computed FROM cdp.profiles p
            WHERE (p.computed ->> 'rfm_frequency')::float8 > 0),
cut AS (SELECT percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY rd) AS r,
               percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY fq) AS f,
               percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY mo) AS m FROM v),
s AS (SELECT v.*, 5 - (SELECT count(*) FROM unnest(cut.r) x WHERE v.rd > x)::int AS r,
             1 + (SELECT count(*) FROM unnest(cut.f) x WHERE v.fq > x)::int AS f,
             1 + (SELECT count(*) FROM unnest(cut.m) x WHERE v.mo > x)::int AS m FROM v, cut),
grid(r, f, name) AS (VALUES
    (5,1,'New Customers'),(5,2,'Potential Loyalists'),(5,3,'Potential Loyalists'),(5,4,'Champions'),(5,5,'Champions'),
    (4,1,'Promising'),(4,2,'Potential Loyalists'),(4,3,'Potential Loyalists'),(4,4,'Loyal Customers'),(4,5,'Loyal Customers'),
    (3,1,'About to Sleep'),(3,2,'About to Sleep'),(3,3,'Need Attention'),(3,4,'Loyal Customers'),(3,5,'Loyal Customers'),
    (2,1,'Hibernating'),(2,2,'Hibernating'),(2,3,'At Risk'),(2,4,'At Risk'),(2,5,'Can''t Lose Them'),
    (1,1,'Lost'),(1,2,'Lost'),(1,3,'At Risk'),(1,4,'At Risk'),(1,5,'Can''t Lose Them'))
SELECT count(*) FROM s JOIN grid g ON g.r = s.r AND g.f = s.f
 WHERE (s.computed -> 'rfm_r', s.computed -> 'rfm_f', s.computed -> 'rfm_m', s.computed ->> 'rfm_segment')
       IS DISTINCT FROM (to_jsonb(s.r), to_jsonb(s.f), to_jsonb(s.m), g.name)
$$;

-- On write (every ingest recomputed its customers), before any refresh:
SELECT * FROM pc_diff();
-- 4. Time passes: 2 days later, before the refresh the windows are stale;
--    the refresh expires them and moves days_since, then all equal again.
SET cdp.test_now = '2026-06-03 00:00:00+00';
SELECT sum(differ) > 0 AS stale_before_refresh FROM pc_diff();
CALL cdp.refresh_computed_traits();
SELECT * FROM pc_diff() WHERE differ > 0;
SELECT pc_rfm_diff() AS rfm_differ, count(*) FILTER (WHERE computed ? 'rfm_segment') > 0 AS has_segments,
       count(DISTINCT computed ->> 'rfm_segment') > 2 AS several_segments
  FROM cdp.profiles p JOIN cdp.records r ON r.customer_id = p.customer_id WHERE r.source = 'pc_shop';
-- 5. Exactly at a window boundary: a view at T is inside "7 days" until
--    T + 7 days (exclusive), then out.
SELECT occurred_at AS t0 FROM cdp.events WHERE event = 'Product Viewed' AND message_id LIKE 'pc-%'
 ORDER BY occurred_at DESC LIMIT 1 \gset
SELECT set_config('cdp.test_now', (:'t0'::timestamptz + interval '7 days' - interval '1 microsecond')::text, false) IS NOT NULL AS moved;
CALL cdp.refresh_computed_traits();
SELECT * FROM pc_diff() WHERE differ > 0;
SELECT set_config('cdp.test_now', (:'t0'::timestamptz + interval '7 days')::text, false) IS NOT NULL AS moved;
CALL cdp.refresh_computed_traits();
SELECT * FROM pc_diff() WHERE differ > 0;
-- 6. A month later, and a new order (write path) and a full refresh agree.
SET cdp.test_now = '2026-07-05 12:00:00+00';
CALL cdp.refresh_computed_traits();
SELECT * FROM pc_diff() WHERE differ > 0;
SELECT cdp.ingest('{"type": "track", "userId": "pc-user-3", "event": "Order Completed", "messageId": "pc-late-1",
                    "timestamp": "2026-07-05T11:00:00Z", "properties": {"revenue": 70, "currency": "EUR"}}', 'pc_shop') ->> 'accepted' AS accepted;
SELECT * FROM pc_diff() WHERE differ > 0;
CALL cdp.refresh_computed_traits(true);
SELECT * FROM pc_diff() WHERE differ > 0;
SELECT pc_rfm_diff() AS rfm_differ;
-- 7. Merge and split move events with their records.
SELECT cdp.upsert_record('pc_shop', 'pc-user-1', '{"email": "pc.shared@example.org"}') IS NOT NULL AS a,
       cdp.upsert_record('pc_shop', 'pc-user-2', '{"email": "pc.shared@example.org"}') IS NOT NULL AS b;
SELECT * FROM pc_diff() WHERE differ > 0;
SELECT cdp.upsert_record('pc_shop', 'pc-user-2', '{}') IS NOT NULL AS split;
SELECT * FROM pc_diff() WHERE differ > 0;
-- 8. Dropping a trait removes it everywhere.
SELECT cdp.drop_computed_trait('pc_fav_sku');
SELECT count(*) AS still_there FROM cdp.profiles WHERE computed ? 'pc_fav_sku';
RESET cdp.test_now;
