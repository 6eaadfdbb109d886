-- Predictions (DESIGN.md section 9; reference: docs/predict.md): best time to
-- send, product recommendations, purchase propensity, rule-based scores.
-- Models are built in C++ (src/core/predict) from one pass over cdp.events.

-- ---------------------------------------------------------------- tables
CREATE TABLE cdp.customer_items (
    customer_id bigint NOT NULL,
    product_id  text   NOT NULL,
    purchases   float8 NOT NULL DEFAULT 0,
    views       float8 NOT NULL DEFAULT 0,
    recency     float8 NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, product_id)
);
REVOKE ALL ON TABLE cdp.customer_items FROM PUBLIC;
GRANT SELECT ON cdp.customer_items TO cdp_reader;
COMMENT ON TABLE cdp.customer_items IS
    'Recommendation input per customer and product: orders containing it (net of cancellations and refunds), Product Viewed events, and recency (sum over purchases of 0.5^(age / 90 days)). Rebuilt by CALL cdp.refresh_recommendations().';

CREATE TABLE cdp.product_stats (
    product_id text PRIMARY KEY,
    category   text,
    buyers     float8 NOT NULL DEFAULT 0,
    viewers    float8 NOT NULL DEFAULT 0
);
REVOKE ALL ON TABLE cdp.product_stats FROM PUBLIC;
GRANT SELECT ON cdp.product_stats TO cdp_reader;
COMMENT ON TABLE cdp.product_stats IS
    'Per product: the latest category seen in products[] and the number of distinct buyers and viewers (popularity). Rebuilt by CALL cdp.refresh_recommendations().';

CREATE TABLE cdp.product_neighbors (
    product_id  text   NOT NULL,
    neighbor_id text   NOT NULL,
    score       float8 NOT NULL,
    co_count    float8 NOT NULL,
    PRIMARY KEY (product_id, neighbor_id)
);
REVOKE ALL ON TABLE cdp.product_neighbors FROM PUBLIC;
GRANT SELECT ON cdp.product_neighbors TO cdp_reader;
COMMENT ON TABLE cdp.product_neighbors IS
    'Item-to-item model: the 50 most similar products of each product (cosine with inverse user frequency and significance shrinkage, see docs/predict.md) and the weighted co-occurrence count. Rebuilt by CALL cdp.refresh_recommendations().';

CREATE TABLE cdp.send_time_models (
    channel         text PRIMARY KEY,
    prior_strength  float8 NOT NULL,
    customers       bigint NOT NULL,
    events          float8 NOT NULL,
    distribution    float8[] NOT NULL CHECK (cardinality(distribution) = 168),
    refreshed_at    timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON TABLE cdp.send_time_models FROM PUBLIC;
GRANT SELECT ON cdp.send_time_models TO cdp_reader;
COMMENT ON TABLE cdp.send_time_models IS
    'Population hour-of-week distribution per channel (index dow*24+hour, dow 0 = Sunday; pooled counts + 0.5 per hour) and the empirical-Bayes prior strength. Rebuilt by CALL cdp.refresh_send_times().';

CREATE TABLE cdp.predictions (
    name       text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,40}$'),
    spec       jsonb NOT NULL,
    model      jsonb,
    metrics    jsonb,
    trained_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON TABLE cdp.predictions FROM PUBLIC;
GRANT SELECT ON cdp.predictions TO cdp_reader;
COMMENT ON TABLE cdp.predictions IS
    'Propensity predictions: spec (target event and horizon, trait features), the trained model (standardised logistic regression), its validation metrics. Scores live in profiles.computed as predicted_<name>.';

CREATE TABLE cdp.scores (
    name       text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,40}$'),
    rules      jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON TABLE cdp.scores FROM PUBLIC;
GRANT SELECT ON cdp.scores TO cdp_reader;
COMMENT ON TABLE cdp.scores IS
    'Rule-based scores (points per event or trait condition, decay, cap). Values live in profiles.computed as score_<name>.';

SELECT pg_catalog.pg_extension_config_dump('cdp.predictions', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.scores', '');

-- ---------------------------------------------------------------- send time
CREATE FUNCTION cdp._tz_ok(tz text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'cdp_tz_ok'
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION cdp._tz_ok(text) FROM PUBLIC;
COMMENT ON FUNCTION cdp._tz_ok(text) IS 'Is tz a time zone name the server knows?';

CREATE FUNCTION cdp._channel_events(channel text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN CASE channel
        WHEN 'email' THEN ARRAY['Email Opened', 'Email Link Clicked', 'Order Completed']
        WHEN 'push' THEN ARRAY['Application Opened', 'Push Notification Tapped', 'Order Completed']
        WHEN 'sms' THEN ARRAY['SMS Link Clicked', 'Order Completed']
        WHEN 'any' THEN ARRAY['Order Completed'] END;
REVOKE ALL ON FUNCTION cdp._channel_events(text) FROM PUBLIC;
COMMENT ON FUNCTION cdp._channel_events(text) IS
    'Engagement events of a channel (email, push, sms, any); purchases count for every channel. NULL for an unknown channel.';

-- Hour-of-week counts of engagement events (names in evs), per customer and
-- event name, in each customer's time zone (latest valid context.timezone of
-- the customer's events among evs, else trait timezone, else the
-- database's).  customer NULL: all customers.
CREATE FUNCTION cdp._send_time_counts(evs text[], customer bigint)
    RETURNS TABLE (customer_id bigint, event text, how int, events float8, timezone text)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH ev AS (
        SELECT r.customer_id, e.event, e.occurred_at, e.context ->> 'timezone' AS tz
          FROM cdp.events e JOIN cdp.records r ON r.record_id = e.record_id
         WHERE e.event = ANY (evs) AND r.customer_id IS NOT NULL
           AND (customer IS NULL OR r.customer_id = customer) AND e.occurred_at <= cdp._clock()
           AND NOT (e.event = 'Order Completed' AND coalesce(cdp._order_value(e.properties), 0) < 0)
    ), ctz AS (
        SELECT DISTINCT ON (ev.customer_id) ev.customer_id, ev.tz
          FROM ev WHERE ev.tz IS NOT NULL AND cdp._tz_ok(ev.tz)
         ORDER BY ev.customer_id, ev.occurred_at DESC
    ), tzs AS MATERIALIZED (
        SELECT c.customer_id,
               coalesce(ctz.tz, CASE WHEN cdp._tz_ok(p.traits ->> 'timezone') THEN p.traits ->> 'timezone' END,
                        current_setting('TimeZone')) AS tz
          FROM (SELECT DISTINCT ev.customer_id FROM ev) c
          LEFT JOIN ctz ON ctz.customer_id = c.customer_id
          LEFT JOIN cdp.profiles p ON p.customer_id = c.customer_id
    )
    SELECT ev.customer_id, ev.event,
           (extract(dow FROM ev.occurred_at AT TIME ZONE tzs.tz) * 24 + extract(hour FROM ev.occurred_at AT TIME ZONE tzs.tz))::int,
           count(*)::float8, tzs.tz
      FROM ev JOIN tzs ON tzs.customer_id = ev.customer_id
     GROUP BY 1, 2, 3, 5
$$;
REVOKE ALL ON FUNCTION cdp._send_time_counts(text[], bigint) FROM PUBLIC;
COMMENT ON FUNCTION cdp._send_time_counts(text[], bigint) IS
    'Hour-of-week (dow*24+hour) counts of engagement events (names in evs) per customer and event in the customer''s time zone (all customers when customer is NULL).';

CREATE FUNCTION cdp.send_time_distribution(channel text DEFAULT 'email')
    RETURNS TABLE (dow int, hour int, events float8, share float8)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF cdp._channel_events(channel) IS NULL THEN
        RAISE EXCEPTION 'unknown channel "%"', channel USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Channels: email, push, sms, any.';
    END IF;
    RETURN QUERY
    WITH c AS (SELECT x.how, sum(x.events) AS n FROM cdp._send_time_counts(cdp._channel_events(channel), NULL) x GROUP BY x.how),
         h AS (SELECT g AS how FROM generate_series(0, 167) g)
    SELECT h.how / 24, h.how % 24, coalesce(c.n, 0)::float8,
           (coalesce(c.n, 0) / nullif(sum(c.n) OVER (), 0))::float8
      FROM h LEFT JOIN c ON c.how = h.how ORDER BY h.how;
END
$$;
REVOKE ALL ON FUNCTION cdp.send_time_distribution(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.send_time_distribution(text) TO cdp_reader;
COMMENT ON FUNCTION cdp.send_time_distribution(text) IS
    'The population''s hour-of-week table of a channel''s engagement events (each in its customer''s time zone): dow (0 = Sunday), hour, events, share.';

CREATE PROCEDURE cdp.refresh_send_times()
    AS 'MODULE_PATHNAME', 'cdp_refresh_send_times'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON PROCEDURE cdp.refresh_send_times() FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE cdp.refresh_send_times() TO cdp_admin;
COMMENT ON PROCEDURE cdp.refresh_send_times() IS
    'Rebuilds cdp.send_time_models for every channel: the population distribution and the empirical-Bayes prior strength (maximum Dirichlet-multinomial marginal likelihood). pg_cron-schedulable.';

CREATE FUNCTION cdp.best_send_time(customer_id bigint, channel text DEFAULT 'email') RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_best_send_time'
    LANGUAGE C STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp SET jit = off;
REVOKE ALL ON FUNCTION cdp.best_send_time(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.best_send_time(bigint, text) TO cdp_reader;
COMMENT ON FUNCTION cdp.best_send_time(bigint, text) IS
    'Best hour of week to reach a customer on a channel: {"dow","hour","timezone","confidence","basis"}; the customer''s hour-of-week histogram shrunk toward the population (empirical Bayes).';

-- ---------------------------------------------------------------- recommendations
CREATE PROCEDURE cdp.refresh_recommendations()
    AS 'MODULE_PATHNAME', 'cdp_refresh_recommendations'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON PROCEDURE cdp.refresh_recommendations() FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE cdp.refresh_recommendations() TO cdp_admin;
COMMENT ON PROCEDURE cdp.refresh_recommendations() IS
    'Rebuilds the item-to-item model (cdp.customer_items, cdp.product_stats, cdp.product_neighbors) from Order Completed products[] (net of cancellations and Order Refunded) and Product Viewed. pg_cron-schedulable.';

CREATE FUNCTION cdp._recommend(customer_id bigint, k int, include_bought boolean, category text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_recommend'
    LANGUAGE C STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp SET jit = off;
REVOKE ALL ON FUNCTION cdp._recommend(bigint, int, boolean, text) FROM PUBLIC;
COMMENT ON FUNCTION cdp._recommend(bigint, int, boolean, text) IS
    'Ranking behind cdp.recommend_products, as a jsonb array.';

CREATE FUNCTION cdp.recommend_products(customer_id bigint, k int DEFAULT 10, include_bought boolean DEFAULT false,
                                       category text DEFAULT NULL)
    RETURNS TABLE (product_id text, score float8, reason jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT x.product_id, x.score, x.reason
      FROM jsonb_to_recordset(cdp._recommend(customer_id, k, include_bought, category))
           AS x(product_id text, score float8, reason jsonb)
$$;
REVOKE ALL ON FUNCTION cdp.recommend_products(bigint, int, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.recommend_products(bigint, int, boolean, text) TO cdp_reader;
COMMENT ON FUNCTION cdp.recommend_products(bigint, int, boolean, text) IS
    'Top k products for a customer: item-to-item similarity to what they bought (views weigh 0.3), optionally their own repeat purchases (include_bought), restricted to a category when given, filled from popularity; reason names the product that led to each.';

CREATE FUNCTION cdp.similar_products(product_id text, k int DEFAULT 10)
    RETURNS TABLE (product_id text, score float8, reason jsonb)
    LANGUAGE sql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT n.neighbor_id, n.score,
           jsonb_build_object('because', 'similar', 'product_id', n.product_id, 'co_count', n.co_count)
      FROM cdp.product_neighbors n
     WHERE n.product_id = similar_products.product_id
     ORDER BY n.score DESC, n.neighbor_id
     LIMIT greatest(k, 0)
$$;
REVOKE ALL ON FUNCTION cdp.similar_products(text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.similar_products(text, int) TO cdp_reader;
COMMENT ON FUNCTION cdp.similar_products(text, int) IS
    'The k products most often bought (or viewed) by the buyers of product_id, by the item-to-item score.';

-- ---------------------------------------------------------------- propensity
CREATE FUNCTION cdp.create_prediction(name text, spec jsonb) RETURNS void
    AS 'MODULE_PATHNAME', 'cdp_create_prediction'
    LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION cdp.create_prediction(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.create_prediction(text, jsonb) TO cdp_admin;
COMMENT ON FUNCTION cdp.create_prediction(text, jsonb) IS
    'Creates or replaces a propensity prediction: {"target":{"event":...,"within":"30 days"}, "traits":[...], "l2":1}. Train it with cdp.train_prediction(name).';

CREATE FUNCTION cdp.train_prediction(name text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_train_prediction'
    LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION cdp.train_prediction(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.train_prediction(text) TO cdp_admin;
COMMENT ON FUNCTION cdp.train_prediction(text) IS
    'Trains a prediction on a time split (features before now - 2 horizons, labels in the next horizon; validated on the last horizon; refitted on it), stores the model, writes predicted_<name> into every profile, returns AUC, log-loss, calibration and weights.';

CREATE FUNCTION cdp.predict(name text, customer_id bigint) RETURNS float8
    AS 'MODULE_PATHNAME', 'cdp_predict'
    LANGUAGE C STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp SET jit = off;
REVOKE ALL ON FUNCTION cdp.predict(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.predict(text, bigint) TO cdp_reader;
COMMENT ON FUNCTION cdp.predict(text, bigint) IS
    'Probability that the customer does the prediction''s target event within its horizon, from their events now.';

CREATE FUNCTION cdp.explain_prediction(name text, customer_id bigint) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_explain_prediction'
    LANGUAGE C STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp SET jit = off;
REVOKE ALL ON FUNCTION cdp.explain_prediction(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.explain_prediction(text, bigint) TO cdp_reader;
COMMENT ON FUNCTION cdp.explain_prediction(text, bigint) IS
    'Why: the probability, the bias and each feature''s value and log-odds contribution for that customer, largest first.';

-- ---------------------------------------------------------------- scores
CREATE FUNCTION cdp.create_score(name text, rules jsonb) RETURNS bigint
    AS 'MODULE_PATHNAME', 'cdp_create_score'
    LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION cdp.create_score(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.create_score(text, jsonb) TO cdp_admin;
COMMENT ON FUNCTION cdp.create_score(text, jsonb) IS
    'Creates or replaces a rule-based score (points per event with optional half-life and window, or per trait / computed-trait condition; optional cap) and writes score_<name> into every profile; returns the number of profiles with points.';

CREATE PROCEDURE cdp.refresh_scores()
    AS 'MODULE_PATHNAME', 'cdp_refresh_scores'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON PROCEDURE cdp.refresh_scores() FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE cdp.refresh_scores() TO cdp_admin;
COMMENT ON PROCEDURE cdp.refresh_scores() IS 'Recomputes every score_<name> (decay moves with the clock). pg_cron-schedulable.';
