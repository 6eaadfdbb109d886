-- Who may set which cdp.* setting (docs/operations.md).  Policy settings are
-- PGC_SUSET with SET granted to cdp_admin only; per-session conveniences
-- stay user-settable.  A caller's SET never widens what a SECURITY DEFINER
-- function lets it do.  Roles are created here and dropped at the end;
-- sources are prefixed 'ps_'.
\set SHOW_CONTEXT never
SELECT current_user AS su \gset
SELECT cdp.version() IS NOT NULL AS loaded;  -- the settings exist once the library is loaded
SELECT format('postgresql:///%s?user=regress_ps_writer&options=-ccdp.max_cluster_records%%3D1000000', current_database()) AS writer_opts,
       format('postgresql:///%s?user=regress_ps_admin&options=-ccdp.max_cluster_records%%3D5', current_database()) AS admin_opts \gset
CREATE ROLE regress_ps_reader LOGIN IN ROLE cdp_reader;
CREATE ROLE regress_ps_writer LOGIN IN ROLE cdp_writer;
CREATE ROLE regress_ps_admin LOGIN IN ROLE cdp_admin;

-- 1. The catalog: context of every cdp.* setting and what each role may do.
--    "may set" = user-settable, or SET granted (pg_parameter_acl).  The two
--    lists below are the contract of DESIGN "Operations".
SELECT name, context FROM pg_settings WHERE name LIKE 'cdp.%' ORDER BY name;
SELECT s.name,
       bool_or(r.rolname = 'regress_ps_reader' AND (s.context = 'user' OR has_parameter_privilege(r.oid, s.name, 'SET'))) AS reader,
       bool_or(r.rolname = 'regress_ps_writer' AND (s.context = 'user' OR has_parameter_privilege(r.oid, s.name, 'SET'))) AS writer,
       bool_or(r.rolname = 'regress_ps_admin' AND (s.context = 'user' OR has_parameter_privilege(r.oid, s.name, 'SET'))) AS admin
  FROM pg_settings s CROSS JOIN pg_roles r
 WHERE s.name LIKE 'cdp.%' AND r.rolname LIKE 'regress\_ps\_%'
 GROUP BY s.name ORDER BY s.name;
-- SET granted to nobody but cdp_admin (and its grantor, the bootstrap superuser)
SELECT a.parname, string_agg(g.rolname || ':' || x.privilege_type, ', ' ORDER BY g.rolname) AS granted
  FROM pg_parameter_acl a, aclexplode(a.paracl) x JOIN pg_roles g ON g.oid = x.grantee
 WHERE a.parname LIKE 'cdp.%' AND NOT g.rolsuper
 GROUP BY a.parname ORDER BY a.parname;

-- 2. Each setting, as each role, really SET (set_config, SET LOCAL): the
--    outcome must agree with the table above.
CREATE FUNCTION pg_temp.try_set(setting text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config(setting, current_setting(setting), true);
    RETURN 'ok';
EXCEPTION WHEN insufficient_privilege THEN
    RETURN 'denied';
END $$;
CREATE TEMP TABLE ps_outcome (role text, setting text, outcome text);
GRANT ALL ON ps_outcome TO PUBLIC;
SET ROLE regress_ps_reader;
INSERT INTO ps_outcome SELECT current_user, name, pg_temp.try_set(name) FROM pg_settings WHERE name LIKE 'cdp.%';
RESET ROLE;
SET ROLE regress_ps_writer;
INSERT INTO ps_outcome SELECT current_user, name, pg_temp.try_set(name) FROM pg_settings WHERE name LIKE 'cdp.%';
RESET ROLE;
SET ROLE regress_ps_admin;
INSERT INTO ps_outcome SELECT current_user, name, pg_temp.try_set(name) FROM pg_settings WHERE name LIKE 'cdp.%';
RESET ROLE;
-- disagreements between the attempt and the privilege table (expect none)
SELECT o.role, o.setting, o.outcome
  FROM ps_outcome o JOIN pg_settings s ON s.name = o.setting JOIN pg_roles r ON r.rolname = o.role
 WHERE (o.outcome = 'ok') <> (s.context = 'user' OR has_parameter_privilege(r.oid, s.name, 'SET'));
SELECT setting, string_agg(outcome, '/' ORDER BY role DESC) AS "reader/writer/admin"
  FROM ps_outcome GROUP BY setting ORDER BY setting;
-- the plain statement forms, as a writer
SET ROLE regress_ps_writer;
SET cdp.max_cluster_records = 1000000;
SET cdp.defer_resolution = on;
SET cdp.consent_default = on;
SET cdp.email_provider_rules = off;
SET cdp.bulk_rewrite_min_records = 0;
BEGIN;
SET LOCAL cdp.defer_resolution = on;
ROLLBACK;
ALTER ROLE regress_ps_writer SET cdp.max_cluster_records = 1000000;
SET cdp.default_region = 'GB';
SET cdp.similarity_threshold = 0.5;
RESET ROLE;
RESET cdp.default_region;
RESET cdp.similarity_threshold;

-- 3. The reported hole: with ALTER DATABASE ... SET cdp.max_cluster_records
--    = 3, a writer's SET must not let upsert_record (SECURITY DEFINER) merge
--    8 records into one customer.  8 records share one e-mail, so without a
--    limit they are one customer (checked as admin in 4).
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET cdp.max_cluster_records = 3', current_database()); END $$;
-- a new session; the writer sets the value before the library is loaded
-- (a placeholder, dropped with a WARNING when cdp is loaded) ...
\c - :su
SET ROLE regress_ps_writer;
SET cdp.max_cluster_records = 1000000;
SELECT cdp.upsert_record('ps_limit', 'k1', '{"email": "eight@example.org"}') IS NOT NULL AS resolved;
SHOW cdp.max_cluster_records;
-- ... and after it is loaded (an ERROR)
SET cdp.max_cluster_records = 1000000;
SELECT count(cdp.upsert_record('ps_limit', 'k' || i, '{"email": "eight@example.org"}')) FROM generate_series(2, 8) i;
SELECT count(*) AS records, count(DISTINCT customer_id) > 1 AS split, max(n) AS largest_customer
  FROM (SELECT customer_id, count(*) OVER (PARTITION BY customer_id) AS n FROM cdp.records WHERE source = 'ps_limit') x;
SELECT count(*) > 0 AS refusals_logged FROM cdp.merge_log m JOIN cdp.records r USING (record_id)
 WHERE r.source = 'ps_limit' AND m.rule = 'refused:max_cluster_records';
RESET ROLE;
-- a connection option (PGOPTIONS) of the writer replaces the database's
-- value before the library is loaded: cdp refuses to load rather than fall
-- back to the built-in default (10000, wider than the database's 3)
\c :writer_opts
SELECT cdp.upsert_record('ps_limit', 'k9', '{"email": "eight@example.org"}') IS NOT NULL AS resolved;
SELECT count(*) AS records FROM cdp.records WHERE source = 'ps_limit';
-- the same option from the admin is honoured
\c :admin_opts
SELECT cdp.version() IS NOT NULL AS loaded;
SHOW cdp.max_cluster_records;
-- the reader neither sets nor writes
\c - :su
SET ROLE regress_ps_reader;
SET cdp.max_cluster_records = 1000000;
SELECT cdp.upsert_record('ps_limit', 'k10', '{"email": "eight@example.org"}');
SELECT count(*) AS records_visible_to_reader FROM cdp.records WHERE source = 'ps_limit';
RESET ROLE;

-- 4. The admin may raise the limit: the same 8 records (one component) are
--    then one customer after batch resolution.
SET ROLE regress_ps_admin;
SET cdp.max_cluster_records = 1000000;
SHOW cdp.max_cluster_records;
SELECT cdp.resolve_identities() IS NOT NULL AS resolved;
SELECT count(*) AS records, count(DISTINCT customer_id) AS customers FROM cdp.records WHERE source = 'ps_limit';
RESET ROLE;
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET cdp.max_cluster_records', current_database()); END $$;

-- 5. Deferred resolution is for cdp_admin only: it takes the graph lock
--    EXCLUSIVE until commit.  A writer's upsert always resolves.
SET ROLE regress_ps_writer;
SET cdp.defer_resolution = on;
SELECT cdp.upsert_record('ps_defer', 'w1', '{"email": "defer@example.org"}') IS NOT NULL AS writer_resolved;
RESET ROLE;
SET ROLE regress_ps_admin;
BEGIN;
SET LOCAL cdp.defer_resolution = on;
SELECT cdp.upsert_record('ps_defer', 'a1', '{"email": "defer@example.org"}') IS NULL AS admin_deferred;
SELECT mode FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND pid = pg_backend_pid() AND granted;
SELECT cdp.resolve_identities() IS NOT NULL AS resolved;
COMMIT;
SELECT count(DISTINCT customer_id) AS customers, count(*) FILTER (WHERE customer_id IS NULL) AS unlinked
  FROM cdp.records WHERE source = 'ps_defer';
RESET ROLE;

-- 6. cdp.email_provider_rules (normalisation policy) as admin; the
--    reference is the explicit two-argument form.
SET ROLE regress_ps_admin;
SET cdp.email_provider_rules = off;
SELECT cdp.normalize_email('Mario.Rossi+news@gmail.com') = cdp.normalize_email('Mario.Rossi+news@gmail.com', false) AS off_applied,
       cdp.normalize_email('Mario.Rossi+news@gmail.com') <> cdp.normalize_email('Mario.Rossi+news@gmail.com', true) AS differs;
RESET cdp.email_provider_rules;
SET cdp.consent_default = on;
SET cdp.bulk_rewrite_min_records = 0;
SHOW cdp.consent_default;
RESET ALL;
RESET ROLE;

-- clean up
SELECT cdp.delete_record(source, source_key) IS NOT NULL FROM cdp.records WHERE source IN ('ps_limit', 'ps_defer') ORDER BY record_id;
DELETE FROM cdp.sources WHERE source IN ('ps_limit', 'ps_defer');
DROP ROLE regress_ps_reader, regress_ps_writer, regress_ps_admin;
