-- Last fragment: a check, not a sweep.  Every fragment states the
-- privileges of each object next to its CREATE (REVOKE ALL ... FROM PUBLIC,
-- GRANT to cdp_reader / cdp_writer / cdp_admin).  This refuses to finish the
-- install (and, as sql/upgrade/<A>--<B>/99_privileges.sql, the upgrade)
-- when an object of schema cdp is left usable by PUBLIC, or a SECURITY
-- DEFINER function has no pinned search_path, so a forgotten REVOKE is an
-- error at CREATE EXTENSION rather than a silent hole.  (Types keep the
-- default USAGE for PUBLIC, as every PostgreSQL type: it grants nothing.)
DO $check$
DECLARE
    bad text;
BEGIN
    SELECT string_agg(what, ', ' ORDER BY what) INTO bad FROM (
        SELECT 'schema cdp' AS what
          FROM pg_namespace n, aclexplode(n.nspacl) a
         WHERE n.nspname = 'cdp' AND a.grantee = 0
        UNION
        SELECT p.oid::regprocedure::text
          FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
         WHERE p.pronamespace = 'cdp'::regnamespace AND a.grantee = 0
        UNION
        SELECT c.oid::regclass::text
          FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a
         WHERE c.relnamespace = 'cdp'::regnamespace AND a.grantee = 0
    ) x;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'cdp install script leaves objects usable by PUBLIC: %', bad
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Add REVOKE ALL ON ... FROM PUBLIC next to the CREATE, and GRANT to a cdp_* role.';
    END IF;
    SELECT string_agg(p.oid::regprocedure::text, ', ' ORDER BY p.oid::regprocedure::text) INTO bad
      FROM pg_proc p
     WHERE p.pronamespace = 'cdp'::regnamespace AND p.prosecdef
       AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'SECURITY DEFINER functions without a pinned search_path: %', bad
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Add SET search_path = pg_catalog, pg_temp to the CREATE FUNCTION.';
    END IF;
END
$check$;
