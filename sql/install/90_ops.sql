-- Operations: version, stats, boundary self-test.

CREATE FUNCTION cdp.version() RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_version'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.version() IS 'Version of the cdp shared library (equals the extension version when up to date).';
REVOKE ALL ON FUNCTION cdp.version() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.version() TO cdp_reader;

CREATE FUNCTION cdp._boundary_selftest(mode text, n bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'cdp_boundary_selftest'
    LANGUAGE C VOLATILE STRICT
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp._boundary_selftest(text, bigint) IS
    'Diagnostics of the C++/PostgreSQL boundary (modes cxx_error, std_error, pg_error, spin, alloc, spi); admin only.';
REVOKE ALL ON FUNCTION cdp._boundary_selftest(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp._boundary_selftest(text, bigint) TO cdp_admin;

-- cdp.stats(): counts and last run times.  Each area adds its figures here
-- as its tables appear; keys whose tables do not exist yet are omitted.
-- Runs with the caller's rights (not SECURITY DEFINER): a table the caller
-- may not read (cdp_reader: rejected_messages) is counted as null instead
-- of failing the call, and row-level security on a cdp table is respected.
CREATE FUNCTION cdp.stats() RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $stats$
DECLARE
    result jsonb := jsonb_build_object('version', cdp.version());
    t text;
    n bigint;
BEGIN
    -- Row counts of every cdp table (estimates for big ones would be cheaper;
    -- exact counts are what a DBA expects from a stats call).
    FOR t IN
        SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind IN ('r', 'p')
        ORDER BY c.relname
    LOOP
        n := NULL;
        IF has_table_privilege(format('cdp.%I', t), 'SELECT') THEN
            EXECUTE format('SELECT count(*) FROM cdp.%I', t) INTO n;
        END IF;
        result := result || jsonb_build_object(t, n);
    END LOOP;
    result := result || jsonb_build_object(
        'settings', (SELECT jsonb_object_agg(name, setting ORDER BY name)
                     FROM pg_settings WHERE name LIKE 'cdp.%'));
    RETURN result;
END
$stats$;
COMMENT ON FUNCTION cdp.stats() IS 'Row counts of every cdp table (null for a table the caller may not read), last run times and the cdp.* settings, as jsonb.';
REVOKE ALL ON FUNCTION cdp.stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.stats() TO cdp_reader;
