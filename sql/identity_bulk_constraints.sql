-- Bulk write-back of cdp.resolve_identities() on tables a DBA has extended.
-- The COPY-style inserter (cdp.customers, cdp.merge_log) and the one-pass
-- rewrite of cdp.records bypass the executor; whatever only the executor
-- honours (CHECK, foreign keys incl. their internal triggers, stored
-- generated columns, rules, row-level security, constraint triggers,
-- publications) must make them fall back to SQL, and NOT NULL must hold on
-- every path.  Each case runs twice on the same data shape:
--   bulk: 3000 records (>= 1000 new customers and merge_log rows: bulk
--         inserter) with cdp.bulk_rewrite_min_records = 1 (rewrite);
--   sql:  300 records (below the bulk sizes) with the rewrite off (UPDATE).
-- Both must give the same outcome.  The records are loaded once per size;
-- every case rolls back to them.  Results are checked against a reference
-- partition computed here in SQL (min-label propagation, no cdp code) and
-- against the DBA's own definitions (generated values recomputed, CHECKs
-- re-evaluated, no NULLs where NOT NULL).  Every case is rolled back.
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET client_min_messages = warning;
INSERT INTO cdp.sources (source) VALUES ('bc_src');

-- Identifiers of n records (n/3 persons), as in identity_bulk_write.
CREATE FUNCTION pg_temp.bc_ids(n int) RETURNS TABLE (i int, t text, v text) LANGUAGE sql AS $$
  SELECT r.i, x.t, x.v
    FROM generate_series(1, n) r(i),
         LATERAL (SELECT (hashint4(r.i) & 2147483647) % (n / 3) AS p) p,
         LATERAL (VALUES
           ('email', CASE WHEN r.i % 5 < 3 THEN 'e' || p.p || '@x.it' END),
           ('phone', CASE WHEN r.i % 5 IN (1, 3) THEN '+39347' || lpad(p.p::text, 7, '0') END),
           ('anonymous_id', 'a' || r.i),
           ('device_id', CASE WHEN r.i % 3 = 0 THEN 'd' || (p.p * 2 + r.i % 2) END),
           ('external_id', CASE WHEN r.i % 2 = 0 THEN 'x' || p.p END)) AS x(t, v)
   WHERE x.v IS NOT NULL $$;

-- Reference partitions (label = smallest record number of the group).
CREATE TEMP TABLE bc_edges AS SELECT n, x.* FROM unnest(ARRAY[300, 3000]) n, pg_temp.bc_ids(n) x;
ANALYZE bc_edges;
CREATE TEMP TABLE bc_ref (n int, i int, label int, PRIMARY KEY (n, i));
DO $$
DECLARE sz int; k int;
BEGIN
  FOREACH sz IN ARRAY ARRAY[300, 3000] LOOP
    INSERT INTO bc_ref SELECT sz, g, g FROM generate_series(1, sz) g;
    LOOP
      UPDATE bc_ref SET label = m.lo
        FROM (SELECT a.i, min(l.label) AS lo FROM bc_edges a JOIN bc_edges b USING (n, t, v)
                JOIN bc_ref l ON l.n = sz AND l.i = b.i WHERE a.n = sz GROUP BY 1) m
       WHERE bc_ref.n = sz AND bc_ref.i = m.i AND m.lo < bc_ref.label;
      GET DIAGNOSTICS k = ROW_COUNT;
      EXIT WHEN k = 0;
    END LOOP;
  END LOOP;
END $$;
SELECT n, count(DISTINCT label) AS reference_customers FROM bc_ref GROUP BY n ORDER BY n;

-- n unresolved records (committed once; every case rolls back to them).
CREATE FUNCTION pg_temp.bc_load(n int) RETURNS void LANGUAGE sql AS $$
  DELETE FROM cdp.records WHERE source = 'bc_src';
  INSERT INTO cdp.records (source, source_key) SELECT 'bc_src', 'k' || g FROM generate_series(1, n) g ORDER BY g;
  INSERT INTO cdp.identifiers (record_id, id_type, id_value)
    SELECT rec.record_id, x.t, x.v FROM bc_edges x
      JOIN cdp.records rec ON rec.source = 'bc_src' AND rec.source_key = 'k' || x.i
     WHERE x.n = bc_load.n; $$;

-- One case, on the n loaded records: in a subtransaction that is always
-- rolled back, apply the DBA's change (`setup`, may use %1$s for a
-- customer id bound: the sequence's next value + n/6, below what the
-- records need), resolve, and verify.
-- `verify` is a boolean SQL expression over the result (the DBA's rules
-- re-checked by hand).  Returns the outcome (ok or SQLSTATE: message), the
-- write paths, why bulk paths were refused, and the checks.
CREATE FUNCTION pg_temp.bc_case(n int, rewrite_min int, setup text, verify text DEFAULT 'true')
RETURNS TABLE (outcome text, records_path text, customers_path text, merge_log_path text,
               fallback text, partition_ok boolean, verified boolean)
LANGUAGE plpgsql AS $$
DECLARE r jsonb; bound bigint;
BEGIN
  outcome := 'ok';
  BEGIN
    UPDATE cdp.identifier_types SET max_per_customer = NULL;  -- plain connectivity
    -- only this test's records (whatever other tests left is back after the rollback)
    DELETE FROM cdp.records WHERE source <> 'bc_src';
    bound := (SELECT last_value FROM cdp.customers_customer_id_seq) + n / 6;
    EXECUTE format(setup, bound);
    PERFORM set_config('cdp.bulk_rewrite_min_records', rewrite_min::text, true);
    r := cdp.resolve_identities();
    records_path := r ->> 'write_path';
    customers_path := r ->> 'customers_path';
    merge_log_path := r ->> 'merge_log_path';
    fallback := r -> 'bulk_fallback';
    -- same partition as the reference: both labelings in canonical form
    -- (every record mapped to the smallest record of its group)
    SELECT count(*) = 0 INTO partition_ok
      FROM (SELECT substr(source_key, 2)::int AS i, min(substr(source_key, 2)::int) OVER (PARTITION BY customer_id) AS rep
              FROM cdp.records WHERE source = 'bc_src') x
      FULL JOIN (SELECT i, label AS rep FROM bc_ref WHERE bc_ref.n = bc_case.n) y USING (i)
     WHERE x.rep IS DISTINCT FROM y.rep;
    -- every customer has its row; one 'exact' log row per merge
    partition_ok := partition_ok
      AND NOT EXISTS (SELECT 1 FROM cdp.records rec WHERE rec.source = 'bc_src'
                        AND NOT EXISTS (SELECT 1 FROM cdp.customers c WHERE c.customer_id = rec.customer_id))
      AND (SELECT count(*) FROM cdp.merge_log m JOIN cdp.records rec USING (record_id)
            WHERE rec.source = 'bc_src' AND m.rule = 'exact')
        = (SELECT count(*) - count(DISTINCT customer_id) FROM cdp.records WHERE source = 'bc_src');
    EXECUTE 'SELECT ' || verify INTO verified;
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'bc: undo';
  EXCEPTION WHEN OTHERS THEN
    IF SQLERRM <> 'bc: undo' THEN
      outcome := SQLSTATE || ': ' || regexp_replace(SQLERRM, '\d+', 'N', 'g');
    END IF;
  END;
  RETURN NEXT;
END $$;

CREATE TEMP TABLE bc_cases (ord int, name text, setup text, verify text);
INSERT INTO bc_cases VALUES
  (1, 'as installed', 'SELECT 1', 'true'),
  (2, 'customers: CHECK violated', 'ALTER TABLE cdp.customers ADD CONSTRAINT bc_small CHECK (customer_id < %1$s)', 'true'),
  (3, 'customers: CHECK kept', 'ALTER TABLE cdp.customers ADD CONSTRAINT bc_pos CHECK (customer_id > 0)',
      'NOT EXISTS (SELECT 1 FROM cdp.customers WHERE NOT (customer_id > 0))'),
  (4, 'customers: FK to a DBA table', 'CREATE TABLE public.bc_crm (id bigint PRIMARY KEY);
      ALTER TABLE cdp.customers ADD CONSTRAINT bc_fk FOREIGN KEY (customer_id) REFERENCES public.bc_crm (id)', 'true'),
  (5, 'customers: generated column', 'ALTER TABLE cdp.customers ADD COLUMN g bigint GENERATED ALWAYS AS (customer_id * 2) STORED',
      'NOT EXISTS (SELECT 1 FROM cdp.customers WHERE g IS DISTINCT FROM customer_id * 2)'),
  (6, 'customers: NOT NULL column without default', 'ALTER TABLE cdp.customers ADD COLUMN note text NOT NULL DEFAULT ''x'';
      ALTER TABLE cdp.customers ALTER COLUMN note DROP DEFAULT', 'true'),
  (7, 'customers: NOT NULL column with default', 'ALTER TABLE cdp.customers ADD COLUMN note text NOT NULL DEFAULT ''x''',
      'NOT EXISTS (SELECT 1 FROM cdp.customers WHERE note IS DISTINCT FROM ''x'')'),
  (8, 'customers: row-level security', 'ALTER TABLE cdp.customers ENABLE ROW LEVEL SECURITY', 'true'),
  (9, 'customers: referenced by a DBA table', 'CREATE TABLE public.bc_orders (customer_id bigint REFERENCES cdp.customers)', 'true'),
  (10, 'merge_log: detail SET NOT NULL', 'ALTER TABLE cdp.merge_log ALTER COLUMN detail SET NOT NULL', 'true'),
  (11, 'merge_log: FK to a DBA table', 'CREATE TABLE public.bc_crm (id bigint PRIMARY KEY);
      ALTER TABLE cdp.merge_log ADD CONSTRAINT bc_fk FOREIGN KEY (customer_id) REFERENCES public.bc_crm (id)', 'true'),
  (12, 'merge_log: FK kept', 'ALTER TABLE cdp.merge_log ADD CONSTRAINT bc_type_fk FOREIGN KEY (id_type) REFERENCES cdp.identifier_types (id_type)',
      'NOT EXISTS (SELECT 1 FROM cdp.merge_log m WHERE id_type IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cdp.identifier_types t WHERE t.id_type = m.id_type))'),
  (13, 'merge_log: generated column', 'ALTER TABLE cdp.merge_log ADD COLUMN g text GENERATED ALWAYS AS (rule || ''!'') STORED',
      'NOT EXISTS (SELECT 1 FROM cdp.merge_log WHERE g IS DISTINCT FROM rule || ''!'')'),
  (14, 'merge_log: rule', 'CREATE TABLE public.bc_audit (r bigint);
      CREATE RULE bc_rule AS ON INSERT TO cdp.merge_log DO ALSO INSERT INTO public.bc_audit VALUES (NEW.record_id)',
      '(SELECT count(*) FROM public.bc_audit) = (SELECT count(*) FROM cdp.merge_log m JOIN cdp.records r USING (record_id) WHERE r.source = ''bc_src'')'),
  (15, 'merge_log: deferrable unique', 'ALTER TABLE cdp.merge_log ADD CONSTRAINT bc_uniq UNIQUE (merge_id) DEFERRABLE', 'true'),
  (16, 'records: CHECK violated', 'ALTER TABLE cdp.records ADD CONSTRAINT bc_small CHECK (customer_id < %1$s)', 'true'),
  (17, 'records: CHECK kept', 'ALTER TABLE cdp.records ADD CONSTRAINT bc_pos CHECK (customer_id > 0)',
      'NOT EXISTS (SELECT 1 FROM cdp.records WHERE NOT (customer_id > 0))'),
  (18, 'records: FK to a DBA table', 'CREATE TABLE public.bc_crm (id bigint PRIMARY KEY);
      ALTER TABLE cdp.records ADD CONSTRAINT bc_fk FOREIGN KEY (customer_id) REFERENCES public.bc_crm (id)', 'true'),
  (19, 'records: FK kept', 'ALTER TABLE cdp.records ADD CONSTRAINT bc_cust_fk FOREIGN KEY (customer_id) REFERENCES cdp.customers (customer_id)',
      'NOT EXISTS (SELECT 1 FROM cdp.records r WHERE NOT EXISTS (SELECT 1 FROM cdp.customers c WHERE c.customer_id = r.customer_id))'),
  (20, 'records: generated column', 'ALTER TABLE cdp.records ADD COLUMN g bigint GENERATED ALWAYS AS (customer_id + 1) STORED',
      'NOT EXISTS (SELECT 1 FROM cdp.records WHERE g IS DISTINCT FROM customer_id + 1)'),
  (21, 'records: FK on another column', 'CREATE TABLE public.bc_keys (k text PRIMARY KEY);
      INSERT INTO public.bc_keys SELECT ''k'' || g FROM generate_series(1, 3000) g;
      ALTER TABLE cdp.records ADD CONSTRAINT bc_key_fk FOREIGN KEY (source_key) REFERENCES public.bc_keys (k) NOT VALID', 'true'),
  (22, 'records: publication', 'SET LOCAL client_min_messages = error; CREATE PUBLICATION bc_pub FOR TABLE cdp.records', 'true'),
  (23, 'records: inheritance child', 'CREATE TABLE public.bc_child () INHERITS (cdp.records)', 'true'),
  (24, 'records: row-level security', 'ALTER TABLE cdp.records ENABLE ROW LEVEL SECURITY', 'true');
CREATE TEMP TABLE bc_results (ord int, name text, path text, outcome text, records_path text,
    customers_path text, merge_log_path text, fallback text, partition_ok boolean, verified boolean);
SELECT pg_temp.bc_load(3000);
INSERT INTO bc_results
SELECT c.ord, c.name, 'bulk', x.* FROM bc_cases c, LATERAL pg_temp.bc_case(3000, 1, c.setup, c.verify) x;
SELECT pg_temp.bc_load(300);
INSERT INTO bc_results
SELECT c.ord, c.name, 'sql', x.* FROM bc_cases c, LATERAL pg_temp.bc_case(300, 0, c.setup, c.verify) x;
SELECT pg_temp.bc_load(0);

-- What each path did, and why a bulk path stepped aside.
SELECT ord, name, outcome, records_path, customers_path, merge_log_path, fallback
  FROM bc_results WHERE path = 'bulk' ORDER BY ord;
SELECT ord, name, outcome, records_path, customers_path, merge_log_path, fallback
  FROM bc_results WHERE path = 'sql' ORDER BY ord;
-- Both paths agree; every successful run matches the reference partition
-- and the DBA's definitions.
SELECT b.ord, b.name, b.outcome = s.outcome AS same_outcome,
       b.partition_ok AND s.partition_ok AS partitions_ok, b.verified AND s.verified AS verified
  FROM bc_results b JOIN bc_results s ON s.ord = b.ord AND s.path = 'sql'
 WHERE b.path = 'bulk' ORDER BY b.ord;
-- Nothing was left behind.
SELECT count(*) AS leftover_records FROM cdp.records WHERE source = 'bc_src';
SELECT count(*) AS leftover_tables FROM pg_class WHERE relname LIKE 'bc\_%' AND relnamespace = 'public'::regnamespace;

DELETE FROM cdp.sources WHERE source = 'bc_src';
