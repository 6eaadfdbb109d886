-- Bulk write-back of cdp.resolve_identities(): the one-pass rewrite of
-- cdp.records (cdp.bulk_rewrite_min_records) and the COPY-style inserts into
-- cdp.customers and cdp.merge_log.  Checked against a reference partition
-- computed here in SQL (min-label propagation over cdp.identifiers, no cdp
-- code) and against the row-by-row UPDATE path on the same data; TOASTed
-- traits, indexes, constraints, rollback and user triggers are checked too.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE TEMP TABLE bw_saved_types AS SELECT * FROM cdp.identifier_types;
UPDATE cdp.identifier_types SET max_per_customer = NULL;  -- no limit fires: the partition is plain connectivity
INSERT INTO cdp.sources (source) VALUES ('bw_src');

-- 3000 records of 1000 persons, bulk-loaded unresolved (as with
-- cdp.defer_resolution), every 100th record with a large trait (TOASTed).
CREATE FUNCTION pg_temp.bw_load() RETURNS void LANGUAGE sql AS $$
  INSERT INTO cdp.records (source, source_key, traits)
  SELECT 'bw_src', 'k' || i,
         CASE WHEN i % 100 = 0 THEN jsonb_build_object('blob', (SELECT string_agg(md5(i || ':' || g), '') FROM generate_series(1, 400) g))
              ELSE jsonb_build_object('i', i) END
    FROM generate_series(1, 3000) i ORDER BY i;
  INSERT INTO cdp.identifiers (record_id, id_type, id_value)
  SELECT r.record_id, t, v
    FROM (SELECT record_id, substr(source_key, 2)::int AS i FROM cdp.records WHERE source = 'bw_src') r,
         LATERAL (SELECT (hashint4(r.i) & 2147483647) % 1000 AS p) p,
         LATERAL (VALUES
           ('email', CASE WHEN r.i % 5 < 3 THEN 'e' || p.p || '@x.it' END),
           ('phone', CASE WHEN r.i % 5 IN (1, 3) THEN '+39347' || lpad(p.p::text, 7, '0') END),
           ('anonymous_id', 'a' || r.i),
           ('device_id', CASE WHEN r.i % 3 = 0 THEN 'd' || (p.p * 2 + r.i % 2) END),
           ('external_id', CASE WHEN r.i % 2 = 0 THEN 'x' || p.p END)) AS x(t, v)
   WHERE v IS NOT NULL; $$;
CREATE FUNCTION pg_temp.bw_wipe() RETURNS void LANGUAGE sql AS $$
  DELETE FROM cdp.merge_log WHERE record_id IN (SELECT record_id FROM cdp.records WHERE source = 'bw_src');
  DELETE FROM cdp.customers WHERE customer_id IN (SELECT customer_id FROM cdp.records WHERE source = 'bw_src');
  DELETE FROM cdp.records WHERE source = 'bw_src'; $$;
CREATE FUNCTION pg_temp.bw_snapshot(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TEMP TABLE %I AS SELECT source_key AS skey, customer_id AS label, md5(traits::text) AS traits_md5
                    FROM cdp.records WHERE source = %L', name, 'bw_src');
END $$;
-- records whose group differs between two labelings (0 = same partition):
-- each labeling is put in canonical form, every record mapped to the
-- smallest key of its group, and the forms are compared record by record
CREATE FUNCTION pg_temp.bw_diff(a regclass, b regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (SELECT skey, min(skey) OVER (PARTITION BY label) AS rep FROM %s) x
                    FULL JOIN (SELECT skey, min(skey) OVER (PARTITION BY label) AS rep FROM %s) y USING (skey)
                   WHERE x.rep IS DISTINCT FROM y.rep', a, b) INTO n;
  RETURN n;
END $$;

SELECT pg_temp.bw_load();
SELECT count(*) AS records, count(*) FILTER (WHERE pg_column_size(traits) > 2000) AS big_traits
  FROM cdp.records WHERE source = 'bw_src';
SELECT pg_relation_size((SELECT reltoastrelid FROM pg_class WHERE oid = 'cdp.records'::regclass)) > 0 AS traits_toasted;
CREATE TEMP TABLE bw_traits AS SELECT source_key AS skey, md5(traits::text) AS traits_md5 FROM cdp.records WHERE source = 'bw_src';

-- reference partition
CREATE TEMP TABLE bw_ref AS SELECT source_key AS skey, record_id AS label, record_id FROM cdp.records WHERE source = 'bw_src';
DO $$
DECLARE n int;
BEGIN
  LOOP
    UPDATE bw_ref SET label = m.lo
      FROM (SELECT a.record_id, min(l.label) AS lo FROM cdp.identifiers a
              JOIN cdp.identifiers b USING (id_type, id_value) JOIN bw_ref l ON l.record_id = b.record_id
             GROUP BY 1) m
     WHERE bw_ref.record_id = m.record_id AND m.lo < bw_ref.label;
    GET DIAGNOSTICS n = ROW_COUNT;
    EXIT WHEN n = 0;
  END LOOP;
END $$;
SELECT count(DISTINCT label) AS reference_customers FROM bw_ref;

-- 1. rewrite path, rolled back: nothing changes
SET cdp.bulk_rewrite_min_records = 1;
BEGIN;
SELECT cdp.resolve_identities() ->> 'write_path' AS write_path;
SELECT count(customer_id) AS resolved_inside FROM cdp.records WHERE source = 'bw_src';
ROLLBACK;
SELECT count(customer_id) AS resolved_after_rollback, count(*) AS records FROM cdp.records WHERE source = 'bw_src';

-- 2. rewrite path
SELECT r ->> 'write_path' AS write_path, (r ->> 'records_changed')::int >= 3000 AS all_changed
  FROM cdp.resolve_identities() r;
SELECT pg_temp.bw_snapshot('bw_rewrite');
SELECT pg_temp.bw_diff('bw_ref', 'bw_rewrite') AS rewrite_vs_reference;
SELECT count(*) AS traits_changed FROM bw_rewrite w JOIN bw_traits t USING (skey) WHERE w.traits_md5 <> t.traits_md5;
-- every customer has its row; merge_log (bulk path: over 1000 rows) holds one
-- 'exact' row per merge = records - customers, with ids and timestamps filled
SELECT count(*) AS customers_without_row FROM cdp.records r
 WHERE source = 'bw_src' AND NOT EXISTS (SELECT 1 FROM cdp.customers c WHERE c.customer_id = r.customer_id);
SELECT count(*) = (SELECT count(*) - count(DISTINCT customer_id) FROM cdp.records WHERE source = 'bw_src') AS one_row_per_merge,
       count(*) > 1000 AS bulk_sized, count(DISTINCT merge_id) = count(*) AS ids_distinct,
       bool_and(at IS NOT NULL AND customer_id IS NOT NULL AND id_type IS NOT NULL) AS filled
  FROM cdp.merge_log WHERE rule = 'exact' AND record_id IN (SELECT record_id FROM cdp.records WHERE source = 'bw_src');
-- the rebuilt indexes answer like a sequential scan, constraints still hold
SET enable_seqscan = off;
SELECT count(*) AS by_index FROM cdp.records WHERE customer_id = (SELECT label FROM bw_rewrite WHERE skey = 'k1');
RESET enable_seqscan;
SET enable_indexscan = off; SET enable_bitmapscan = off;
SELECT count(*) AS by_seqscan FROM cdp.records WHERE customer_id = (SELECT label FROM bw_rewrite WHERE skey = 'k1');
RESET enable_indexscan; RESET enable_bitmapscan;
INSERT INTO cdp.records (source, source_key) VALUES ('bw_src', 'k1');
SELECT cdp.resolve_identities() ->> 'records_changed' AS second_run_changes;

-- a scan of cdp.records open in this session (a cursor): no rewrite under it
SELECT pg_temp.bw_wipe();
SELECT pg_temp.bw_load();
BEGIN;
DECLARE bw_cur CURSOR FOR SELECT source_key FROM cdp.records WHERE source = 'bw_src' ORDER BY record_id;
FETCH 2 FROM bw_cur;
SELECT cdp.resolve_identities() ->> 'write_path' AS write_path_with_open_cursor;
FETCH 2 FROM bw_cur;
COMMIT;
SELECT pg_temp.bw_snapshot('bw_cursor');
SELECT pg_temp.bw_diff('bw_ref', 'bw_cursor') AS cursor_run_vs_reference;

-- 3. the UPDATE path on the same data gives the same partition
SELECT pg_temp.bw_wipe();
SELECT pg_temp.bw_load();
SET cdp.bulk_rewrite_min_records = 0;
SELECT cdp.resolve_identities() ->> 'write_path' AS write_path;
SELECT pg_temp.bw_snapshot('bw_update');
SELECT pg_temp.bw_diff('bw_rewrite', 'bw_update') AS update_vs_rewrite;

-- 4. user triggers on merge_log, customers and records: the bulk paths step
--    aside (rows go through INSERT / UPDATE), the triggers see every row
SELECT pg_temp.bw_wipe();
SELECT pg_temp.bw_load();
CREATE TEMP TABLE bw_seen (tab text);
CREATE FUNCTION public.bw_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO bw_seen VALUES (TG_TABLE_NAME); RETURN NEW; END $$;
CREATE TRIGGER bw_audit AFTER INSERT ON cdp.merge_log FOR EACH ROW EXECUTE FUNCTION public.bw_count();
CREATE TRIGGER bw_audit AFTER INSERT ON cdp.customers FOR EACH ROW EXECUTE FUNCTION public.bw_count();
CREATE TRIGGER bw_audit AFTER UPDATE ON cdp.records FOR EACH ROW EXECUTE FUNCTION public.bw_count();
SET cdp.bulk_rewrite_min_records = 1;
SELECT cdp.resolve_identities() ->> 'write_path' AS write_path;
SELECT (SELECT count(*) FROM bw_seen WHERE tab = 'merge_log') = count(*) AS trigger_saw_every_log_row
  FROM cdp.merge_log WHERE record_id IN (SELECT record_id FROM cdp.records WHERE source = 'bw_src');
SELECT (SELECT count(*) FROM bw_seen WHERE tab = 'customers') = count(DISTINCT customer_id) AS trigger_saw_every_customer,
       (SELECT count(*) FROM bw_seen WHERE tab = 'records') = count(*) AS trigger_saw_every_record_update
  FROM cdp.records WHERE source = 'bw_src';
DROP TRIGGER bw_audit ON cdp.merge_log;
DROP TRIGGER bw_audit ON cdp.customers;
DROP TRIGGER bw_audit ON cdp.records;
DROP FUNCTION public.bw_count();
SELECT pg_temp.bw_snapshot('bw_trigger');
SELECT pg_temp.bw_diff('bw_ref', 'bw_trigger') AS trigger_run_vs_reference;

-- 5. bulk mode: a deferred load through upsert_record and a multi-record
--    ingest batch take the graph lock EXCLUSIVE and no per-record locks
--    (one advisory lock per record would exhaust the shared lock table on a
--    big load, and two batches could wait for each other's keys)
SELECT pg_temp.bw_wipe();
BEGIN;
SET LOCAL cdp.defer_resolution = on;
SELECT count(*) AS deferred_upserts FROM (
  SELECT cdp.upsert_record('bw_src', 'u' || i, jsonb_build_object('email', 'u' || i || '@bw.it')) FROM generate_series(1, 5000) i) x;
SELECT mode, count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() GROUP BY 1 ORDER BY 1;
COMMIT;
BEGIN;
SELECT cdp.ingest(jsonb_build_object('batch', (SELECT jsonb_agg(jsonb_build_object('type', 'identify', 'messageId', 'bw-' || i,
         'userId', 'bwu' || i, 'traits', jsonb_build_object('email', 'u' || i || '@bw.it'))) FROM generate_series(1, 300) i)),
       'bw_src') ->> 'accepted' AS accepted;
SELECT mode, count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() GROUP BY 1 ORDER BY 1;
COMMIT;
-- one upsert per transaction keeps the fine-grained protocol (graph SHARE + keys)
BEGIN;
SELECT cdp.upsert_record('bw_src', 'single', jsonb_build_object('email', 'u1@bw.it')) IS NOT NULL AS resolved;
SELECT mode, count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() GROUP BY 1 ORDER BY 1;
COMMIT;
SELECT count(DISTINCT customer_id) AS customers, count(*) AS records FROM cdp.records WHERE source = 'bw_src' AND customer_id IS NOT NULL;
DELETE FROM cdp.events WHERE message_id LIKE 'bw-%';

RESET cdp.bulk_rewrite_min_records;
SELECT pg_temp.bw_wipe();
DELETE FROM cdp.sources WHERE source = 'bw_src';
UPDATE cdp.identifier_types t SET max_per_customer = s.max_per_customer FROM bw_saved_types s WHERE s.id_type = t.id_type;
