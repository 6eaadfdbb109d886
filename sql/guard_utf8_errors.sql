-- Error messages that quote (a truncated part of) the caller's input stay
-- valid UTF-8: truncation never cuts inside a multi-byte character
-- (phone region in the phone normaliser; the message box of the C++/PG
-- boundary).  convert_from() verifies the encoding and raises 22021 on a
-- broken sequence.
CREATE FUNCTION pg_temp.err_ok(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE m text; s text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, s = RETURNED_SQLSTATE;
    PERFORM convert_from(convert_to(m, 'UTF8'), 'UTF8');
    RETURN s || ' valid utf8';
END $$;
-- region: 1 ASCII byte then 2-byte characters, so byte 40 is mid-character
SELECT pg_temp.err_ok(format($$SELECT cdp.normalize_phone('347 123 4567', %L)$$, 'a' || repeat('é', 60)));
SELECT pg_temp.err_ok(format($$SELECT cdp.normalize_phone('347 123 4567', %L)$$, 'ab' || repeat('😀', 60)));
-- long multi-byte input quoted in messages of other entry points
SELECT pg_temp.err_ok(format($$SELECT cdp.upsert_record(%L, 'k', '{}')$$, 'a' || repeat('é', 3000)));
SELECT pg_temp.err_ok(format($$SELECT cdp.ingest(%L)$$, '{"type":"' || 'a' || repeat('漢', 3000) || '"}'));
SELECT pg_temp.err_ok(format($$SELECT cdp.ingest(%L)$$, '{"type":"track","userId":"' || repeat('é', 3000) || '","event":"e","messageId":"m"}'));
