-- Activation pull feed: over a generated stream of ingest, trait changes,
-- consent changes, merges, splits, forgets and (simulated) segment
-- refreshes, a consumer that applies destination_changes and acks in its own
-- transaction holds exactly what an independent SQL reference says the
-- destination should have (segment members with a profile and consent,
-- projected to the listed fields); rollback = nothing consumed; resumption.
-- Names 'act_'.
\set SHOW_CONTEXT never
SELECT setseed(0.15);
INSERT INTO cdp.consent_purposes (purpose, description) VALUES ('act_email', 'e-mail newsletter'), ('act_ads', 'ads');
INSERT INTO cdp.segments (name, definition) VALUES ('act_vip', '{"trait":"act_tier","op":"eq","value":"vip"}');
-- A refresh as the segment refresh writes it: one run, the log rows of the
-- customers whose membership changed (one INSERT), then segment_members.
CREATE TABLE act_want (customer_id bigint PRIMARY KEY);
CREATE PROCEDURE act_refresh() LANGUAGE plpgsql AS $$
DECLARE
    sid int := (SELECT segment_id FROM cdp.segments WHERE name = 'act_vip');
    run bigint;
BEGIN
    INSERT INTO cdp.segment_runs (segment_id, mode, status) VALUES (sid, 'full', 'succeeded') RETURNING run_id INTO run;
    TRUNCATE act_want;
    INSERT INTO act_want SELECT p.customer_id FROM cdp.profiles p WHERE p.traits ->> 'act_tier' = 'vip';
    INSERT INTO cdp.segment_membership_log (segment_id, customer_id, change, run_id)
    SELECT sid, x.customer_id, x.change, run FROM (
        SELECT w.customer_id, 'enter' AS change FROM act_want w
         WHERE NOT EXISTS (SELECT 1 FROM cdp.segment_members m WHERE m.segment_id = sid AND m.customer_id = w.customer_id)
        UNION ALL
        SELECT m.customer_id, 'exit' FROM cdp.segment_members m
         WHERE m.segment_id = sid AND NOT EXISTS (SELECT 1 FROM act_want w WHERE w.customer_id = m.customer_id)) x
     ORDER BY x.customer_id;
    DELETE FROM cdp.segment_members m WHERE m.segment_id = sid AND NOT EXISTS (SELECT 1 FROM act_want w WHERE w.customer_id = m.customer_id);
    INSERT INTO cdp.segment_members (segment_id, customer_id) SELECT sid, w.customer_id FROM act_want w ON CONFLICT DO NOTHING;
END $$;
-- Five customers before the destination exists (two vip with consent).
SELECT cdp.upsert_record('act_src', 'k' || i, jsonb_build_object('email', 'act' || i || '@example.org'),
                         jsonb_build_object('first_name', 'N' || i, 'act_tier', CASE WHEN i <= 3 THEN 'vip' ELSE 'std' END))
  FROM generate_series(1, 5) i \gset
SELECT count(cdp.set_consent(cdp.customer_id('email', 'act' || i || '@example.org'), 'act_email', i <> 2))
  FROM generate_series(1, 5) i;
CALL act_refresh();
SELECT count(*) AS members FROM cdp.segment_members m JOIN cdp.segments s USING (segment_id) WHERE s.name = 'act_vip';

-- 1. Refusals name the offending part (errcode in brackets).
\set VERBOSITY terse
SELECT cdp.create_destination('act_bad', '{"segment":"act_none","purpose":"act_email"}');
SELECT cdp.create_destination('act_bad', '{"segment":"act_vip","purpose":"act_telepathy"}');
SELECT cdp.create_destination('act_bad', '{"segment":"act_vip","purpose":"act_email","fields":["email","act_shoe"]}');
SELECT cdp.create_destination('act_bad', '{"segment":"act_vip","purpose":"act_email","kind":"webhook","secret":"s"}');
SELECT cdp.create_destination('act_bad', '{"segment":"act_vip","purpose":"act_email","kind":"webhook","url":"file:///etc/passwd","secret":"s"}');
DO $$ BEGIN PERFORM cdp.create_destination('act_bad', '{"segment":"act_none","purpose":"act_email"}');
EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'sqlstate %', SQLSTATE; END $$;
DO $$ BEGIN PERFORM cdp.create_destination('act_bad', '{"segment":"act_vip","purpose":"act_email","kind":"webhook","url":"ftp://x/","secret":"s"}');
EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'sqlstate %', SQLSTATE; END $$;
\set VERBOSITY default

-- 2. A new destination starts with the current consenting members as enters.
SELECT cdp.create_destination('act_esp', '{"segment":"act_vip","purpose":"act_email","fields":["email","first_name","computed.rfm_frequency"]}') > 0 AS created;
SELECT change, customer_id = cdp.customer_id('email', payload ->> 'email') AS own_email,
       array(SELECT jsonb_object_keys(payload) ORDER BY 1) AS keys
  FROM cdp.destination_changes('act_esp') ORDER BY seq;
SELECT cdp.create_destination('act_ads', '{"segment":"act_vip","purpose":"act_ads","fields":["first_name"],"batch_size":7}') > 0 AS created;
SELECT count(*) AS ads_nobody_consented FROM cdp.destination_changes('act_ads');

-- The consumer: applies changes to its own copy keyed by cdp_key and acks,
-- in the caller's transaction.  An enter of a key it has, an update or exit
-- of one it lacks, or a seq out of order is an error.
CREATE TABLE act_copy (dest text, key text, customer_id bigint, payload jsonb, PRIMARY KEY (dest, key));
CREATE TABLE act_pos (dest text PRIMARY KEY, seq bigint NOT NULL);
INSERT INTO act_pos VALUES ('act_esp', 0), ('act_ads', 0);
CREATE FUNCTION act_consume(d text, batch int, stop_after int DEFAULT NULL) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n bigint := 0;
    last bigint;
BEGIN
    LOOP
        last := NULL;
        FOR r IN SELECT * FROM cdp.destination_changes(d, batch) LOOP
            IF r.seq <= (SELECT seq FROM act_pos WHERE dest = d) THEN
                RAISE EXCEPTION 'seq % replayed', r.seq;
            END IF;
            UPDATE act_pos SET seq = r.seq WHERE dest = d;
            IF r.change = 'enter' THEN
                INSERT INTO act_copy VALUES (d, r.payload ->> 'cdp_key', r.customer_id, r.payload - 'cdp_key');
            ELSIF r.change = 'update' THEN
                UPDATE act_copy SET payload = r.payload - 'cdp_key' WHERE dest = d AND key = r.payload ->> 'cdp_key' AND customer_id = r.customer_id;
                IF NOT FOUND THEN RAISE EXCEPTION 'update of unknown key'; END IF;
            ELSE
                DELETE FROM act_copy WHERE dest = d AND key = r.payload ->> 'cdp_key';
                IF NOT FOUND THEN RAISE EXCEPTION 'exit of unknown key'; END IF;
            END IF;
            n := n + 1;
            last := r.seq;
            IF n = stop_after THEN
                RAISE EXCEPTION 'consumer crashed after % changes', n;
            END IF;
        END LOOP;
        EXIT WHEN last IS NULL;
        PERFORM cdp.ack_destination(d, last);
    END LOOP;
    RETURN n;
END $$;
-- The reference, computed from scratch: members of the segment with a
-- profile and consent for the purpose, with the fields as listed.
CREATE VIEW act_expected AS
SELECT d.name AS dest, p.customer_id,
       CASE d.name WHEN 'act_esp' THEN jsonb_build_object(
                'email', (SELECT to_jsonb(i.id_value) FROM cdp.records r JOIN cdp.identifiers i ON i.record_id = r.record_id
                           WHERE r.customer_id = p.customer_id AND i.id_type = 'email' ORDER BY r.updated_at DESC, i.id_value LIMIT 1),
                'first_name', p.traits -> 'first_name', 'computed.rfm_frequency', p.computed -> 'rfm_frequency')
            ELSE jsonb_build_object('first_name', p.traits -> 'first_name') END AS payload
  FROM cdp.destinations d JOIN cdp.segment_members m ON m.segment_id = d.segment_id
  JOIN cdp.profiles p ON p.customer_id = m.customer_id
 WHERE d.name LIKE 'act\_%'
   AND coalesce((SELECT k.granted FROM cdp.consents k WHERE k.customer_id = p.customer_id AND k.purpose = d.purpose), false);
CREATE FUNCTION act_diff() RETURNS bigint LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM (SELECT dest, customer_id, payload FROM act_expected
                                  EXCEPT SELECT dest, customer_id, payload FROM act_copy) a)
         + (SELECT count(*) FROM (SELECT dest, customer_id, payload FROM act_copy
                                  EXCEPT SELECT dest, customer_id, payload FROM act_expected) b)
         + (SELECT count(*) - count(DISTINCT (dest, customer_id)) FROM act_copy);
$$;
SELECT act_consume('act_esp', 2) AS consumed, act_consume('act_ads', 2) AS consumed_ads, act_diff() AS diff;

-- 3. Exactly-once: a consumer that fails mid-batch rolls back its writes and
-- its ack together; the next run gets the same changes.
SELECT cdp.set_consent(cdp.customer_id('email', 'act2@example.org'), 'act_email', true);
SELECT cdp.set_consent(cdp.customer_id('email', 'act' || i || '@example.org'), 'act_ads', true) FROM generate_series(1, 3) i;
SELECT act_consume('act_esp', 10, 1);
SELECT (cdp.destination_status('act_esp') ->> 'lag_changes')::int AS lag_after_crash;
-- Resumption: reading without acking (a consumer that disconnects) moves nothing.
BEGIN;
SELECT count(*) AS read_then_disconnect FROM cdp.destination_changes('act_esp');
ROLLBACK;
SELECT act_consume('act_esp', 1) AS consumed, act_consume('act_ads', 1) AS consumed_ads, act_diff() AS diff;
SELECT cdp.ack_destination('act_esp', 1) = (SELECT acked_seq FROM cdp.destinations WHERE name = 'act_esp') AS old_ack_is_noop;
\set VERBOSITY terse
SELECT cdp.ack_destination('act_esp', 1000000);
SELECT cdp.destination_changes('act_nope');
\set VERBOSITY default

-- 4. Withdrawal exits in set_consent's transaction.
BEGIN;
SELECT cdp.set_consent(cdp.customer_id('email', 'act1@example.org'), 'act_email', false);
SELECT change, payload FROM cdp.destination_changes('act_esp')
 WHERE customer_id = cdp.customer_id('email', 'act1@example.org') AND payload ? 'email';
SELECT change, array(SELECT jsonb_object_keys(payload)) AS keys FROM cdp.destination_changes('act_esp');
COMMIT;

-- 5. The generated stream: 300 steps of ingest, trait changes, consent
-- changes, merges (a record bridging two e-mails), splits (the bridge
-- loses one), forgets and refreshes, consumed at random points; after each
-- consumption the copy equals the reference.
CREATE TABLE act_checks (step int, diff bigint);
CREATE TABLE act_forgotten (customer_id bigint, key text);
DO $$
DECLARE
    i int;
    a int;
    x int;
    y int;
    c bigint;
    r float8;
BEGIN
    FOR i IN 1 .. 300 LOOP
        r := random();
        x := 1 + floor(random() * 40)::int;
        y := 1 + floor(random() * 40)::int;
        IF r < 0.25 THEN          -- ingest a customer / change its traits
            PERFORM cdp.upsert_record('act_src', 'k' || x, jsonb_build_object('email', 'act' || x || '@example.org'),
                                      jsonb_build_object('first_name', 'N' || x || '_' || i % 3,
                                                         'act_tier', CASE WHEN random() < 0.6 THEN 'vip' ELSE 'std' END));
        ELSIF r < 0.45 THEN       -- consent decision
            c := cdp.customer_id('email', 'act' || x || '@example.org');
            IF c IS NOT NULL THEN
                PERFORM cdp.set_consent(c, CASE WHEN random() < 0.7 THEN 'act_email' ELSE 'act_ads' END, random() < 0.6);
            END IF;
        ELSIF r < 0.55 THEN       -- merge x and y through a bridge record
            IF x <> y THEN
                PERFORM cdp.upsert_record('act_app', 'b' || x, jsonb_build_object('email', 'act' || x || '@example.org',
                                                                                 'phone', '+3934800' || lpad(y::text, 5, '0')));
                PERFORM cdp.upsert_record('act_app', 'c' || y, jsonb_build_object('email', 'act' || y || '@example.org',
                                                                                 'phone', '+3934800' || lpad(y::text, 5, '0')));
            END IF;
        ELSIF r < 0.63 THEN       -- split: the bridge records lose the shared phone
            PERFORM cdp.upsert_record('act_app', 'b' || x, jsonb_build_object('email', 'act' || x || '@example.org'))
              WHERE EXISTS (SELECT 1 FROM cdp.records WHERE source = 'act_app' AND source_key = 'b' || x);
            PERFORM cdp.upsert_record('act_app', 'c' || x, jsonb_build_object('email', 'act' || x || '@example.org'))
              WHERE EXISTS (SELECT 1 FROM cdp.records WHERE source = 'act_app' AND source_key = 'c' || x);
        ELSIF r < 0.67 THEN       -- forget
            c := cdp.customer_id('email', 'act' || x || '@example.org');
            IF c IS NOT NULL THEN
                INSERT INTO act_forgotten SELECT c, m.key FROM cdp.destination_members m WHERE m.customer_id = c;
                PERFORM cdp.forget_customer(c);
                DELETE FROM cdp.suppressions;   -- the person may come back
            END IF;
        ELSIF r < 0.85 THEN
            CALL act_refresh();
        END IF;
        IF random() < 0.15 OR i = 300 THEN
            IF i = 300 THEN CALL act_refresh(); END IF;
            PERFORM act_consume('act_esp', 1 + floor(random() * 20)::int);
            PERFORM act_consume('act_ads', 1 + floor(random() * 20)::int);
            INSERT INTO act_checks VALUES (i, act_diff());
        END IF;
    END LOOP;
END $$;
SELECT count(*) > 20 AS checks, count(*) FILTER (WHERE diff <> 0) AS checks_with_a_difference FROM act_checks;
SELECT count(*) >= 5 AS members_at_end FROM act_copy;
-- Nothing but the listed fields (and the key) ever reached the consumer.
SELECT count(*) AS foreign_keys FROM act_copy c, jsonb_object_keys(c.payload) k
 WHERE k NOT IN ('email', 'first_name', 'computed.rfm_frequency');
-- Forgotten customers: the copy lost them by key, and nothing of theirs is
-- left in activation's tables.
SELECT count(*) > 0 AS some_forgotten FROM act_forgotten;
SELECT count(*) AS forgotten_still_in_copy FROM act_copy c JOIN act_forgotten f ON f.key = c.key;
SELECT count(*) AS forgotten_rows_left
  FROM act_forgotten f
 WHERE EXISTS (SELECT 1 FROM cdp.destination_log l WHERE l.customer_id = f.customer_id)
    OR EXISTS (SELECT 1 FROM cdp.destination_members m WHERE m.customer_id = f.customer_id);

-- 6. Forget exit carries no PII: only the key (and forgotten: true).
SELECT cdp.upsert_record('act_src', 'z1', '{"email": "act.zoe@example.org"}', '{"first_name": "Zoe", "act_tier": "vip"}') AS zoe \gset
SELECT cdp.set_consent(:zoe, 'act_email', true);
CALL act_refresh();
SELECT act_consume('act_esp', 100) > 0 AS consumed;
SELECT cdp.forget_customer(:zoe) ->> 'forgotten' AS forgotten;
SELECT change, customer_id IS NULL AS no_customer_id, array(SELECT jsonb_object_keys(payload) ORDER BY 1) AS keys,
       payload::text NOT LIKE '%zoe%' AND payload::text NOT LIKE '%Zoe%' AS no_pii
  FROM cdp.destination_changes('act_esp');
SELECT act_consume('act_esp', 100) AS consumed, act_diff() AS diff;

-- 7. alter_destination: a new field list is queued as updates; a purpose
-- change as exits/enters; export agrees with the reference.
SELECT cdp.alter_destination('act_ads', '{"fields":["first_name","email"]}');
SELECT count(*) > 0 AND bool_and(change = 'update' AND payload ? 'email') AS all_updates
  FROM cdp.destination_changes('act_ads', 10000);
SELECT cdp.alter_destination('act_ads', '{"fields":["first_name"]}');
SELECT act_consume('act_ads', 50) > 0 AS consumed, act_diff() AS diff;
SELECT (SELECT count(*) FROM cdp.segment_export('act_vip', ARRAY['first_name'], 'act_email'))
     = (SELECT count(*) FROM act_expected WHERE dest = 'act_esp') AS export_matches;
SELECT count(*) AS export_differs FROM (
    SELECT (e ->> 'customer_id')::bigint, e - 'customer_id' FROM cdp.segment_export('act_vip', ARRAY['first_name'], 'act_ads') e
    EXCEPT SELECT customer_id, payload FROM act_expected WHERE dest = 'act_ads') x;
\set VERBOSITY terse
SELECT cdp.segment_export('act_vip', ARRAY['act_shoe']);
SELECT cdp.segment_export('act_vip', NULL, 'act_telepathy');
\set VERBOSITY default
SELECT cdp.segment_export('act_vip') ->> 'customer_id' IS NOT NULL AS ids_only LIMIT 1;

-- 8. Status, stats, privileges.
SELECT s - 'lag_seconds' - 'last_ack_at' - 'last_delivery_at' - 'members' AS status
  FROM cdp.destination_status('act_esp') s;
SELECT cdp.create_destination('act_hook', '{"segment":"act_vip","purpose":"act_email","kind":"webhook","url":"http://127.0.0.1:9/h","secret":"k"}') > 0 AS created;
SELECT cdp.destination_status('act_hook') ->> 'waiting' LIKE 'no delivery worker%' AS says_why;
SELECT (cdp.stats() ->> 'destinations')::int >= 3 AS in_stats;
SELECT has_table_privilege('cdp_reader', 'cdp.destination_secrets', 'SELECT') AS reader_sees_secret,
       has_function_privilege('cdp_writer', 'cdp.ack_destination(text,bigint)', 'EXECUTE') AS writer_acks,
       has_function_privilege('cdp_reader', 'cdp.ack_destination(text,bigint)', 'EXECUTE') AS reader_acks,
       has_function_privilege('cdp_writer', 'cdp.create_destination(text,jsonb)', 'EXECUTE') AS writer_creates;
SELECT tablename FROM pg_publication_tables WHERE pubname = 'cdp_activation';
SELECT cdp.drop_destination('act_hook');
SELECT count(*) AS left_over FROM cdp.destination_log l WHERE NOT EXISTS (SELECT 1 FROM cdp.destinations d WHERE d.destination_id = l.destination_id);

-- Clean up: later tests see the database as if this one had not run.
SELECT count(cdp.drop_destination(name)) AS dropped FROM cdp.destinations WHERE name LIKE 'act\_%';
SELECT count(cdp.forget_customer(c)) > 0 AS forgot
  FROM (SELECT DISTINCT customer_id AS c FROM cdp.records WHERE source LIKE 'act\_%' AND customer_id IS NOT NULL) x;
DELETE FROM cdp.suppressions;
DELETE FROM cdp.records WHERE source LIKE 'act\_%';
DELETE FROM cdp.sources WHERE source LIKE 'act\_%';
DELETE FROM cdp.segments WHERE name LIKE 'act\_%';
DELETE FROM cdp.consent_purposes WHERE purpose LIKE 'act\_%';
SELECT (SELECT count(*) FROM cdp.customers) + (SELECT count(*) FROM cdp.profiles) + (SELECT count(*) FROM cdp.merge_log)
     + (SELECT count(*) FROM cdp.consents) + (SELECT count(*) FROM cdp.identifiers) + (SELECT count(*) FROM cdp.destination_log)
       AS rows_left;
DROP VIEW act_expected;
DROP FUNCTION act_diff();
DROP FUNCTION act_consume(text, int, int);
DROP PROCEDURE act_refresh();
DROP TABLE act_copy, act_pos, act_checks, act_forgotten, act_want;
