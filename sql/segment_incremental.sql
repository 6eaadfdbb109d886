-- Property test: incremental refresh always equals a full evaluation.
-- Random definitions (every condition kind, nested segments) x a random
-- change stream (events, trait changes, consent changes, merges, splits,
-- forgets, new customers, passage of time), each step its own transaction;
-- after every step CALL cdp.refresh_segments() (auto: incremental whenever
-- possible) and every segment's membership is compared with the customers
-- its compiled SQL selects from scratch.  Fixed seed.  Names 'si_'.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SELECT set_config('cdp.test_now', '2026-03-01 12:00:00+00', false) IS NOT NULL AS clock_set;
SELECT setseed(0.4242);
SELECT count(*) AS customers FROM (
  SELECT cdp.upsert_record('si_crm', 'c' || i, jsonb_build_object('user_id', 'siu' || i, 'email', 'si' || i || '@example.com'),
                           jsonb_build_object('city', (ARRAY['Milan', 'Turin', 'Rome'])[1 + i % 3], 'score', (i * 37) % 100))
    FROM generate_series(1, 40) i) x;
CREATE TEMP TABLE si_atoms (k int, a jsonb);
INSERT INTO si_atoms VALUES
 (1, '{"trait":"city","op":"eq","value":"Milan"}'),
 (2, '{"trait":"score","op":"gt","value":50}'),
 (3, '{"event":"Order Completed","within":"2 days","count":{"gte":1}}'),
 (4, '{"event":"Order Completed","within":"1 day","count":{"eq":0}}'),
 (5, '{"event":"Page Viewed","count":{"gte":2},"where":[{"property":"path","op":"starts_with","value":"/p"}]}'),
 (6, '{"consent":"email"}'),
 (7, '{"identifier":"email","op":"exists"}'),
 (8, '{"computed":"rfm_frequency","op":"gte","value":2}'),
 (9, '{"event":"Order Completed","within":"3 days","where":[{"property":"revenue","op":"gt","value":100}]}'),
 (10, '{"trait":"city","op":"in","value":["Turin","Rome"]}'),
 (11, '{"event":["Order Completed","Page Viewed"],"within":"12 hours","count":{"between":[1,2]}}'),
 (12, '{"identifier":"email","op":"starts_with","value":"si1"}');
CREATE FUNCTION pg_temp.atom() RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    pick int := 1 + floor(random() * 12)::int;
    neg boolean := random() < 0.25;
    a jsonb;
BEGIN
    SELECT x.a INTO a FROM si_atoms x WHERE x.k = pick;
    RETURN CASE WHEN neg THEN jsonb_build_object('not', a) ELSE a END;
END $$;
SELECT count(*) AS segments FROM (
  SELECT cdp.create_segment('si_s' || n, jsonb_build_object(CASE WHEN random() < 0.5 THEN 'all' ELSE 'any' END,
                                                            jsonb_build_array(pg_temp.atom(), pg_temp.atom())))
    FROM generate_series(1, 8) n) x;
SELECT cdp.create_segment('si_n1', jsonb_build_object('all', jsonb_build_array('{"segment":"si_s1"}'::jsonb, pg_temp.atom()))) > 0 AS n1,
       cdp.create_segment('si_n2', jsonb_build_object('any', jsonb_build_array('{"not":{"segment":"si_n1"}}'::jsonb, '{"segment":"si_s2"}'::jsonb))) > 0 AS n2,
       cdp.create_segment('si_rel', '{"any":[{"event":"Order Completed","within":"1 day"},{"trait":"since","op":"gt","value":"now-2 days"}]}') > 0 AS rel;

CREATE TEMP TABLE si_mismatch (step int, segment text, extra bigint, missing bigint);
CREATE TEMP TABLE si_links (k text PRIMARY KEY);
CREATE TEMP TABLE si_log (step int, action text);
CREATE FUNCTION pg_temp.step(s int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r float8 := random();
    n int := (SELECT count(*) FROM si_atoms) * 0 + 40 + s;  -- user ids that may exist
    i int := 1 + floor(random() * n)::int;
    j int := 1 + floor(random() * n)::int;
    c bigint;
    lk text;
    clock timestamptz := current_setting('cdp.test_now')::timestamptz;
BEGIN
    IF r < 0.30 THEN
        PERFORM cdp.ingest(jsonb_build_object('batch', jsonb_agg(jsonb_build_object(
                   'type', 'track', 'userId', 'siu' || (1 + floor(random() * n)::int),
                   'event', CASE WHEN random() < 0.6 THEN 'Order Completed' ELSE 'Page Viewed' END,
                   'messageId', 'si-' || s || '-' || m,
                   'properties', jsonb_build_object('revenue', floor(random() * 200), 'path', CASE WHEN random() < 0.7 THEN '/p' ELSE '/q' END),
                   'timestamp', to_char((clock - random() * interval '60 hours') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))),
               'si_events')
          FROM generate_series(1, 1 + floor(random() * 4)::int) m;
        INSERT INTO si_log VALUES (s, 'events');
    ELSIF r < 0.45 THEN
        PERFORM cdp.upsert_record('si_crm', 'c' || i, jsonb_build_object('user_id', 'siu' || i, 'email', 'si' || i || '@example.com'),
                                  jsonb_build_object('city', (ARRAY['Milan', 'Turin', 'Rome'])[1 + floor(random() * 3)::int],
                                                     'score', floor(random() * 100),
                                                     'since', to_char((clock - random() * interval '4 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
        INSERT INTO si_log VALUES (s, 'trait');
    ELSIF r < 0.55 THEN
        c := cdp.customer_id('user_id', 'siu' || i);
        IF c IS NOT NULL THEN
            PERFORM cdp.set_consent(c, 'email', random() < 0.5, 'si');
            INSERT INTO si_log VALUES (s, 'consent');
        END IF;
    ELSIF r < 0.65 THEN
        lk := 'l' || s;
        PERFORM cdp.upsert_record('si_link', lk, jsonb_build_object('email', jsonb_build_array('si' || i || '@example.com', 'si' || j || '@example.com')));
        INSERT INTO si_links VALUES (lk);
        INSERT INTO si_log VALUES (s, 'merge');
    ELSIF r < 0.73 THEN
        SELECT k INTO lk FROM si_links ORDER BY random() LIMIT 1;
        IF lk IS NOT NULL THEN
            PERFORM cdp.delete_record('si_link', lk);
            DELETE FROM si_links WHERE k = lk;
            INSERT INTO si_log VALUES (s, 'split');
        END IF;
    ELSIF r < 0.93 THEN
        PERFORM set_config('cdp.test_now', (clock + (1 + floor(random() * 30)) * interval '1 hour')::text, false);
        INSERT INTO si_log VALUES (s, 'time');
    ELSIF r < 0.97 THEN
        PERFORM cdp.upsert_record('si_crm', 'c' || (40 + s), jsonb_build_object('user_id', 'siu' || (40 + s), 'email', 'si' || (40 + s) || '@example.com'),
                                  jsonb_build_object('city', 'Milan', 'score', floor(random() * 100)));
        INSERT INTO si_log VALUES (s, 'new');
    ELSE
        c := cdp.customer_id('user_id', 'siu' || i);
        IF c IS NOT NULL THEN
            PERFORM cdp.forget_customer(c);
            INSERT INTO si_log VALUES (s, 'forget');
        END IF;
    END IF;
END $$;
CREATE FUNCTION pg_temp.verify(st int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s record;
    c jsonb;
    ex bigint;
    mi bigint;
BEGIN
    FOR s IN SELECT segment_id, name, definition FROM cdp.segments WHERE name LIKE 'si\_%' LOOP
        c := cdp._segment_compile(s.definition);
        CREATE TEMP TABLE IF NOT EXISTS si_truth (customer_id bigint);
        TRUNCATE si_truth;
        EXECUTE 'INSERT INTO si_truth ' || (c ->> 'sql') USING cdp._clock(), ARRAY(SELECT jsonb_array_elements_text(c -> 'params'));
        SELECT count(*) INTO ex FROM cdp.segment_members m WHERE m.segment_id = s.segment_id
           AND NOT EXISTS (SELECT 1 FROM si_truth t WHERE t.customer_id = m.customer_id);
        SELECT count(*) INTO mi FROM si_truth t WHERE NOT EXISTS (
           SELECT 1 FROM cdp.segment_members m WHERE m.segment_id = s.segment_id AND m.customer_id = t.customer_id);
        IF ex + mi > 0 THEN
            INSERT INTO si_mismatch VALUES (st, s.name, ex, mi);
        END IF;
    END LOOP;
END $$;
CALL cdp.refresh_segments();
\o /dev/null
SELECT format('SELECT pg_temp.step(%s)', k), 'CALL cdp.refresh_segments()', format('SELECT pg_temp.verify(%s)', k)
  FROM generate_series(1, 60) k \gexec
\o
-- No mismatch at any step.
SELECT count(*) AS mismatches FROM si_mismatch;
SELECT * FROM si_mismatch ORDER BY step, segment LIMIT 10;
-- The stream exercised every kind of change, and incremental runs did the work.
SELECT action, count(*) > 0 AS happened FROM si_log GROUP BY action ORDER BY action;
SELECT count(*) FILTER (WHERE mode = 'incremental') > 100 AS many_incremental,
       count(*) FILTER (WHERE mode = 'full') >= 11 AS some_full,
       count(*) FILTER (WHERE status <> 'succeeded') AS not_succeeded
  FROM cdp.segment_runs r JOIN cdp.segments s USING (segment_id) WHERE s.name LIKE 'si\_%';
-- Relative dates outside event windows: always full.
SELECT count(*) FILTER (WHERE mode = 'incremental') AS rel_incremental FROM cdp.segment_runs r JOIN cdp.segments s USING (segment_id) WHERE s.name = 'si_rel';
-- Incremental runs re-evaluate only some customers.
SELECT bool_and(candidates < (SELECT count(*) FROM cdp.customers)) AS incremental_is_partial
  FROM cdp.segment_runs r JOIN cdp.segments s USING (segment_id) WHERE s.name LIKE 'si\_%' AND mode = 'incremental';
-- The log replays to the current membership.
SELECT count(*) AS log_vs_members FROM cdp.segments s, LATERAL (
    (SELECT x FROM cdp.segment_members_at(s.name, now()) x EXCEPT SELECT customer_id FROM cdp.segment_members m WHERE m.segment_id = s.segment_id)
    UNION ALL
    (SELECT customer_id FROM cdp.segment_members m WHERE m.segment_id = s.segment_id EXCEPT SELECT x FROM cdp.segment_members_at(s.name, now()) x)) d
 WHERE s.name LIKE 'si\_%';
-- Change tracking is pruned once every segment has seen it.
SELECT count(*) < 100 AS dirty_pruned FROM cdp.segment_dirty;
SELECT count(*) >= 0 AS dropped FROM (SELECT cdp.drop_segment(name) FROM cdp.segments WHERE name LIKE 'si\_%' ORDER BY segment_id DESC) x;
RESET cdp.test_now;
