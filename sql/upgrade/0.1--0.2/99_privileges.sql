-- 0.2: the same check as sql/install/99_privileges.sql (keep the two
-- identical), run last so that it covers every object the upgrade adds.
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
