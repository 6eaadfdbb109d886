-- What each role may do, generated from the catalog: every function,
-- procedure, table, view and sequence of schema cdp with the lowest cdp role
-- that has the privilege (cdp_reader < cdp_writer < cdp_admin; 'superuser'
-- when none has it).  A new object changes this output, so the test fails
-- until its place in the role model is stated in the expected file (and in
-- the table of docs/operations.md).
CREATE FUNCTION pg_temp.lowest(f regprocedure) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN has_function_privilege('cdp_reader', f, 'EXECUTE') THEN 'cdp_reader'
                WHEN has_function_privilege('cdp_writer', f, 'EXECUTE') THEN 'cdp_writer'
                WHEN has_function_privilege('cdp_admin', f, 'EXECUTE') THEN 'cdp_admin'
                ELSE 'superuser' END $$;
CREATE FUNCTION pg_temp.lowest_rel(c regclass, priv text) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN has_table_privilege('cdp_reader', c, priv) THEN 'cdp_reader'
                WHEN has_table_privilege('cdp_writer', c, priv) THEN 'cdp_writer'
                WHEN has_table_privilege('cdp_admin', c, priv) THEN 'cdp_admin'
                ELSE '-' END $$;
-- nothing usable by PUBLIC, SECURITY DEFINER only with a pinned search_path
SELECT p.oid::regprocedure AS public_executable
  FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
 WHERE p.pronamespace = 'cdp'::regnamespace AND a.grantee = 0;
SELECT p.oid::regprocedure AS secdef_unpinned
  FROM pg_proc p
 WHERE p.pronamespace = 'cdp'::regnamespace AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c = 'search_path=pg_catalog, pg_temp');
-- functions and procedures
SELECT p.oid::regprocedure AS function, p.prokind AS kind, p.provolatile AS vol,
       p.prosecdef AS secdef, pg_temp.lowest(p.oid) AS execute
  FROM pg_proc p WHERE p.pronamespace = 'cdp'::regnamespace
 ORDER BY p.oid::regprocedure::text COLLATE "C";
-- tables, views, sequences
SELECT c.oid::regclass AS relation, c.relkind AS kind,
       pg_temp.lowest_rel(c.oid, 'SELECT') AS sel,
       pg_temp.lowest_rel(c.oid, 'INSERT') AS ins,
       pg_temp.lowest_rel(c.oid, 'UPDATE') AS upd,
       pg_temp.lowest_rel(c.oid, 'DELETE') AS del,
       pg_temp.lowest_rel(c.oid, 'TRUNCATE') AS trunc
  FROM pg_class c WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
 ORDER BY c.oid::regclass::text COLLATE "C";
-- The rules of docs/operations.md ("Which role gets a new function"):
--  1. a name starting with '_' is internal: no cdp role may execute it
--     (exception: _boundary_selftest, cdp_admin);
--  2. a volatile SECURITY DEFINER function writes: never cdp_reader;
--  3. immutable functions (pure) are executable by cdp_reader.
SELECT p.oid::regprocedure AS rule_violation, pg_temp.lowest(p.oid) AS execute
  FROM pg_proc p
 WHERE p.pronamespace = 'cdp'::regnamespace
   AND ((p.proname LIKE '\_%' AND pg_temp.lowest(p.oid) <> 'superuser'
         AND p.oid::regprocedure::text <> 'cdp._boundary_selftest(text,bigint)')
     OR (p.prosecdef AND p.provolatile = 'v' AND pg_temp.lowest(p.oid) = 'cdp_reader')
     OR (p.proname NOT LIKE '\_%' AND p.provolatile = 'i' AND pg_temp.lowest(p.oid) <> 'cdp_reader'
         AND p.proname NOT LIKE 'gin\_%' AND p.proname NOT LIKE 'gist\_%'));
