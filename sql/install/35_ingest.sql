-- Ingest of Segment-spec messages (docs/ingest.md): cdp.ingest().
-- The tables cdp.events and cdp.rejected_messages live in 30_identity_tables.sql.

CREATE FUNCTION cdp.ingest(payload jsonb, source text DEFAULT 'events') RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_ingest'
    LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.ingest(jsonb, text) IS
    'Ingests one Segment-spec message or {"batch":[...]} (identify, track, page, screen, group, alias) into records, identifiers and cdp.events; idempotent on messageId. Returns {"accepted":n,"duplicates":n,"rejected":[{"index":i,"error":"..."}]}; rejected messages are kept in cdp.rejected_messages.';
REVOKE ALL ON FUNCTION cdp.ingest(jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.ingest(jsonb, text) TO cdp_writer;

CREATE FUNCTION cdp.ingest(payload jsonb, source text, endpoint text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_ingest'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.ingest(jsonb, text, text) IS
    'cdp.ingest() for a Segment HTTP Tracking API body: endpoint (identify, track, page, screen, group, alias, batch, import) gives the type of messages that carry no "type" (NULL: none); NULL payload or source gives NULL.';
REVOKE ALL ON FUNCTION cdp.ingest(jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.ingest(jsonb, text, text) TO cdp_writer;
