-- Identity graph, incremental path: cdp.upsert_record and cdp.customer_id.
-- Every expectation below is worked out by hand from the rules in docs/identity.md
-- ("Resolution rules"); customer ids are compared, never printed (they depend
-- on the sequence state left by earlier tests).  Sources are prefixed 'iu_'.
\set SHOW_CONTEXT never

-- 1. A web visitor who later signs up and then buys in store is one customer.
SELECT cdp.upsert_record('iu_web', 'visit-1', '{"anonymous_id": "anon-77"}') AS visitor \gset
SELECT cdp.upsert_record('iu_app', 'user-9', '{"anonymous_id": "anon-77", "email": " Mario.Rossi@Example.IT "}',
                         '{"first_name": "Mario"}') AS signup \gset
SELECT cdp.upsert_record('iu_pos', 'ticket-5', '{"email": "mario.rossi@example.it", "phone": ["02 1234 5678"]}') AS store \gset
SELECT :visitor = :signup AS signup_joins_visitor, :signup = :store AS store_joins_signup;
-- phone written differently (E.164 after normalisation) joins as well
SELECT cdp.upsert_record('iu_crm', 'c-1', '{"phone": "+39 02 12345678"}') = :visitor AS phone_formats_join;
SELECT cdp.customer_id('email', 'MARIO.ROSSI@example.it') = :visitor AS lookup_normalises,
       cdp.customer_id('phone', '0039 02 1234 5678') = :visitor AS lookup_phone,
       cdp.customer_id('email', 'nobody@example.it') IS NULL AS unknown_value_is_null;
SELECT source, source_key, traits FROM cdp.records WHERE source LIKE 'iu\_%' ORDER BY record_id;
SELECT r.source, i.id_type, i.id_value FROM cdp.identifiers i JOIN cdp.records r USING (record_id)
 WHERE r.source LIKE 'iu\_%' ORDER BY r.record_id, i.id_type, i.id_value;
-- the merge evidence: each joining record with the identifier that joined it
SELECT r.source, m.id_type, m.id_value, m.rule, m.customer_id = :visitor AS into_visitor
  FROM cdp.merge_log m JOIN cdp.records r USING (record_id)
 WHERE r.source LIKE 'iu\_%' ORDER BY m.merge_id;
SELECT count(*) AS new_sources FROM cdp.sources WHERE source LIKE 'iu\_%' AND priority = 100;

-- 2. Two customers bridged later: the older (smaller) id survives, the other
--    becomes an alias, and both records now point at the survivor.
SELECT cdp.upsert_record('iu_news', 'n-1', '{"email": "anna@example.org"}') AS anna \gset
SELECT cdp.upsert_record('iu_shop', 's-1', '{"phone": "+44 20 7946 0958"}') AS anna_phone \gset
SELECT :anna <> :anna_phone AS two_customers_before;
SELECT cdp.upsert_record('iu_shop', 's-2', '{"email": "anna@example.org", "phone": "+442079460958"}') = least(:anna, :anna_phone)
       AS bridge_keeps_older_id;
SELECT customer_id = least(:anna, :anna_phone) AS alias_resolves FROM cdp.customer_aliases WHERE old_id = greatest(:anna, :anna_phone);
SELECT NOT EXISTS (SELECT 1 FROM cdp.customers WHERE customer_id = greatest(:anna, :anna_phone)) AS merged_customer_gone;
SELECT count(DISTINCT customer_id) AS customers_of_anna FROM cdp.records WHERE source_key IN ('n-1', 's-1', 's-2') AND source LIKE 'iu\_%';
SELECT rule, id_type, m.customer_id = least(:anna, :anna_phone) AS survivor, merged_id = greatest(:anna, :anna_phone) AS merged
  FROM cdp.merge_log m JOIN cdp.records r USING (record_id) WHERE r.source = 'iu_shop' AND r.source_key = 's-2' ORDER BY merge_id;

-- 3. Re-upsert removes an identifier: the customer splits; the part with the
--    oldest record keeps the id.  a(email e) b(email e, phone p) c(phone p).
SELECT cdp.upsert_record('iu_split', 'a', '{"email": "e@split.it"}') AS a \gset
SELECT cdp.upsert_record('iu_split', 'b', '{"email": "e@split.it", "phone": "+39 333 1112222"}') = :a AS b_joins;
SELECT cdp.upsert_record('iu_split', 'c', '{"phone": "+39 333 1112222"}') = :a AS c_joins;
SELECT cdp.upsert_record('iu_split', 'b', '{"email": "e@split.it"}') = :a AS b_keeps_id;
SELECT source_key, customer_id = :a AS keeps_a FROM cdp.records WHERE source = 'iu_split' ORDER BY record_id;
SELECT m.rule, m.merged_id = :a AS from_a, m.detail->>'records' AS records
  FROM cdp.merge_log m WHERE m.rule = 'split' AND m.merged_id = :a;
-- adding it back re-merges (the newer customer is merged away)
SELECT cdp.upsert_record('iu_split', 'b', '{"email": "e@split.it", "phone": "+393331112222"}') = :a AS remerged;
SELECT count(DISTINCT customer_id) AS customers FROM cdp.records WHERE source = 'iu_split';

-- 4. Limits.  user_id allows 1 value per customer: two different user ids
--    sharing an email stay apart, and the refusal is logged.
SELECT cdp.upsert_record('iu_lim', 'x', '{"user_id": "U1", "email": "family@home.it"}') AS x \gset
SELECT cdp.upsert_record('iu_lim', 'y', '{"user_id": "U2", "email": "family@home.it"}') AS y \gset
SELECT :x <> :y AS user_id_limit_keeps_apart;
SELECT m.rule, m.id_type, m.id_value, m.detail->>'type' AS limited_type, m.detail->>'would_be' AS would_be,
       m.detail->>'limit' AS lim, m.customer_id = :y AS for_y, m.merged_id = :x AS refused_x
  FROM cdp.merge_log m JOIN cdp.records r USING (record_id) WHERE r.source = 'iu_lim' ORDER BY merge_id;
-- a third record with only the email: joins the oldest (x) first, then y is refused
SELECT cdp.upsert_record('iu_lim', 'z', '{"email": "family@home.it"}') = :x AS joins_oldest;
SELECT m.rule, m.merged_id = :y AS refused_y
  FROM cdp.merge_log m JOIN cdp.records r USING (record_id) WHERE r.source = 'iu_lim' AND r.source_key = 'z' ORDER BY merge_id;

-- max_records_per_value (device_id limited to 2 records in this transaction)
BEGIN;
UPDATE cdp.identifier_types SET max_records_per_value = 2 WHERE id_type = 'device_id';
SELECT cdp.upsert_record('iu_dev', 'd1', '{"device_id": "kiosk-1"}') AS d1 \gset
SELECT cdp.upsert_record('iu_dev', 'd2', '{"device_id": "kiosk-1"}') = :d1 AS second_holder_links;
SELECT cdp.upsert_record('iu_dev', 'd3', '{"device_id": "kiosk-1"}') <> :d1 AS third_holder_refused;
SELECT rule, detail->>'would_be' AS would_be, detail->>'limit' AS lim FROM cdp.merge_log m JOIN cdp.records r USING (record_id)
 WHERE r.source = 'iu_dev' ORDER BY merge_id;
ROLLBACK;

-- blocked value: never links, refusal logged
BEGIN;
UPDATE cdp.identifier_types SET blocked_values = '{test@test.com}' WHERE id_type = 'email';
SELECT cdp.upsert_record('iu_blk', 'b1', '{"email": "TEST@test.com", "phone": "+39 06 1111111"}') AS b1 \gset
SELECT cdp.upsert_record('iu_blk', 'b2', '{"email": "test@test.com"}') <> :b1 AS blocked_value_does_not_link;
SELECT cdp.upsert_record('iu_blk', 'b3', '{"email": "test@test.com", "phone": "+39061111111"}') = :b1 AS other_value_still_links;
SELECT r.source_key, m.rule, m.id_value FROM cdp.merge_log m JOIN cdp.records r USING (record_id)
 WHERE r.source = 'iu_blk' ORDER BY merge_id;
ROLLBACK;

-- cdp.max_cluster_records
BEGIN;
SET LOCAL cdp.max_cluster_records = 2;
SELECT cdp.upsert_record('iu_big', 'g1', '{"external_id": "E-1"}') AS g1 \gset
SELECT cdp.upsert_record('iu_big', 'g2', '{"external_id": "E-1"}') = :g1 AS second_fits;
SELECT cdp.upsert_record('iu_big', 'g3', '{"external_id": "E-1"}') <> :g1 AS third_refused;
SELECT rule, detail->>'would_be' AS would_be, detail->>'limit' AS lim FROM cdp.merge_log m JOIN cdp.records r USING (record_id)
 WHERE r.source = 'iu_big' ORDER BY merge_id;
ROLLBACK;

-- 5. Deferred resolution: stored with customer_id NULL, nothing linked yet.
BEGIN;
SET LOCAL cdp.defer_resolution = on;
SELECT cdp.upsert_record('iu_defer', 'k1', '{"email": "later@example.it"}') IS NULL AS deferred_returns_null;
SELECT customer_id IS NULL AS stored_unresolved, (SELECT count(*) FROM cdp.identifiers i WHERE i.record_id = r.record_id) AS identifiers
  FROM cdp.records r WHERE source = 'iu_defer';
ROLLBACK;

-- 6. Bad input: clear errors, nothing written.
SELECT cdp.upsert_record('iu_bad', 'k', '{"shoe_size": "42"}');
SELECT cdp.upsert_record('iu_bad', 'k', '{"email": 42}');
SELECT cdp.upsert_record('iu_bad', 'k', '{"email": ["a@b.it", {"x": 1}]}');
SELECT cdp.upsert_record('iu_bad', 'k', '["a@b.it"]');
SELECT cdp.upsert_record('iu_bad', 'k', '{}', '[1]');
SELECT cdp.upsert_record('', 'k', '{}');
SELECT cdp.customer_id('shoe_size', '42');
SELECT count(*) AS nothing_written FROM cdp.records WHERE source = 'iu_bad';
-- values that normalise to nothing are dropped and noted
SELECT cdp.upsert_record('iu_drop', 'k', '{"email": ["not an email", "ok@drop.it"], "phone": "12"}') IS NOT NULL AS stored;
SELECT i.id_type, i.id_value FROM cdp.identifiers i JOIN cdp.records r USING (record_id) WHERE r.source = 'iu_drop';
SELECT m.rule, m.id_type, m.id_value, m.customer_id = r.customer_id AS on_customer
  FROM cdp.merge_log m JOIN cdp.records r USING (record_id) WHERE r.source = 'iu_drop' ORDER BY m.merge_id;
-- empty identifiers: the record is its own customer
SELECT cdp.upsert_record('iu_drop', 'empty', '{}') <> cdp.upsert_record('iu_drop', 'empty2', '{}') AS own_customers;

-- 7. Roles: writers upsert and delete, admins resolve and block, readers look up
--    (no direct write grant on the tables is needed).
SET ROLE cdp_writer;
SELECT cdp.upsert_record('iu_role', 'w1', '{"email": "role@example.it"}') IS NOT NULL AS writer_upserts;
SELECT cdp.delete_record('iu_role', 'w1')->>'deleted' AS writer_deletes;
SELECT cdp.resolve_identities();
RESET ROLE;
SET ROLE cdp_reader;
SELECT cdp.customer_id('email', 'role@example.it') IS NULL AS reader_looks_up;
SELECT cdp.upsert_record('iu_role', 'r1', '{}');
RESET ROLE;
SET ROLE cdp_admin;
SELECT cdp.resolve_identities() ? 'records' AS admin_resolves;
SELECT cdp.block_identifier('email', 'role@example.it')->>'newly_blocked' AS admin_blocks;
RESET ROLE;
UPDATE cdp.identifier_types SET blocked_values = array_remove(blocked_values, 'role@example.it') WHERE id_type = 'email';
DELETE FROM cdp.merge_log WHERE rule = 'blocked' AND id_value = 'role@example.it';

-- clean up
DELETE FROM cdp.merge_log WHERE record_id IN (SELECT record_id FROM cdp.records WHERE source LIKE 'iu\_%');
DELETE FROM cdp.customer_aliases WHERE customer_id IN (SELECT customer_id FROM cdp.records WHERE source LIKE 'iu\_%');
DELETE FROM cdp.customers WHERE customer_id IN (SELECT customer_id FROM cdp.records WHERE source LIKE 'iu\_%');
DELETE FROM cdp.records WHERE source LIKE 'iu\_%';
DELETE FROM cdp.sources WHERE source LIKE 'iu\_%';
