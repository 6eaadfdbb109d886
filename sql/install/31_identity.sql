-- Identity graph: functions (docs/identity.md).  Tables: 30_identity_tables.sql.
-- Resolution semantics: docs/identity.md and src/core/identity/engine.h.
-- Writing functions are SECURITY DEFINER (search_path pinned): roles get
-- EXECUTE on them, not write access to the tables.

-- Settings (src/pg/identity/gucs.cpp): all three are policy (PGC_SUSET),
-- settable by superusers and cdp_admin only.  cdp.defer_resolution takes the
-- graph lock EXCLUSIVE until commit and stores records unlinked until
-- cdp.resolve_identities(): a bulk-load mode for the administrator, not for
-- writers (a writer's open transaction would stall every other writer).
GRANT SET ON PARAMETER cdp.max_cluster_records, cdp.bulk_rewrite_min_records, cdp.defer_resolution
    TO cdp_admin;

CREATE FUNCTION cdp.upsert_record(source text, source_key text, identifiers jsonb, traits jsonb DEFAULT '{}')
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'cdp_upsert_record'
    LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.upsert_record(text, text, jsonb, jsonb) IS
    'Create or update the record (source, source_key) with identifiers {"type": value | [values]} and traits; resolves it incrementally and returns its customer id (NULL when cdp.defer_resolution is on).';
REVOKE ALL ON FUNCTION cdp.upsert_record(text, text, jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.upsert_record(text, text, jsonb, jsonb) TO cdp_writer;

CREATE FUNCTION cdp.customer_id(id_type text, id_value text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'cdp_customer_id'
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.customer_id(text, text) IS
    'Customer holding an identifier value (normalised by type; the oldest record''s customer when several hold it), or NULL.';
REVOKE ALL ON FUNCTION cdp.customer_id(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.customer_id(text, text) TO cdp_reader;

CREATE FUNCTION cdp.resolve_identities() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_resolve_identities'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.resolve_identities() IS
    'Batch identity resolution: replays every record in record_id order (same rules as upsert_record) and writes customers back set-wise; returns {records, customers, merges, refused_links, records_changed, ms}.';
REVOKE ALL ON FUNCTION cdp.resolve_identities() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.resolve_identities() TO cdp_admin;

CREATE FUNCTION cdp.delete_record(source text, source_key text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_delete_record'
    LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.delete_record(text, text) IS
    'Removes a record and its identifiers; its customer is recomputed from the remaining records and splits when the record was the only bridge (the part with the oldest record keeps the id). Returns {deleted, record_id, customer_id, customers, split}.';
REVOKE ALL ON FUNCTION cdp.delete_record(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.delete_record(text, text) TO cdp_writer;

CREATE FUNCTION cdp.block_identifier(id_type text, id_value text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_block_identifier'
    LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.block_identifier(text, text) IS
    'Adds a (normalised) value to identifier_types.blocked_values and splits the customers that were joined only through it. Returns {id_type, id_value, newly_blocked, customers, new_customers}.';
REVOKE ALL ON FUNCTION cdp.block_identifier(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.block_identifier(text, text) TO cdp_admin;

CREATE FUNCTION cdp.explain_link(record_a bigint, record_b bigint) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_explain_link'
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.explain_link(bigint, bigint) IS
    'Why two records belong to one customer: the shortest chain record, identifier, record, ... of shared non-blocked values inside their customer, or NULL when they are not in the same customer.';
REVOKE ALL ON FUNCTION cdp.explain_link(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.explain_link(bigint, bigint) TO cdp_reader;

CREATE FUNCTION cdp.identity_graph(customer_id bigint, format text DEFAULT 'json') RETURNS text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $graph$
DECLARE
    c bigint := coalesce((SELECT a.customer_id FROM cdp.customer_aliases a WHERE a.old_id = identity_graph.customer_id),
                         identity_graph.customer_id);
    out text;
BEGIN
    IF format NOT IN ('json', 'dot') THEN
        RAISE EXCEPTION 'unknown graph format "%"', format
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''json'' or ''dot''.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cdp.records r WHERE r.customer_id = c) THEN
        RETURN NULL;
    END IF;
    IF format = 'json' THEN
        SELECT jsonb_build_object(
            'customer_id', c,
            'records', (SELECT jsonb_agg(jsonb_build_object('record_id', r.record_id, 'source', r.source,
                                                            'source_key', r.source_key) ORDER BY r.record_id)
                          FROM cdp.records r WHERE r.customer_id = c),
            'identifiers', (SELECT jsonb_agg(jsonb_build_object('id_type', x.id_type, 'id_value', x.id_value,
                                                                'blocked', x.blocked, 'records', x.recs)
                                             ORDER BY t.priority, x.id_type, x.id_value)
                              FROM (SELECT i.id_type, i.id_value, jsonb_agg(i.record_id ORDER BY i.record_id) AS recs,
                                           bool_or(i.id_value = ANY (tt.blocked_values)) AS blocked
                                      FROM cdp.identifiers i JOIN cdp.records r ON r.record_id = i.record_id
                                      JOIN cdp.identifier_types tt ON tt.id_type = i.id_type
                                     WHERE r.customer_id = c GROUP BY 1, 2) x
                              JOIN cdp.identifier_types t ON t.id_type = x.id_type))::text
          INTO out;
        RETURN out;
    END IF;
    -- Graphviz: records are boxes, identifier values ellipses (blocked: dashed).
    SELECT 'graph customer_' || c || E' {\n  rankdir=LR;\n'
        || coalesce((SELECT string_agg(format(E'  "r%s" [shape=box, label="%s"];', r.record_id,
                                               replace(replace(r.source || ':' || r.source_key || ' #' || r.record_id, '\', '\\'), '"', '\"')),
                                        E'\n' ORDER BY r.record_id)
                       FROM cdp.records r WHERE r.customer_id = c), '') || E'\n'
        || coalesce((SELECT string_agg(format(E'  "%s" [shape=ellipse%s, label="%s"];', v.node,
                                               CASE WHEN v.blocked THEN ', style=dashed' ELSE '' END, v.label),
                                        E'\n' ORDER BY v.node)
                       FROM (SELECT DISTINCT replace(replace(i.id_type || ':' || i.id_value, '\', '\\'), '"', '\"') AS node,
                                    replace(replace(i.id_type || E'\n' || i.id_value, '\', '\\'), '"', '\"') AS label,
                                    i.id_value = ANY (t.blocked_values) AS blocked
                               FROM cdp.identifiers i JOIN cdp.records r ON r.record_id = i.record_id
                               JOIN cdp.identifier_types t ON t.id_type = i.id_type
                              WHERE r.customer_id = c) v), '') || E'\n'
        || coalesce((SELECT string_agg(format(E'  "r%s" -- "%s";', i.record_id,
                                               replace(replace(i.id_type || ':' || i.id_value, '\', '\\'), '"', '\"')),
                                        E'\n' ORDER BY i.record_id, i.id_type, i.id_value)
                       FROM cdp.identifiers i JOIN cdp.records r ON r.record_id = i.record_id
                      WHERE r.customer_id = c), '')
        || E'\n}\n'
      INTO out;
    RETURN out;
END
$graph$;
COMMENT ON FUNCTION cdp.identity_graph(bigint, text) IS
    'The identity graph of one customer (aliases followed): records, identifier values and which records hold them, as ''json'' or Graphviz ''dot''; NULL for an unknown customer.';
REVOKE ALL ON FUNCTION cdp.identity_graph(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.identity_graph(bigint, text) TO cdp_reader;
