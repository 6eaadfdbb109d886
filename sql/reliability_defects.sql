-- Defects found by an independent test (issue "Reliability"), each with the
-- repro that failed before its fix.  Sources are prefixed 'rd_'.
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- 1. Timestamps the database could not read back.  The clock-skew
-- correction of this message gave ~7972 BC; now the message is rejected and
-- kept in cdp.rejected_messages with the reason.
SELECT cdp.ingest('{"type":"track","userId":"u","event":"e","messageId":"rd-m1","sentAt":"9999-12-31T00:00:00Z","originalTimestamp":"0001-01-01T00:00:00Z"}', 'rd_ingest');
-- Rounding to microseconds past 9999-12-31 is refused like 10000-01-01.
SELECT cdp.ingest('{"type":"track","userId":"u","event":"e","messageId":"rd-m2","timestamp":"9999-12-31T23:59:59.9999999Z"}', 'rd_ingest');
SELECT cdp.ingest('{"type":"track","userId":"u","event":"e","messageId":"rd-m3","timestamp":"10000-01-01T00:00:00Z"}', 'rd_ingest');
-- The last representable instant and the first are kept exactly.
SELECT cdp.ingest('{"batch":[{"type":"track","userId":"u","event":"e","messageId":"rd-m4","timestamp":"9999-12-31T23:59:59.999999Z"},
                             {"type":"track","userId":"u","event":"e","messageId":"rd-m5","timestamp":"0001-01-01T00:00:00Z"}]}', 'rd_ingest');
SET TimeZone = 'UTC';
SELECT message_id, occurred_at FROM cdp.events WHERE message_id LIKE 'rd-m%' ORDER BY message_id;
SELECT batch_index, error, payload ->> 'messageId' AS message_id FROM cdp.rejected_messages
 WHERE source = 'rd_ingest' ORDER BY rejected_id;
-- Every stored timestamp reads back (this SELECT failed with 22008).
SELECT count(*) > 0 AS events_read_back FROM (SELECT occurred_at::text, received_at::text FROM cdp.events) e;

-- 5. REPEATABLE READ writers are refused (two of them could create two
-- customers for one e-mail); READ COMMITTED and SERIALIZABLE work.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.err($$SELECT cdp.upsert_record('rd_rr', 'k1', '{"email": "rr@example.it"}')$$) AS repeatable_read_upsert;
SELECT pg_temp.err($$SELECT cdp.ingest('{"type":"identify","userId":"rr-u","messageId":"rd-rr"}', 'rd_rr')$$) AS repeatable_read_ingest;
ROLLBACK;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT cdp.upsert_record('rd_rr', 'k2', '{"email": "rr@example.it"}') IS NOT NULL AS serializable_upsert;
COMMIT;
SELECT cdp.upsert_record('rd_rr', 'k3', '{"email": "rr@example.it"}') = cdp.customer_id('email', 'rr@example.it') AS read_committed_upsert;

-- 6. Deleting the last record of a customer that absorbed another one left
-- an alias pointing nowhere.
SELECT cdp.upsert_record('rd_alias', 'a', '{"email": "alias-a@example.it"}') AS ca \gset
SELECT cdp.upsert_record('rd_alias', 'b', '{"email": "alias-b@example.it"}') AS cb \gset
SELECT cdp.upsert_record('rd_alias', 'c', '{"email": ["alias-a@example.it", "alias-b@example.it"]}') = :ca AS merged_into_older;
SELECT count(*) AS alias_rows FROM cdp.customer_aliases WHERE old_id = :cb;
SELECT cdp.delete_record('rd_alias', 'c') IS NOT NULL AS deleted_bridge;
SELECT cdp.delete_record('rd_alias', 'a') IS NOT NULL AS deleted_a;
SELECT cdp.delete_record('rd_alias', 'b') IS NOT NULL AS deleted_b;
SELECT count(*) AS dangling_aliases FROM cdp.customer_aliases a
 WHERE NOT EXISTS (SELECT 1 FROM cdp.customers c WHERE c.customer_id = a.customer_id);
SELECT cdp.customer_id('email', 'alias-a@example.it') IS NULL AS deleted_person_unknown;

-- 11. Edge cases, one documented rule each.
-- A numeric context.device.id is ignored like other non-strings.
SELECT cdp.ingest('{"type":"track","userId":"dev-u","event":"e","messageId":"rd-dev","context":{"device":{"id":12345}}}', 'rd_dev') ->> 'accepted' AS accepted;
SELECT count(*) AS numeric_device_ids FROM cdp.identifiers i JOIN cdp.records r USING (record_id)
 WHERE r.source = 'rd_dev' AND i.id_type = 'device_id';
-- Source names: 1..200 characters, a clear 22023 (was a raw 23514).
SELECT pg_temp.err($$SELECT cdp.ingest('{"type":"identify","userId":"x","messageId":"rd-s1"}', '')$$) AS empty_source_ingest;
SELECT pg_temp.err(format($$SELECT cdp.ingest('{"type":"identify","userId":"x","messageId":"rd-s2"}', %L)$$, repeat('s', 201))) AS long_source_ingest;
SELECT pg_temp.err($$SELECT cdp.upsert_record('', 'k', '{}')$$) AS empty_source_upsert;
SELECT pg_temp.err(format($$SELECT cdp.upsert_record('rd_len', %L, '{}')$$, repeat('k', 1025))) AS long_source_key;
SELECT cdp.upsert_record(repeat('s', 200), 'k', '{}') IS NOT NULL AS source_of_200_ok;
DELETE FROM cdp.records WHERE source = repeat('s', 200);
-- Identifier values: strings of at most 1024 bytes; JSON null for the whole
-- argument is refused like any other non-object (it silently stored a
-- record with no identifiers); a null value or element means "none of that
-- type", as documented.
SELECT pg_temp.err(format($$SELECT cdp.upsert_record('rd_len', 'k', %L)$$, jsonb_build_object('external_id', repeat('x', 1025)))) AS long_identifier;
SELECT pg_temp.err($$SELECT cdp.upsert_record('rd_len', 'k', 'null')$$) AS null_identifiers;
SELECT pg_temp.err($$SELECT cdp.upsert_record('rd_len', 'k', '[null]')$$) AS array_identifiers;
SELECT pg_temp.err($$SELECT cdp.upsert_record('rd_len', 'k', '{"external_id": true}')$$) AS boolean_identifier;
SELECT pg_temp.err($$SELECT cdp.upsert_record('rd_len', 'k', '{"external_id": 4711}')$$) AS number_identifier;
SELECT cdp.upsert_record('rd_num', 'k', '{"external_id": "4711", "phone": [null, "393331234567"], "email": null}') AS cnum \gset
SELECT cdp.customer_id('external_id', '4711') = :cnum AS null_means_none;
SELECT i.id_type, i.id_value FROM cdp.identifiers i JOIN cdp.records r USING (record_id)
 WHERE r.source = 'rd_num' ORDER BY 1;
-- normalize_email: a local part of combining marks or emoji is not plausible.
SELECT cdp.normalize_email(E'\u0301\u0301@example.com') IS NULL AS marks_only,
       cdp.normalize_email(E'\U0001F600@example.com') IS NULL AS emoji_only,
       cdp.normalize_email('José@example.com') AS letters_kept;

-- 9. A non-UTF-8 database is refused at CREATE EXTENSION (every non-ASCII
-- input failed afterwards).
SELECT current_database() AS regress_db \gset
CREATE DATABASE cdp_rd_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c cdp_rd_latin1
\set VERBOSITY default
CREATE EXTENSION cdp;
\set VERBOSITY terse
\c :regress_db
DROP DATABASE cdp_rd_latin1;
\set SHOW_CONTEXT never


-- 10. Unbounded work: the self-test's allocation and spin are capped (the
-- OOM killer took the backend), and token_set_similarity of 2,000-token
-- texts honours statement_timeout (it ran 3.4 s past a 300 ms timeout).
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.err2(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.err2($$SELECT cdp._boundary_selftest('alloc', 9223372036854775807)$$) AS huge_alloc;
SELECT pg_temp.err2($$SELECT cdp._boundary_selftest('spin', 9223372036854775807)$$) AS huge_spin;
SELECT pg_temp.err2($$SELECT cdp._boundary_selftest('spin', -1)$$) AS negative_spin;
CREATE TEMP TABLE long_texts AS
SELECT (SELECT string_agg(md5('a' || i), ' ') FROM generate_series(1, 2000) i) AS a,
       (SELECT string_agg(md5('b' || i), ' ') FROM generate_series(1, 2000) i) AS b;
SET statement_timeout = '50ms';  -- 4M Jaro-Winkler pairs take far longer anywhere
SELECT pg_temp.err2($$SELECT cdp.token_set_similarity(a, b) FROM long_texts$$) AS token_set_cancelled;
RESET statement_timeout;
SELECT 1 AS session_still_usable;
