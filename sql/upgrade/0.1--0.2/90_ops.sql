-- 0.2: cdp.stats() no longer fails for cdp_reader (permission denied for
-- rejected_messages): a table the caller may not read is counted as null.
-- Keep the body identical to sql/install/90_ops.sql (test/t/050_upgrade.pl
-- compares the two); CREATE OR REPLACE keeps the ACL.
CREATE OR REPLACE FUNCTION cdp.stats() RETURNS jsonb
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
