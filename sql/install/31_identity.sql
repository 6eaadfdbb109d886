-- Identity graph: functions (DESIGN.md section 3).  Tables: 30_identity_tables.sql.
-- Resolution semantics: README "Identity graph" and src/core/identity/engine.h.

CREATE FUNCTION cdp.upsert_record(source text, source_key text, identifiers jsonb, traits jsonb DEFAULT '{}')
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'cdp_upsert_record'
    LANGUAGE C VOLATILE STRICT
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.upsert_record(text, text, jsonb, jsonb) IS
    'Create or update the record (source, source_key) with identifiers {"type": value | [values]} and traits; resolves it incrementally and returns its customer id (NULL when cdp.defer_resolution is on).';
GRANT EXECUTE ON FUNCTION cdp.upsert_record(text, text, jsonb, jsonb) TO cdp_writer;

CREATE FUNCTION cdp.customer_id(id_type text, id_value text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'cdp_customer_id'
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.customer_id(text, text) IS
    'Customer holding an identifier value (normalised by type; the oldest record''s customer when several hold it), or NULL.';
GRANT EXECUTE ON FUNCTION cdp.customer_id(text, text) TO cdp_reader;
