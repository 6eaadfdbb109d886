-- Identity graph against an independent reference.  A deterministic
-- generator makes multi-channel customers (web visits, app logins, CRM,
-- shop, newsletter; households sharing an e-mail; phones in national and
-- international formats; e-mails in mixed case; device ids; e-mail typos
-- left for the probabilistic stage).  It records the canonical value of
-- every identifier it writes, and the reference partition is computed here
-- in SQL (min-label propagation over those canonical values, no cdp code).
-- Incremental, batch and bulk-deferred loading must give exactly the
-- reference partition when no limit fires; with the seeded limits (which do
-- fire: two user ids in a household) incremental and batch must agree.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
-- deterministic multi-channel generator
CREATE TEMP TABLE gen_edge (src text, skey text, ord int, id_type text, canon text, raw text);
CREATE FUNCTION pg_temp.h(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS
  $$ SELECT ('x' || substr(md5(a || ':' || b), 1, 7))::bit(28)::int $$;
INSERT INTO gen_edge
SELECT src, skey, pg_temp.h(p, k), id_type, canon, raw
FROM generate_series(1, 200) AS p
CROSS JOIN LATERAL (VALUES
   ('person' || p || '@mail.example', 'family' || ((p + 1) / 2) || '@home.example',
    '+39347' || lpad(p::text, 7, '0'))) AS c(email, fam, phone)
CROSS JOIN LATERAL (VALUES
   -- web visits: anonymous id + device
   ('web', 'v' || p || 'a', 1, 'anonymous_id', 'anon-' || p || '-1', 'anon-' || p || '-1'),
   ('web', 'v' || p || 'a', 1, 'device_id', 'dev-' || p || '-1', ' dev-' || p || '-1 '),
   ('web', 'v' || p || 'b', 2, 'anonymous_id', 'anon-' || p || '-2', 'anon-' || p || '-2'),
   -- app login: user id, earlier anonymous id, second device, email (case/space variant)
   ('app', 'u' || p, 3, 'user_id', 'U' || p, 'U' || p),
   ('app', 'u' || p, 3, 'anonymous_id', 'anon-' || p || '-2', 'anon-' || p || '-2'),
   ('app', 'u' || p, 3, 'device_id', 'dev-' || p || '-2', 'dev-' || p || '-2'),
   ('app', 'u' || p, 3, 'email', email, CASE WHEN p % 3 = 0 THEN upper(email) ELSE ' ' || email END),
   -- CRM: email + phone in national format
   ('crm', 'c' || p, 4, 'email', email, email),
   ('crm', 'c' || p, 4, 'phone', phone, '347 ' || substr(phone, 7, 3) || ' ' || substr(phone, 10)),
   -- shop: phone in international formats; family email for the first 120 persons; a typo sometimes
   ('shop', 's' || p, 5, 'phone', phone, CASE WHEN p % 2 = 0 THEN '0039 ' || substr(phone, 4) ELSE '+39 ' || substr(phone, 4, 3) || ' ' || substr(phone, 7) END),
   ('shop', 's' || p, 5, 'email', CASE WHEN p <= 120 THEN fam ELSE 'person' || p || '@mial.example' END,
                                  CASE WHEN p <= 120 THEN fam ELSE 'person' || p || '@mial.example' END),
   -- newsletter: family email (households) or personal email
   ('newsletter', 'n' || p, 6, 'email', CASE WHEN p <= 120 THEN fam ELSE email END, CASE WHEN p <= 120 THEN upper(fam) ELSE email END)
) AS e(src, skey, k, id_type, canon, raw)
-- drop some channels for some persons (deterministic)
WHERE NOT (k = 2 AND p % 4 = 1) AND NOT (k = 4 AND p % 5 = 2) AND NOT (k = 6 AND p % 7 = 3) AND NOT (k = 3 AND p % 11 = 5);

SELECT count(DISTINCT (src, skey)) AS records, count(*) AS identifiers,
       count(DISTINCT raw) FILTER (WHERE raw <> canon) AS raw_variants FROM gen_edge;

-- Reference partition: every record starts with its own label; labels flow
-- to the minimum over shared canonical values until nothing changes.
CREATE TEMP TABLE ref AS
SELECT src, skey, row_number() OVER (ORDER BY src, skey) AS label FROM (SELECT DISTINCT src, skey FROM gen_edge) r;
DO $$
DECLARE n int;
BEGIN
  LOOP
    UPDATE ref SET label = m.lo
      FROM (SELECT e1.src, e1.skey, min(r2.label) AS lo
              FROM gen_edge e1 JOIN gen_edge e2 USING (id_type, canon)
              JOIN ref r2 ON r2.src = e2.src AND r2.skey = e2.skey
             GROUP BY 1, 2) m
     WHERE ref.src = m.src AND ref.skey = m.skey AND m.lo < ref.label;
    GET DIAGNOSTICS n = ROW_COUNT;
    EXIT WHEN n = 0;
  END LOOP;
END $$;
SELECT count(DISTINCT label) AS reference_customers FROM ref;

-- Loaders and comparison helpers.
CREATE FUNCTION pg_temp.load_incremental() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(coalesce(cdp.upsert_record('rf_' || src, skey, ids), 0)) FROM (
    SELECT src, skey, min(o) AS o, jsonb_object_agg(id_type, raws) AS ids
      FROM (SELECT src, skey, min(ord) AS o, id_type, jsonb_agg(raw ORDER BY raw) AS raws
              FROM gen_edge GROUP BY src, skey, id_type) x
     GROUP BY src, skey ORDER BY min(o), src, skey) y $$;
CREATE FUNCTION pg_temp.snapshot(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TEMP TABLE %I AS SELECT substr(source, 4) AS src, source_key AS skey, customer_id AS label
                    FROM cdp.records WHERE source LIKE %L', name, 'rf\_%');
END $$;
-- Number of records whose group differs between two labelings (0 = same partition).
CREATE FUNCTION pg_temp.partition_diff(a regclass, b regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format($q$
    WITH j AS (SELECT x.src, x.skey, x.label AS la, y.label AS lb FROM %s x FULL JOIN %s y USING (src, skey)),
         fa AS (SELECT la FROM j GROUP BY la HAVING count(DISTINCT lb) > 1 OR bool_or(lb IS NULL)),
         fb AS (SELECT lb FROM j GROUP BY lb HAVING count(DISTINCT la) > 1 OR bool_or(la IS NULL))
    SELECT count(*) FROM j WHERE la IS NULL OR lb IS NULL OR la IN (SELECT la FROM fa) OR lb IN (SELECT lb FROM fb)$q$, a, b)
  INTO n;
  RETURN n;
END $$;
CREATE FUNCTION pg_temp.wipe() RETURNS void LANGUAGE sql AS $$
  DELETE FROM cdp.merge_log WHERE record_id IN (SELECT record_id FROM cdp.records WHERE source LIKE 'rf\_%');
  DELETE FROM cdp.customer_aliases WHERE customer_id IN (SELECT customer_id FROM cdp.records WHERE source LIKE 'rf\_%');
  DELETE FROM cdp.customers WHERE customer_id IN (SELECT customer_id FROM cdp.records WHERE source LIKE 'rf\_%');
  DELETE FROM cdp.records WHERE source LIKE 'rf\_%'; $$;

-- A. No limits (max_per_customer lifted for the test): incremental = reference.
CREATE TEMP TABLE saved_types AS SELECT * FROM cdp.identifier_types;
UPDATE cdp.identifier_types SET max_per_customer = NULL;
SELECT pg_temp.load_incremental() AS loaded;
SELECT pg_temp.snapshot('inc_nolimit');
SELECT pg_temp.partition_diff('ref', 'inc_nolimit') AS incremental_vs_reference;
SELECT count(*) AS refusals FROM cdp.merge_log WHERE rule LIKE 'refused:%'
   AND record_id IN (SELECT record_id FROM cdp.records WHERE source LIKE 'rf\_%');
-- a readable example: person 2 (household 1) across channels
SELECT substr(source, 4) AS channel, source_key, dense_rank() OVER (ORDER BY customer_id) AS customer
  FROM cdp.records WHERE source LIKE 'rf\_%' AND source_key ~ '^[a-z]+[12][ab]?$' ORDER BY customer, source, source_key;

-- batch over the same data changes nothing
SELECT (cdp.resolve_identities() ->> 'records') IS NOT NULL AS resolved;
SELECT pg_temp.snapshot('batch_nolimit');
SELECT pg_temp.partition_diff('ref', 'batch_nolimit') AS batch_vs_reference;

-- bulk-deferred load, then batch
SELECT pg_temp.wipe();
SET cdp.defer_resolution = on;
SELECT pg_temp.load_incremental() AS loaded;
RESET cdp.defer_resolution;
SELECT count(*) FILTER (WHERE customer_id IS NULL) AS unresolved FROM cdp.records WHERE source LIKE 'rf\_%';
SELECT (cdp.resolve_identities() ->> 'records') IS NOT NULL AS resolved;
SELECT pg_temp.snapshot('deferred_nolimit');
SELECT pg_temp.partition_diff('ref', 'deferred_nolimit') AS deferred_vs_reference;
SELECT count(*) AS customers_without_row FROM cdp.records r
 WHERE source LIKE 'rf\_%' AND NOT EXISTS (SELECT 1 FROM cdp.customers c WHERE c.customer_id = r.customer_id);

-- B. Seeded limits: they fire (a household holds two user ids), and the
--    incremental, batch and deferred partitions are still identical.
SELECT pg_temp.wipe();
UPDATE cdp.identifier_types t SET max_per_customer = s.max_per_customer FROM saved_types s WHERE s.id_type = t.id_type;
SELECT pg_temp.load_incremental() AS loaded;
SELECT pg_temp.snapshot('inc_limits');
SELECT rule, detail->>'type' AS limited_type, count(*) FROM cdp.merge_log
 WHERE rule LIKE 'refused:%' AND record_id IN (SELECT record_id FROM cdp.records WHERE source LIKE 'rf\_%')
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT pg_temp.partition_diff('ref', 'inc_limits') > 0 AS limits_change_the_partition;
SELECT (cdp.resolve_identities() ->> 'records') IS NOT NULL AS resolved;
SELECT pg_temp.snapshot('batch_limits');
SELECT pg_temp.partition_diff('inc_limits', 'batch_limits') AS batch_vs_incremental;
SELECT pg_temp.wipe();
SET cdp.defer_resolution = on;
SELECT pg_temp.load_incremental() AS loaded;
RESET cdp.defer_resolution;
SELECT (cdp.resolve_identities() ->> 'records') IS NOT NULL AS resolved;
SELECT pg_temp.snapshot('deferred_limits');
SELECT pg_temp.partition_diff('inc_limits', 'deferred_limits') AS deferred_vs_incremental;
-- no customer breaks a limit
SELECT count(*) AS customers_over_limit FROM (
  SELECT r.customer_id, i.id_type, count(DISTINCT i.id_value) AS n
    FROM cdp.records r JOIN cdp.identifiers i USING (record_id) WHERE r.source LIKE 'rf\_%'
   GROUP BY 1, 2) x JOIN cdp.identifier_types t USING (id_type) WHERE x.n > t.max_per_customer;

SELECT pg_temp.wipe();
DELETE FROM cdp.sources WHERE source LIKE 'rf\_%';
SELECT count(*) AS types_restored FROM cdp.identifier_types t JOIN saved_types s USING (id_type)
 WHERE t.max_per_customer IS NOT DISTINCT FROM s.max_per_customer;
