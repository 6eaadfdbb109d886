-- Right of access (export_customer) and right to be forgotten
-- (forget_customer, suppressions, unsuppress).  The forget check scans every
-- text / json / jsonb / array column of every cdp table, found through the
-- catalog (so tables added later are covered), for every value of the
-- person.  Sources are prefixed 'pv_'.
\set SHOW_CONTEXT never
-- A person who came through web, app, shop and newsletter.
SELECT cdp.upsert_record('pv_shop', 'order-zq-1', '{"email": "Zebulon.Quist@gmail.com", "phone": "+39 349 777 8899"}',
                         '{"first_name": "Zebulon", "last_name": "Quistorp", "street": "Via Zaffiro 17"}') AS zq \gset
SELECT cdp.upsert_record('pv_news', 'sub-zq', '{"email": "zebulonquist@gmail.com"}', '{"newsletter": "weekly"}') = :zq AS same;
SELECT cdp.ingest(jsonb_build_object('batch', jsonb_build_array(
    '{"type": "identify", "userId": "zq-user-77", "anonymousId": "anon-zq-1", "traits": {"email": "zebulon.quist@gmail.com", "name": "Zebulon Quistorp"}, "messageId": "pv-1", "timestamp": "2026-05-01T10:00:00Z"}'::jsonb,
    '{"type": "track", "userId": "zq-user-77", "event": "Order Completed", "properties": {"revenue": 42, "note": "deliver to Zebulon"}, "messageId": "pv-2", "timestamp": "2026-05-02T10:00:00Z"}'::jsonb,
    '{"type": "page", "anonymousId": "anon-zq-1", "name": "Home", "context": {"device": {"id": "dev-zq-9"}}, "messageId": "pv-3", "timestamp": "2026-05-03T10:00:00Z"}'::jsonb,
    '{"type": "bogus", "userId": "zq-user-77", "traits": {"email": "ZEBULON.QUIST@GMAIL.COM"}}'::jsonb)), 'pv_web') - 'rejected' AS ingested;
SELECT cdp.set_consent(:zq, 'email_marketing', true, 'pv_news');
SELECT cdp.set_consent(:zq, 'email_marketing', false, 'pv_web');
-- someone else, to check nothing of theirs goes
SELECT cdp.upsert_record('pv_shop', 'order-other', '{"email": "other.pv@example.org"}', '{"first_name": "Otto"}') AS other \gset

-- The person's values, as loaded (raw spellings, normalised values, keys, names).
CREATE TABLE pv_values (v text);
INSERT INTO pv_values VALUES ('Zebulon.Quist@gmail.com'), ('zebulonquist@gmail.com'), ('zebulon.quist'), ('+393497778899'),
    ('349 777 8899'), ('zq-user-77'), ('anon-zq-1'), ('dev-zq-9'), ('order-zq-1'), ('sub-zq'), ('Zebulon'), ('Quistorp'), ('Zaffiro');

-- 1. Export: everything held, checked against the tables.
SELECT cdp.export_customer(:zq) AS x \gset
SELECT jsonb_array_length(:'x'::jsonb -> 'records') = (SELECT count(*) FROM cdp.records WHERE customer_id = :zq) AS records,
       jsonb_array_length(:'x'::jsonb -> 'events') = (SELECT count(*) FROM cdp.events e JOIN cdp.records r USING (record_id) WHERE r.customer_id = :zq) AS events,
       (SELECT sum(jsonb_array_length(r -> 'identifiers')) FROM jsonb_array_elements(:'x'::jsonb -> 'records') r)
         = (SELECT count(*) FROM cdp.identifiers i JOIN cdp.records r USING (record_id) WHERE r.customer_id = :zq) AS identifiers,
       jsonb_array_length(:'x'::jsonb -> 'consent_history') AS consent_history,
       jsonb_array_length(:'x'::jsonb -> 'trait_history') = (SELECT count(*) FROM cdp.profile_changes WHERE customer_id = :zq) AS trait_history,
       jsonb_array_length(:'x'::jsonb -> 'merge_evidence') > 0 AS merge_evidence,
       :'x'::jsonb -> 'profile' -> 'traits' ->> 'first_name' AS first_name;
SELECT cdp.export_customer(-5) IS NULL AS unknown_is_null;

-- A scan of every text-like column of every cdp table for the values.
CREATE FUNCTION pv_scan() RETURNS TABLE (tab text, col text, val text) LANGUAGE plpgsql AS $$
DECLARE t record; v text; n bigint;
BEGIN
    FOR t IN SELECT c.relname, a.attname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace AND s.nspname = 'cdp'
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               JOIN pg_type ty ON ty.oid = a.atttypid
              WHERE c.relkind IN ('r', 'p')
                AND (ty.typname IN ('text', 'varchar', 'json', 'jsonb', 'bpchar', 'name') OR ty.typcategory = 'A')
              ORDER BY 1, 2 LOOP
        FOR v IN SELECT pv_values.v FROM pv_values LOOP
            EXECUTE format('SELECT count(*) FROM cdp.%I WHERE strpos(lower(%I::text), lower($1)) > 0', t.relname, t.attname)
               INTO n USING v;
            IF n > 0 THEN tab := t.relname; col := t.attname; val := v; RETURN NEXT; END IF;
        END LOOP;
    END LOOP;
END $$;
SELECT count(*) > 10 AS found_before FROM pv_scan();

-- 2. Forget, in one transaction.
SELECT (f ->> 'forgotten')::bool AS forgotten, (f ->> 'records')::int AS records, (f ->> 'identifiers_suppressed')::int AS suppressed,
       f -> 'deleted' ? 'events' AS events_gone, f -> 'deleted' ? 'rejected_messages' AS rejected_scrubbed
  FROM cdp.forget_customer(:zq) f;
SELECT * FROM pv_scan();
SELECT cdp.customer_profile(:zq) IS NULL AS profile_gone, cdp.customer_profile(:other) -> 'traits' ->> 'first_name' AS other_kept;
SELECT cdp.forget_customer(:zq) ->> 'forgotten' AS again;

-- 3. Suppression: any spelling the normalisers map together, through ingest
--    (reported as suppressed) and upsert (an error); unsuppress lets them in.
SELECT cdp.ingest(jsonb_build_object('batch', jsonb_build_array(
    '{"type": "identify", "userId": "new-user-1", "traits": {"email": "ZebulonQuist+promo@googlemail.com"}, "messageId": "pv-s1"}'::jsonb,
    '{"type": "identify", "userId": "new-user-2", "traits": {"phone": "349-777-8899"}, "messageId": "pv-s2"}'::jsonb,
    '{"type": "track", "userId": "zq-user-77", "event": "Back", "messageId": "pv-s3"}'::jsonb,
    '{"type": "track", "anonymousId": "anon-zq-1", "event": "Back", "messageId": "pv-s4"}'::jsonb,
    '{"type": "track", "userId": "someone-else-pv", "event": "Fine", "messageId": "pv-s5"}'::jsonb)), 'pv_web') AS ingest_result;
SELECT cdp.upsert_record('pv_crm', 'c-9', '{"email": "zebulon.quist@GMAIL.com"}');
SELECT * FROM pv_scan();
SELECT cdp.unsuppress('email', 'ZEBULON.QUIST@gmail.com') AS unsuppressed, cdp.unsuppress('email', 'nobody@example.org') AS not_suppressed;
SELECT cdp.upsert_record('pv_crm', 'c-9', '{"email": "zebulon.quist@GMAIL.com"}') IS NOT NULL AS back;
SELECT cdp.unsuppress('email', 'not an email');
