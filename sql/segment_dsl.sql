-- Segment DSL: membership of each feature after a full refresh equals a
-- hand-written SQL reference on generated data; hostile definitions change
-- nothing and match literally; bad definitions are refused naming the part.
-- Sources 'sd_', segments 'sd_'.
\set SHOW_CONTEXT never
SET cdp.test_now = '2026-01-10 12:00:00+00';
SELECT count(*) AS records FROM (
  SELECT cdp.upsert_record('sd_crm', 'c' || i,
           jsonb_strip_nulls(jsonb_build_object('user_id', 'sdu' || i,
                                                'email', CASE WHEN i % 5 <> 0 THEN 'sdu' || i || '@example.com' END)),
           jsonb_strip_nulls(jsonb_build_object(
             'city', (ARRAY['Milan', 'Turin', 'Rome', 'milan', 'MILAN'])[1 + i % 5],
             'age', CASE WHEN i % 7 = 0 THEN to_jsonb((18 + i % 60)::text) ELSE to_jsonb(18 + i % 60) END,
             'signup', '2024-' || lpad((1 + i % 12)::text, 2, '0') || '-' || lpad((1 + i % 28)::text, 2, '0'),
             'tags', CASE WHEN i % 3 = 0 THEN '["a", "b"]'::jsonb ELSE '["c"]'::jsonb END,
             'vip', i % 6 = 0,
             'nickname', CASE WHEN i % 4 = 0 THEN 'n' || i END)))
    FROM generate_series(1, 200) i) x;
SELECT (cdp.ingest(jsonb_build_object('batch', jsonb_agg(m)), 'sd_events') ->> 'accepted')::int AS events FROM (
  SELECT jsonb_build_object('type', 'track', 'userId', 'sdu' || i, 'event', 'Order Completed',
           'messageId', 'sd-o-' || i || '-' || k,
           'properties', jsonb_build_object('revenue', (i * (k + 1) * 37) % 200,
                                            'products', jsonb_build_array(jsonb_build_object('sku', 'S' || ((i + k) % 4)))),
           'timestamp', to_char(timestamptz '2026-01-10 12:00:00+00' - ((i * 3 + k * 11) % 60) * interval '1 day' - interval '1 hour',
                                'YYYY-MM-DD"T"HH24:MI:SS"Z"')) AS m
    FROM generate_series(1, 200) i, generate_series(0, 5) k WHERE k < i % 6
  UNION ALL
  SELECT jsonb_build_object('type', 'page', 'userId', 'sdu' || i, 'name', 'Home', 'messageId', 'sd-p-' || i,
           'context', jsonb_build_object('page', jsonb_build_object('url', 'https://shop.example/p' || i % 3)),
           'timestamp', '2026-01-09T10:00:00Z')
    FROM generate_series(1, 200, 2) i) y;
SELECT cdp.set_consent(cdp.customer_id('user_id', 'sdu' || i), 'email', i % 4 = 0, 'sd') FROM generate_series(1, 200) i
 WHERE i % 4 = 0 OR i % 8 = 1 \gset

-- Customers by the number i they were made from.
CREATE TEMP TABLE sd_c AS
SELECT i, cdp.customer_id('user_id', 'sdu' || i) AS customer_id FROM generate_series(1, 200) i;
CREATE TEMP TABLE sd_ev AS
SELECT c.i, c.customer_id, e.event, e.properties, e.context, e.occurred_at
  FROM sd_c c JOIN cdp.records r ON r.customer_id = c.customer_id JOIN cdp.events e ON e.record_id = r.record_id;
-- The customers of this test (other tests share the database): memberships
-- are compared within them.
CREATE TEMP TABLE sd_u AS SELECT customer_id FROM sd_c;
CREATE TEMP TABLE sd_m (customer_id bigint);
CREATE FUNCTION pg_temp.check(seg text, def jsonb, ref text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    diff bigint;
    n bigint;
BEGIN
    PERFORM cdp.create_segment(seg, def);
    CALL cdp.refresh_segment(seg, 'full');
    TRUNCATE sd_m;
    INSERT INTO sd_m SELECT m.customer_id FROM cdp.segment_members m JOIN cdp.segments s USING (segment_id)
     WHERE s.name = seg AND m.customer_id IN (SELECT customer_id FROM sd_u);
    EXECUTE format('SELECT count(*) FROM ((SELECT customer_id FROM sd_m EXCEPT (%s)) UNION ALL ((%s) EXCEPT SELECT customer_id FROM sd_m)) x',
                   ref, ref) INTO diff;
    SELECT count(*) INTO n FROM sd_m;
    RETURN format('%s: %s members, %s mismatches', seg, n, diff);
END $$;

SELECT pg_temp.check('sd_city', '{"trait":"city","op":"eq","value":"Milan"}',
  $$SELECT customer_id FROM sd_c WHERE (ARRAY['Milan','Turin','Rome','milan','MILAN'])[1 + i % 5] = 'Milan'$$);
SELECT pg_temp.check('sd_city_ci', '{"trait":"city","op":"eq","value":"milan","ci":true}',
  $$SELECT customer_id FROM sd_c WHERE i % 5 IN (0, 3, 4)$$);
SELECT pg_temp.check('sd_city_ne', '{"trait":"city","op":"ne","value":"Rome"}',
  $$SELECT customer_id FROM sd_c WHERE i % 5 <> 2$$);
SELECT pg_temp.check('sd_city_in', '{"trait":"city","op":"in","value":["Turin","Rome"]}',
  $$SELECT customer_id FROM sd_c WHERE i % 5 IN (1, 2)$$);
SELECT pg_temp.check('sd_city_not_in', '{"trait":"city","op":"not_in","value":["turin","rome"],"ci":true}',
  $$SELECT customer_id FROM sd_c WHERE i % 5 NOT IN (1, 2)$$);
SELECT pg_temp.check('sd_city_lt', '{"trait":"city","op":"lt","value":"N"}',
  $$SELECT customer_id FROM sd_c WHERE (ARRAY['Milan','Turin','Rome','milan','MILAN'])[1 + i % 5] < 'N' COLLATE "C"$$);
SELECT pg_temp.check('sd_city_sw', '{"trait":"city","op":"starts_with","value":"MI","ci":true}',
  $$SELECT customer_id FROM sd_c WHERE i % 5 IN (0, 3, 4)$$);
SELECT pg_temp.check('sd_city_contains', '{"trait":"city","op":"contains","value":"ila"}',
  $$SELECT customer_id FROM sd_c WHERE i % 5 IN (0, 3)$$);
-- Numbers compare as numbers, numeric strings included (age of i % 7 = 0 is a string).
SELECT pg_temp.check('sd_age_gt', '{"trait":"age","op":"gt","value":60}',
  $$SELECT customer_id FROM sd_c WHERE 18 + i % 60 > 60$$);
SELECT pg_temp.check('sd_age_eq', '{"trait":"age","op":"eq","value":25.0}',
  $$SELECT customer_id FROM sd_c WHERE 18 + i % 60 = 25$$);
SELECT pg_temp.check('sd_age_between', '{"trait":"age","op":"between","value":[30, 40]}',
  $$SELECT customer_id FROM sd_c WHERE 18 + i % 60 BETWEEN 30 AND 40$$);
SELECT pg_temp.check('sd_age_in', '{"trait":"age","op":"in","value":[20, 21, 77]}',
  $$SELECT customer_id FROM sd_c WHERE 18 + i % 60 IN (20, 21, 77)$$);
-- Dates as dates (absolute and relative to the clock).
SELECT pg_temp.check('sd_signup', '{"trait":"signup","op":"between","value":["2024-03-01","2024-06-30T00:00:00Z"]}',
  $$SELECT customer_id FROM sd_c WHERE 1 + i % 12 BETWEEN 3 AND 5 OR (1 + i % 12 = 6 AND 1 + i % 28 <= 30)$$);
SELECT pg_temp.check('sd_signup_rel', '{"trait":"signup","op":"gte","value":"now-650 days"}',
  $$SELECT customer_id FROM sd_c WHERE make_date(2024, 1 + i % 12, 1 + i % 28) >= (timestamp '2026-01-10 12:00:00' - interval '650 days')$$);
SELECT pg_temp.check('sd_tags', '{"trait":"tags","op":"contains","value":"a"}',
  $$SELECT customer_id FROM sd_c WHERE i % 3 = 0$$);
SELECT pg_temp.check('sd_vip', '{"trait":"vip","op":"eq","value":true}',
  $$SELECT customer_id FROM sd_c WHERE i % 6 = 0$$);
SELECT pg_temp.check('sd_nick', '{"trait":"nickname","op":"not_exists"}',
  $$SELECT customer_id FROM sd_c WHERE i % 4 <> 0$$);
-- Computed traits (rfm_frequency: number of Order Completed events).
SELECT pg_temp.check('sd_freq', '{"computed":"rfm_frequency","op":"gte","value":3}',
  $$SELECT customer_id FROM sd_c WHERE i % 6 >= 3$$);
-- Events: count, window, property filters on nested paths, context.
SELECT pg_temp.check('sd_ev_window', '{"event":"Order Completed","within":"30 days","count":{"gte":2},"where":[{"property":"revenue","op":"gt","value":50}]}',
  $$SELECT customer_id FROM sd_ev WHERE event = 'Order Completed' AND occurred_at > timestamptz '2026-01-10 12:00:00+00' - interval '30 days'
      AND (properties ->> 'revenue')::numeric > 50 GROUP BY customer_id HAVING count(*) >= 2$$);
SELECT pg_temp.check('sd_ev_none', '{"event":"Order Completed","within":"7 days","count":{"eq":0}}',
  $$SELECT customer_id FROM sd_c EXCEPT SELECT customer_id FROM sd_ev WHERE event = 'Order Completed'
      AND occurred_at > timestamptz '2026-01-10 12:00:00+00' - interval '7 days'$$);
SELECT pg_temp.check('sd_ev_between', '{"event":"Order Completed","count":{"between":[2,3]}}',
  $$SELECT customer_id FROM sd_ev WHERE event = 'Order Completed' GROUP BY customer_id HAVING count(*) BETWEEN 2 AND 3$$);
SELECT pg_temp.check('sd_ev_lt', '{"event":"Order Completed","count":{"lt":2}}',
  $$SELECT customer_id FROM sd_c EXCEPT SELECT customer_id FROM sd_ev WHERE event = 'Order Completed' GROUP BY customer_id HAVING count(*) >= 2$$);
SELECT pg_temp.check('sd_ev_sku', '{"event":"Order Completed","where":[{"property":"products.0.sku","op":"eq","value":"S1"}]}',
  $$SELECT customer_id FROM sd_ev WHERE event = 'Order Completed' AND properties #>> '{products,0,sku}' = 'S1'$$);
SELECT pg_temp.check('sd_ev_url', '{"event":"Home","type":"page","where":[{"property":"context.page.url","op":"starts_with","value":"https://shop.example/p2"}]}',
  $$SELECT customer_id FROM sd_ev WHERE event = 'Home' AND context #>> '{page,url}' LIKE 'https://shop.example/p2%'$$);
-- Consent (latest decision; default off), identifiers.
SELECT pg_temp.check('sd_consent', '{"consent":"email"}',
  $$SELECT customer_id FROM sd_c WHERE i % 4 = 0$$);
SELECT pg_temp.check('sd_no_consent', '{"consent":"email","granted":false}',
  $$SELECT customer_id FROM sd_c WHERE i % 4 <> 0$$);
SELECT pg_temp.check('sd_email', '{"identifier":"email","op":"exists"}',
  $$SELECT customer_id FROM sd_c WHERE i % 5 <> 0$$);
SELECT pg_temp.check('sd_email_sw', '{"identifier":"email","op":"starts_with","value":"sdu1"}',
  $$SELECT customer_id FROM sd_c WHERE i % 5 <> 0 AND i::text LIKE '1%'$$);
SELECT pg_temp.check('sd_email_eq', '{"identifier":"email","op":"eq","value":"sdu7@example.com"}',
  $$SELECT customer_id FROM sd_c WHERE i = 7$$);
-- Combinators and nested segments.
SELECT pg_temp.check('sd_combo', '{"all":[{"segment":"sd_city_ci"},{"any":[{"consent":"email"},{"trait":"vip","op":"eq","value":true}]},{"not":{"segment":"sd_ev_none"}}]}',
  $$SELECT customer_id FROM sd_c WHERE i % 5 IN (0, 3, 4) AND (i % 4 = 0 OR i % 6 = 0)
    INTERSECT SELECT customer_id FROM sd_ev WHERE event = 'Order Completed' AND occurred_at > timestamptz '2026-01-10 12:00:00+00' - interval '7 days'$$);

-- Hostile definitions: quotes, SQL, $1, backslashes, unicode in trait names,
-- values, event names and property paths are values, matched literally.
SELECT cdp.upsert_record('sd_crm', 'hostile', '{"user_id":"sd-hostile"}',
         jsonb_build_object($h$x'); DROP TABLE cdp.customers; --$h$, $h$'; drop table cdp.segments; $1 \\ \" ü$h$)) > 0 AS hostile_record;
SELECT cdp.ingest(jsonb_build_object('type', 'track', 'userId', 'sd-hostile', 'messageId', 'sd-hostile-1',
         'event', $h$Order'); DELETE FROM cdp.events; --$h$,
         'properties', jsonb_build_object($h$a'b"c\d$h$, jsonb_build_object('$1', $h$'; select pg_sleep(10); --$h$)),
         'timestamp', '2026-01-09T00:00:00Z')) ->> 'accepted' AS hostile_event;
INSERT INTO sd_u SELECT cdp.customer_id('user_id', 'sd-hostile');
SELECT pg_temp.check('sd_hostile_trait',
  jsonb_build_object('trait', $h$x'); DROP TABLE cdp.customers; --$h$, 'op', 'eq', 'value', $h$'; drop table cdp.segments; $1 \\ \" ü$h$),
  $$SELECT cdp.customer_id('user_id', 'sd-hostile')$$);
SELECT pg_temp.check('sd_hostile_event',
  jsonb_build_object('event', $h$Order'); DELETE FROM cdp.events; --$h$,
                     'where', jsonb_build_array(jsonb_build_object('property', jsonb_build_array($h$a'b"c\d$h$, '$1'), 'op', 'eq',
                                                                   'value', $h$'; select pg_sleep(10); --$h$))),
  $$SELECT cdp.customer_id('user_id', 'sd-hostile')$$);
SELECT pg_temp.check('sd_hostile_none',
  jsonb_build_object('any', jsonb_build_array(
    jsonb_build_object('trait', $h$city' OR true --$h$, 'op', 'exists'),
    jsonb_build_object('trait', 'city', 'op', 'eq', 'value', $h$Milan' OR '1'='1$h$),
    jsonb_build_object('consent', $h$email') OR true --$h$),
    jsonb_build_object('identifier', 'email', 'op', 'contains', 'value', $h$%' OR 1=1 --$h$),
    jsonb_build_object('trait', 'city', 'op', 'starts_with', 'value', '%'),
    jsonb_build_object('segment', 'sd_city'))),
  $$SELECT customer_id FROM sd_c WHERE i % 5 = 0$$);
SELECT count(*) AS customers_left FROM cdp.customers WHERE customer_id IN (SELECT customer_id FROM sd_c);
SELECT count(*) > 0 AS events_left FROM cdp.events;
SELECT count(*) > 0 AS segments_left FROM cdp.segments;
-- segment_sql quotes every value: running it gives the members.
DO $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM (%s) x', cdp.segment_sql('sd_hostile_event')) INTO n;
    RAISE NOTICE 'segment_sql of sd_hostile_event selects % customer(s)', n;
END $$;

-- Bad definitions: refused at create/alter time, naming the part.
SELECT cdp.create_segment('sd_bad', '{"all":[{"trait":"a","op":"eq","value":1},{"trait":"b","op":"equals","value":1}]}');
SELECT cdp.create_segment('sd_bad', '{"event":"x","within":"3 fortnights"}');
SELECT cdp.create_segment('sd_bad', '{"event":"x","where":[{"property":"a","op":"gt"}]}');
SELECT cdp.create_segment('sd_bad', '{"trait":"x","op":"gt","value":[1,2]}');
SELECT cdp.create_segment('sd_bad', '{"segment":"sd_nope"}');
SELECT cdp.create_segment('sd_bad', (repeat('{"not":', 40) || '{"segment":"sd_city"}' || repeat('}', 40))::jsonb);
SELECT cdp.create_segment('sd_city', '{"segment":"sd_vip"}');
SELECT cdp.alter_segment('sd_city_ci', '{"segment":"sd_combo"}');
SELECT cdp.drop_segment('sd_city_ci');
SELECT cdp.drop_segment('sd_nope');
CALL cdp.refresh_segment('sd_city', 'sometimes');
SELECT count(*) AS bad_created FROM cdp.segments WHERE name = 'sd_bad';
-- preview = full refresh, limited.
SELECT count(*) AS preview FROM cdp.preview_segment('{"trait":"city","op":"eq","value":"milan","ci":true}', 1000);
SELECT count(*) AS preview_lim FROM cdp.preview_segment('{"trait":"city","op":"eq","value":"milan","ci":true}', 5);
-- Drop in dependency order works; dependents first.
SELECT cdp.drop_segment('sd_combo');
SELECT cdp.drop_segment('sd_city_ci');
SELECT count(*) AS runs_left FROM cdp.segment_runs r WHERE NOT EXISTS (SELECT 1 FROM cdp.segments s WHERE s.segment_id = r.segment_id);
-- Clean up.
SELECT count(*) FILTER (WHERE cdp.drop_segment(name) IS NULL) >= 0 AS dropped FROM (SELECT name FROM cdp.segments WHERE name LIKE 'sd\_%' ORDER BY segment_id DESC) s;
RESET cdp.test_now;
