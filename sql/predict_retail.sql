-- Predictions evaluated on real retail data (UCI Online Retail, Dec 2010 -
-- May 2011, CC BY 4.0: Chen, D. (2015), UCI Machine Learning Repository,
-- doi:10.24432/C5BW33; see test/data/SOURCES.md), each against the baselines
-- a data scientist would try first, all computed here on held-out data.
-- Split: the models see events before 2011-04-01 (recommendations, send
-- time) or 2011-05-01 (propensity, horizon 30 days); the test windows are
-- 2011-04-01 .. 2011-06-01 and 2011-05-01 .. 2011-05-31.
\set QUIET on
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET jit = off;
\getenv cdp_data CDP_TEST_DATA
\set lines :cdp_data '/online_retail/lines.csv'
CREATE TEMP TABLE rl (invoice text, stock text, qty int, at timestamp, price numeric, customer bigint);
COPY rl FROM :'lines' (FORMAT csv, HEADER true);
-- One event per invoice: Order Completed (Order Refunded for C invoices),
-- products[] from its lines (StockCodes that are not products -- POST, DOT,
-- M, BANK CHARGES, ... -- left out), revenue, UK local time.
CREATE TEMP TABLE msgs AS
SELECT row_number() OVER (ORDER BY min(at), invoice) AS n,
       jsonb_build_object('type', 'track',
         'event', CASE WHEN invoice LIKE 'C%' THEN 'Order Refunded' ELSE 'Order Completed' END,
         'userId', customer::text, 'messageId', 'inv-' || invoice,
         'timestamp', to_jsonb(min(at) AT TIME ZONE 'Europe/London'),
         'context', jsonb_build_object('timezone', 'Europe/London'),
         'properties', jsonb_build_object('order_id', invoice, 'revenue', sum(qty * price),
             'products', coalesce(jsonb_agg(jsonb_build_object('product_id', stock, 'price', price, 'quantity', qty)
                   ORDER BY stock) FILTER (WHERE stock ~ '^[0-9]{5}'), '[]'))) AS m
  FROM rl GROUP BY invoice, customer;
SELECT sum((cdp.ingest(jsonb_build_object('batch', b), 'shop') ->> 'accepted')::int) AS accepted
  FROM (SELECT jsonb_agg(m ORDER BY n) b FROM msgs GROUP BY n / 1000) x;
-- Orders per customer and product, in the test's own terms.
CREATE TEMP TABLE lines AS
SELECT r.customer_id, e.occurred_at, e.event, p ->> 'product_id' AS product, (p ->> 'quantity')::int AS qty,
       (e.properties ->> 'revenue')::numeric AS revenue, e.event_id
  FROM cdp.events e JOIN cdp.records r ON r.record_id = e.record_id
  CROSS JOIN LATERAL jsonb_array_elements(e.properties -> 'products') p;
CREATE TEMP TABLE orders AS
SELECT r.customer_id, e.occurred_at, (e.properties ->> 'revenue')::numeric AS revenue
  FROM cdp.events e JOIN cdp.records r ON r.record_id = e.record_id WHERE e.event = 'Order Completed';

-- ------------------------------------------------------------ recommendations
SET cdp.test_now = '2011-04-01 00:00+00';
CALL cdp.refresh_recommendations();
CREATE TEMP TABLE train_buys AS
SELECT customer_id, product, count(DISTINCT event_id) AS orders
  FROM lines WHERE event = 'Order Completed' AND qty > 0 AND occurred_at < '2011-04-01' GROUP BY 1, 2;
CREATE TEMP TABLE truth AS
SELECT DISTINCT customer_id, product FROM lines
 WHERE event = 'Order Completed' AND qty > 0 AND occurred_at >= '2011-04-01'
   AND customer_id IN (SELECT customer_id FROM train_buys);
CREATE TEMP TABLE pop AS
SELECT product, count(*) AS buyers, row_number() OVER (ORDER BY count(*) DESC, product) AS rk FROM train_buys GROUP BY 1;
CREATE TEMP TABLE recs (method text, customer_id bigint, product text);
INSERT INTO recs SELECT 'cdp', c.customer_id, r.product_id
  FROM (SELECT DISTINCT customer_id FROM truth) c, cdp.recommend_products(c.customer_id, 10, true) r;
INSERT INTO recs SELECT 'popularity', c.customer_id, p.product
  FROM (SELECT DISTINCT customer_id FROM truth) c, pop p WHERE p.rk <= 10;
-- own most-bought items, filled from popularity
INSERT INTO recs SELECT 'own_most_bought', customer_id, product FROM (
  SELECT customer_id, product, row_number() OVER (PARTITION BY customer_id ORDER BY own DESC, rk) AS k FROM (
    SELECT c.customer_id, p.product, p.rk, coalesce(b.orders, 0) AS own
      FROM (SELECT DISTINCT customer_id FROM truth) c CROSS JOIN (SELECT * FROM pop WHERE rk <= 10) p
      LEFT JOIN train_buys b ON b.customer_id = c.customer_id AND b.product = p.product
    UNION
    SELECT b.customer_id, b.product, p.rk, b.orders FROM train_buys b JOIN pop p USING (product)
     WHERE b.customer_id IN (SELECT customer_id FROM truth)) u) v WHERE k <= 10;
-- plain item-item cosine over distinct (customer, product), 50 neighbours per item, scored over the history
CREATE TEMP TABLE cos AS
SELECT i, j, s FROM (
  SELECT a.product AS i, b.product AS j, count(*) / sqrt(pi.buyers * pj.buyers) AS s,
         row_number() OVER (PARTITION BY a.product ORDER BY count(*) / sqrt(pi.buyers * pj.buyers) DESC, b.product) AS k
    FROM train_buys a JOIN train_buys b ON a.customer_id = b.customer_id AND a.product <> b.product
    JOIN pop pi ON pi.product = a.product JOIN pop pj ON pj.product = b.product
   GROUP BY a.product, b.product, pi.buyers, pj.buyers) x WHERE k <= 50;
INSERT INTO recs SELECT 'item_cosine', customer_id, j FROM (
  SELECT h.customer_id, c.j, row_number() OVER (PARTITION BY h.customer_id ORDER BY sum(c.s) DESC, c.j) AS k
    FROM train_buys h JOIN cos c ON c.i = h.product WHERE h.customer_id IN (SELECT customer_id FROM truth)
   GROUP BY h.customer_id, c.j) x WHERE k <= 10;
CREATE TEMP TABLE rec_metrics AS
SELECT m.method, avg((hits > 0)::int)::numeric(5, 3) AS hit_rate_10, avg(hits::numeric / n)::numeric(5, 3) AS recall_10,
       count(*) AS customers
  FROM (SELECT DISTINCT method FROM recs) m
  CROSS JOIN LATERAL (
    SELECT t.customer_id, count(*) AS n, count(r.product) AS hits
      FROM truth t LEFT JOIN recs r ON r.method = m.method AND r.customer_id = t.customer_id AND r.product = t.product
     GROUP BY t.customer_id) c
 GROUP BY m.method;
\set QUIET off
SELECT * FROM rec_metrics ORDER BY recall_10 DESC, method;
-- cdp against each baseline (hit rate and recall)
SELECT b.method AS baseline, c.hit_rate_10 >= b.hit_rate_10 AS cdp_hit_rate_at_least, c.recall_10 > b.recall_10 AS cdp_recall_higher
  FROM rec_metrics c, rec_metrics b WHERE c.method = 'cdp' AND b.method <> 'cdp' ORDER BY b.method;
-- every recommendation explains itself
SELECT count(*) FILTER (WHERE reason ->> 'because' IS NULL) AS unexplained,
       count(*) FILTER (WHERE reason ->> 'because' = 'similar' AND NOT EXISTS (
           SELECT 1 FROM train_buys b WHERE b.customer_id = cdp.customer_id('user_id', '12347') AND b.product = reason ->> 'product_id'))
           AS similar_to_unbought
  FROM cdp.recommend_products((SELECT cdp.customer_id('user_id', '12347')), 10);
\set QUIET on

-- ------------------------------------------------------------ send time
CALL cdp.refresh_send_times();
CREATE TEMP TABLE how_train AS
SELECT customer_id, (extract(dow FROM occurred_at AT TIME ZONE 'Europe/London') * 24
                     + extract(hour FROM occurred_at AT TIME ZONE 'Europe/London'))::int AS how
  FROM orders WHERE occurred_at < '2011-04-01';
CREATE TEMP TABLE first_test AS
SELECT DISTINCT ON (customer_id) customer_id, (extract(dow FROM occurred_at AT TIME ZONE 'Europe/London') * 24
                     + extract(hour FROM occurred_at AT TIME ZONE 'Europe/London'))::int AS how
  FROM orders WHERE occurred_at >= '2011-04-01' ORDER BY customer_id, occurred_at;
CREATE TEMP TABLE pop_mode AS
SELECT how FROM how_train GROUP BY how ORDER BY count(*) DESC, how LIMIT 1;
CREATE TEMP TABLE own_mode AS
SELECT DISTINCT ON (customer_id) customer_id, how FROM how_train GROUP BY customer_id, how
 ORDER BY customer_id, count(*) DESC, how;
CREATE TEMP TABLE st_pred AS
SELECT f.customer_id, f.how AS actual,
       (SELECT how FROM pop_mode) AS population_mode,
       coalesce(o.how, (SELECT how FROM pop_mode)) AS own_mode,
       ((b ->> 'dow')::int * 24 + (b ->> 'hour')::int) AS cdp
  FROM first_test f LEFT JOIN own_mode o USING (customer_id), cdp.best_send_time(f.customer_id, 'email') b;
CREATE FUNCTION pg_temp.near(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE
    RETURN (least(abs(a - b) % 168, 168 - abs(a - b) % 168) <= 1)::int;
CREATE TEMP TABLE st_metrics AS
SELECT avg(pg_temp.near(cdp, actual))::numeric(5, 3) AS cdp,
       avg(pg_temp.near(population_mode, actual))::numeric(5, 3) AS population_mode,
       avg(pg_temp.near(own_mode, actual))::numeric(5, 3) AS own_mode, count(*) AS customers
  FROM st_pred;
\set QUIET off
SELECT * FROM st_metrics;
SELECT cdp >= greatest(population_mode, own_mode) AS cdp_at_least_best_baseline FROM st_metrics;
SELECT prior_strength > 0.1 AND prior_strength < 10000 AS prior_estimated, customers > 1000 AS enough
  FROM cdp.send_time_models WHERE channel = 'email';
SELECT b -> 'timezone' AS timezone, b -> 'basis' ? 'events' AS has_basis
  FROM cdp.best_send_time((SELECT cdp.customer_id('user_id', '12347'))) b;
\set QUIET on

-- ------------------------------------------------------------ propensity
SET cdp.test_now = '2011-05-01 00:00+00';
SELECT cdp.create_prediction('buy_30d', '{"target":{"event":"Order Completed","within":"30 days"}}');
CREATE TEMP TABLE report AS SELECT cdp.train_prediction('buy_30d') AS j;
CREATE TEMP TABLE prop AS
SELECT o.customer_id,
       (EXISTS (SELECT 1 FROM orders t WHERE t.customer_id = o.customer_id
                 AND t.occurred_at >= '2011-05-01' AND t.occurred_at < timestamptz '2011-05-01' + interval '30 days'))::int AS y,
       -extract(epoch FROM '2011-05-01'::timestamptz - max(o.occurred_at)) AS recency,
       count(*) AS frequency, sum(o.revenue) AS monetary,
       (SELECT (p.computed ->> 'predicted_buy_30d')::float8 FROM cdp.profiles p WHERE p.customer_id = o.customer_id) AS cdp
  FROM orders o WHERE o.occurred_at < '2011-05-01' GROUP BY o.customer_id;
UPDATE prop SET cdp = NULL WHERE cdp IS NULL;
CREATE TEMP TABLE prop_rfm AS
SELECT customer_id, ntile(5) OVER (ORDER BY recency) + ntile(5) OVER (ORDER BY frequency)
       + ntile(5) OVER (ORDER BY monetary) AS rfm FROM prop;
CREATE FUNCTION pg_temp.auc(scores float8[], labels int[]) RETURNS numeric LANGUAGE sql IMMUTABLE RETURN (
  WITH d AS (SELECT s, y FROM unnest(scores, labels) u(s, y)),
       r AS (SELECT y, rank() OVER (ORDER BY s) + (count(*) OVER (PARTITION BY s) - 1) / 2.0 AS rk FROM d)
  SELECT ((sum(rk) FILTER (WHERE y = 1) - count(*) FILTER (WHERE y = 1) * (count(*) FILTER (WHERE y = 1) + 1) / 2.0)
         / (count(*) FILTER (WHERE y = 1) * count(*) FILTER (WHERE y = 0)))::numeric(5, 3) FROM r);
CREATE TEMP TABLE prop_metrics AS
SELECT pg_temp.auc(array_agg(p.cdp), array_agg(p.y)) AS cdp,
       pg_temp.auc(array_agg(p.recency), array_agg(p.y)) AS recency,
       pg_temp.auc(array_agg(p.frequency::float8), array_agg(p.y)) AS frequency,
       pg_temp.auc(array_agg(r.rfm::float8), array_agg(p.y)) AS rfm_score,
       count(*) AS customers, sum(p.y) AS positives
  FROM prop p JOIN prop_rfm r USING (customer_id);
\set QUIET off
SELECT count(*) FILTER (WHERE cdp IS NULL) AS unscored FROM prop;
SELECT * FROM prop_metrics;
SELECT cdp > greatest(recency, frequency, rfm_score) AS cdp_beats_best_baseline FROM prop_metrics;
SELECT (j ->> 'auc')::float8 > 0.5 AS validated, jsonb_array_length(j -> 'calibration') AS calibration_bins,
       (j -> 'train' ->> 'cutoff') AS train_cutoff, (j -> 'validation' ->> 'cutoff') AS validation_cutoff
  FROM report;
-- explanation: contributions add up to the logit
SELECT abs(ln(p / (1 - p)) - (e ->> 'bias')::float8
           - (SELECT sum((c ->> 'contribution')::float8) FROM jsonb_array_elements(e -> 'contributions') c)) < 1e-9 AS adds_up,
       abs(p - (e ->> 'probability')::float8) < 1e-12 AS same_probability
  FROM (SELECT cdp.predict('buy_30d', cdp.customer_id('user_id', '12347')) AS p,
               cdp.explain_prediction('buy_30d', cdp.customer_id('user_id', '12347')) AS e) x;
