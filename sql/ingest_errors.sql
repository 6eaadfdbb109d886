-- cdp.ingest: bad input at the top level is an ERROR with an errcode; bad
-- messages are rejections, kept in cdp.rejected_messages with their payload.
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.err(p jsonb, endpoint text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cdp.ingest(p, 'ingest_err', endpoint);
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

SELECT pg_temp.err('[{"type": "track"}]') AS array_payload;
SELECT pg_temp.err('"track"') AS scalar_payload;
SELECT pg_temp.err('{"batch": {"type": "track"}}') AS batch_object;
SELECT pg_temp.err('{"batch": null}') AS batch_null;
SELECT pg_temp.err(jsonb_build_object('batch', (SELECT jsonb_agg(jsonb_build_object('type', 'track')) FROM generate_series(1, 10001)))) AS batch_too_big;
SELECT pg_temp.err('{"batch": [], "sentAt": "yesterday"}') AS bad_batch_sent_at;
SELECT pg_temp.err('{"batch": [], "sentAt": 1715364252}') AS numeric_batch_sent_at;
SELECT pg_temp.err('{"batch": [], "context": [1]}') AS bad_batch_context;
SELECT pg_temp.err('{"type": "track"}', 'tracks') AS unknown_endpoint;
SELECT pg_temp.err('{"type": "track"}', 'batch') AS batch_endpoint_without_batch;
SELECT cdp.ingest(NULL) IS NULL AS null_payload, cdp.ingest('{}', NULL, 'track') IS NULL AS null_source;
SELECT cdp.ingest('{"batch": []}', 'ingest_err') AS empty_batch;
-- A batch of exactly the maximum (10000) is not an error (all rejected here:
-- no user id), and nothing is lost.
SELECT cdp.ingest(jsonb_build_object('batch', (SELECT jsonb_agg(jsonb_build_object('type', 'track', 'n', g)) FROM generate_series(1, 10000) g)), 'ingest_err_max') -> 'accepted' AS max_batch_accepted;
SELECT count(*) AS kept, count(DISTINCT batch_index) AS distinct_indexes, min(batch_index), max(batch_index),
       count(*) FILTER (WHERE (payload->>'n')::int = batch_index + 1) AS payload_matches_index
  FROM cdp.rejected_messages WHERE source = 'ingest_err_max';
DELETE FROM cdp.rejected_messages WHERE source = 'ingest_err_max';

-- Every kind of rejection (index = position in the batch, 0-based).
CREATE TEMP TABLE err_batch AS SELECT $${"batch": [
  42,
  null,
  {"type": "track", "messageId": "e-2", "event": "No user"},
  {"type": "trak", "messageId": "e-3", "userId": "u"},
  {"messageId": "e-4", "userId": "u", "event": "No type"},
  {"type": 7, "userId": "u"},
  {"type": "track", "messageId": "e-6", "userId": "u", "event": "C", "timestamp": "2024-02-30T00:00:00Z"},
  {"type": "track", "messageId": "e-7", "userId": "u", "event": "C", "sentAt": 1715364252},
  {"type": "track", "messageId": "e-8", "userId": "u", "event": "D", "properties": [1, 2]},
  {"type": "track", "messageId": "e-9", "userId": "u", "event": "D", "context": "web"},
  {"type": "identify", "messageId": "e-10", "userId": "u", "traits": "vip"},
  {"type": "track", "messageId": "e-11", "userId": "u"},
  {"type": "track", "messageId": "e-12", "userId": "u", "event": ""},
  {"type": "screen", "messageId": "e-13", "userId": "u", "name": {"x": 1}},
  {"type": "alias", "messageId": "e-14", "userId": "u"},
  {"type": "alias", "messageId": "e-15", "anonymousId": "a", "previousId": "p"},
  {"type": "group", "messageId": "e-16", "userId": "u"},
  {"type": "identify", "messageId": "e-17", "userId": true},
  {"type": "identify", "messageId": 17, "userId": "u"},
  {"type": "identify", "messageId": "e-19", "anonymousId": ["a"]}
]}$$::jsonb AS body;
SELECT jsonb_pretty(cdp.ingest(body, 'ingest_err')) AS rejections FROM err_batch;
-- Kept, with the payload exactly as sent (expected: 20 rows, all equal).
SELECT count(*) AS kept, count(*) FILTER (WHERE rm.payload IS NOT DISTINCT FROM b.body -> 'batch' -> rm.batch_index) AS payload_as_sent
  FROM cdp.rejected_messages rm, err_batch b WHERE rm.source = 'ingest_err';
SELECT batch_index, payload FROM cdp.rejected_messages WHERE source = 'ingest_err' AND batch_index IN (0, 1, 4, 5, 18) ORDER BY 1;
-- Over-long ids are rejections too (they are btree-indexed).
SELECT cdp.ingest(jsonb_build_object('type', 'track', 'userId', repeat('x', 1025), 'event', 'Long'), 'ingest_err') AS long_user_id;
SELECT cdp.ingest(jsonb_build_object('type', 'track', 'userId', 'u', 'messageId', repeat('é', 600), 'event', 'Long'), 'ingest_err') AS long_message_id;
-- Error texts quote at most 80 code points of the offending value.
SELECT cdp.ingest(jsonb_build_object('type', repeat('ü', 100), 'userId', 'u'), 'ingest_err') -> 'rejected' -> 0 ->> 'error' AS long_type;
SELECT count(*) AS events_written FROM cdp.events;

DELETE FROM cdp.rejected_messages WHERE source = 'ingest_err';
