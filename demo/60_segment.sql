-- cdp demo, part 60: segments.  Shoppers of a small store, a segment of
-- "customers in Milan or Turin who bought twice in 30 days and may be
-- e-mailed", its first refresh, then new orders arrive and an incremental
-- refresh shows who entered and who left (the log destinations read).
\set QUIET on
\pset footer off
\o /dev/null
SELECT cdp.ingest(jsonb_build_object('batch', jsonb_agg(m)), 'demo60') FROM (
  SELECT jsonb_build_object('type', 'identify', 'userId', 'shopper-' || i, 'messageId', 'demo60-id-' || i,
           'traits', jsonb_build_object('email', 'shopper' || i || '@example.com',
                                        'city', (ARRAY['Milan', 'Turin', 'Rome', 'Naples'])[1 + i % 4]),
           'context', jsonb_build_object('consent', jsonb_build_object('categoryPreferences',
                                         jsonb_build_object('email_marketing', i % 5 <> 0)))) AS m
    FROM generate_series(1, 12) i
  UNION ALL
  SELECT jsonb_build_object('type', 'track', 'userId', 'shopper-' || i, 'event', 'Order Completed',
           'messageId', 'demo60-o-' || i || '-' || k, 'timestamp', now() - (k * 9) * interval '1 day',
           'properties', jsonb_build_object('revenue', 20 + i * k))
    FROM generate_series(1, 12) i, generate_series(1, 1 + i % 3) k) x;
SELECT cdp.create_segment('demo_north_buyers', '{"all":[
    {"trait":"city","op":"in","value":["Milan","Turin"]},
    {"event":"Order Completed","within":"30 days","count":{"gte":2}},
    {"consent":"email_marketing"}]}', 'Milan or Turin, two orders in 30 days, may be e-mailed');
\o
\echo
\echo '== The definition, and the SQL it compiles to (values as quoted literals) =='
SELECT name, definition FROM cdp.segments WHERE name = 'demo_north_buyers';
SELECT cdp.segment_sql('demo_north_buyers') AS segment_sql;
CALL cdp.refresh_segment('demo_north_buyers');
\echo
\echo '== First refresh: the members =='
SELECT m.customer_id, p.traits ->> 'email' AS email, p.traits ->> 'city' AS city
  FROM cdp.segment_members m JOIN cdp.segments s USING (segment_id) JOIN cdp.profiles p USING (customer_id)
 WHERE s.name = 'demo_north_buyers' ORDER BY 1;

\echo
\echo '== New events arrive: shopper-9 (Turin) orders a second time, shopper-2 moves from Rome to Turin, shopper-8 withdraws e-mail consent =='
\o /dev/null
SELECT cdp.ingest('{"batch":[
  {"type":"track","userId":"shopper-9","event":"Order Completed","messageId":"demo60-n1","properties":{"revenue":45}},
  {"type":"identify","userId":"shopper-2","messageId":"demo60-n3","traits":{"city":"Turin"}},
  {"type":"identify","userId":"shopper-8","messageId":"demo60-n4","context":{"consent":{"categoryPreferences":{"email_marketing":false}}}}]}', 'demo60');
\o
CALL cdp.refresh_segment('demo_north_buyers');
\echo
\echo '== Incremental refresh: who entered and who left =='
SELECT l.customer_id, p.traits ->> 'email' AS email, l.change, l.run_id
  FROM cdp.segment_membership_log l JOIN cdp.segments s USING (segment_id) LEFT JOIN cdp.profiles p USING (customer_id)
 WHERE s.name = 'demo_north_buyers' AND l.run_id = (SELECT max(run_id) FROM cdp.segment_runs)
 ORDER BY l.seq;
\echo
\echo '== The runs (mode, customers re-evaluated, enter/exit, members) =='
SELECT run_id, mode, candidates, entered, exited, members, status, round(extract(epoch FROM finished_at - started_at) * 1000, 1) AS ms
  FROM cdp.segment_runs r JOIN cdp.segments s USING (segment_id) WHERE s.name = 'demo_north_buyers' ORDER BY run_id;
