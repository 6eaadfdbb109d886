-- Foundation: version, GUCs, roles, privileges, comments, error boundary,
-- cancellation and memory.
\set SHOW_CONTEXT never

SELECT cdp.version() = (SELECT extversion FROM pg_extension WHERE extname = 'cdp') AS version_matches_extension;
SELECT (cdp.stats() ->> 'version') = cdp.version() AS stats_has_version,
       jsonb_typeof(cdp.stats() -> 'settings') AS settings_type;

-- GUCs: defaults, validation, reserved prefix
SELECT name, setting, vartype FROM pg_settings WHERE name LIKE 'cdp.%' ORDER BY name;
SET cdp.default_region = 'gb';
SHOW cdp.default_region;
SET cdp.default_region = 'XX';
SET cdp.default_region = 'Italy';
SHOW cdp.default_region;
RESET cdp.default_region;
SET cdp.similarity_threshold = 1.5;
SET cdp.max_cluster_records = 0;
SET cdp.no_such_setting = 1;

-- Roles exist and form a hierarchy; nothing in schema cdp is granted to PUBLIC
SELECT rolname FROM pg_roles WHERE rolname IN ('cdp_admin', 'cdp_writer', 'cdp_reader') ORDER BY 1;
SELECT pg_has_role('cdp_admin', 'cdp_reader', 'USAGE') AS admin_is_reader,
       pg_has_role('cdp_writer', 'cdp_reader', 'USAGE') AS writer_is_reader,
       pg_has_role('cdp_reader', 'cdp_writer', 'USAGE') AS reader_is_not_writer;
SELECT 'function ' || p.oid::regprocedure AS granted_to_public
  FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
 WHERE p.pronamespace = 'cdp'::regnamespace AND a.grantee = 0
UNION ALL
SELECT 'relation ' || c.oid::regclass
  FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
 WHERE c.relnamespace = 'cdp'::regnamespace AND a.grantee = 0
UNION ALL
SELECT 'schema cdp'
  FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
 WHERE n.nspname = 'cdp' AND a.grantee = 0;
SELECT has_function_privilege('cdp_reader', 'cdp.version()', 'EXECUTE') AS reader_can_version,
       has_function_privilege('cdp_reader', 'cdp._boundary_selftest(text,bigint)', 'EXECUTE') AS reader_can_selftest;

-- Every object of the extension carries a COMMENT
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS object_without_comment
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cdp')
   AND d.deptype = 'e'
   AND d.classid IN ('pg_proc'::regclass, 'pg_class'::regclass, 'pg_type'::regclass,
                     'pg_operator'::regclass, 'pg_opclass'::regclass)
   AND obj_description(d.objid, d.classid::regclass::text) IS NULL
   AND NOT (d.classid = 'pg_type'::regclass AND EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = d.objid AND (t.typrelid <> 0 OR t.typelem <> 0)))
 ORDER BY 1;

-- Every non-C function pins search_path
SELECT p.oid::regprocedure AS function_without_search_path
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'cdp'::regnamespace AND l.lanname <> 'c'
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
 ORDER BY 1;

-- Error boundary: a C++ exception becomes an ERROR with SQLSTATE, detail and
-- hint; a Postgres error raised under C++ frames keeps its own SQLSTATE; the
-- session keeps working after each.
SELECT cdp._boundary_selftest('cxx_error', 0);
SELECT cdp._boundary_selftest('std_error', 0);
SELECT cdp._boundary_selftest('pg_error', 0);
SELECT cdp._boundary_selftest('no_such_mode', 0);
-- A C++ error thrown while the body's own error-context callback is pushed:
-- the boundary puts error_context_stack back as it found it, so the ERROR
-- carries no CONTEXT line from the dead frame (and nothing crashes); the
-- context chain is walked again by the errors that follow.
SELECT cdp._boundary_selftest('context_throw', 0);
SELECT cdp._boundary_selftest('context_throw', 0);
SELECT cdp._boundary_selftest('pg_error', 0);
\set VERBOSITY sqlstate
SELECT cdp._boundary_selftest('cxx_error', 0);
SELECT cdp._boundary_selftest('std_error', 0);
SELECT cdp._boundary_selftest('pg_error', 0);
\set VERBOSITY default
SELECT cdp._boundary_selftest('spi', 1000) AS spi_sum;
SELECT cdp._boundary_selftest('alloc', 1000000) AS allocated;

-- Errors inside a plpgsql loop are caught cleanly 1000 times
DO $$
DECLARE caught int := 0;
BEGIN
  FOR i IN 1..1000 LOOP
    BEGIN
      PERFORM cdp._boundary_selftest(CASE WHEN i % 2 = 0 THEN 'cxx_error' ELSE 'pg_error' END, 0);
    EXCEPTION WHEN invalid_parameter_value OR division_by_zero THEN caught := caught + 1;
    END;
  END LOOP;
  RAISE NOTICE 'caught % errors', caught;
END $$;

-- Cancellation: a 60 s C++ loop is stopped by statement_timeout (the test
-- would hang for a minute and then fail if polling did not work).
SET statement_timeout = '200ms';
SELECT cdp._boundary_selftest('spin', 60000);
RESET statement_timeout;
SELECT cdp._boundary_selftest('spin', 5) AS still_works;

-- Memory: 100k calls through every boundary path do not grow the backend.
CREATE FUNCTION pg_temp.rss_kb() RETURNS bigint LANGUAGE sql AS
  $$ SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+)'))[1]::bigint $$;
CREATE FUNCTION pg_temp.churn(n int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM count(cdp.version()) FROM generate_series(1, n);
  PERFORM sum(cdp._boundary_selftest('alloc', 20000)) FROM generate_series(1, n);
  FOR i IN 1..n / 20 LOOP
    BEGIN
      PERFORM cdp._boundary_selftest(CASE WHEN i % 2 = 0 THEN 'cxx_error' ELSE 'pg_error' END, 0);
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
  END LOOP;
END $$;
SELECT pg_temp.churn(100000);
SELECT pg_temp.rss_kb() AS before_kb \gset
SELECT pg_temp.churn(100000);
SELECT pg_temp.rss_kb() - :before_kb < 4096 AS no_leak_over_100k_calls;
