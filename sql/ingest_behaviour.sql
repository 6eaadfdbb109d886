-- cdp.ingest behaviour: all six types, duplicates, alias
-- both ways, bad messages among good ones, traits merge, timestamps,
-- derived messageIds, customers (checked against cdp.customer_id).
\set SHOW_CONTEXT never
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.err(p jsonb, endpoint text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cdp.ingest(p, 'beh', endpoint);
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- (Top-level errors and every kind of rejection: ingest_errors.sql.)

-- 1. All six types in one batch; the mapping to events.
SELECT cdp.ingest($${"batch": [
  {"type": "identify", "messageId": "b-1", "userId": "u1", "anonymousId": "a1",
   "traits": {"email": "Ann.Lee@Example.com", "phone": "+39 02 1234 5678", "name": "Ann Lee", "plan": "free"},
   "timestamp": "2024-03-01T10:00:00Z"},
  {"type": "track", "messageId": "b-2", "userId": "u1", "event": "Order Completed",
   "properties": {"revenue": 42.5}, "context": {"device": {"id": "dev-1"}}, "timestamp": "2024-03-01T10:01:00Z"},
  {"type": "page", "messageId": "b-3", "anonymousId": "a2", "name": "Home", "properties": {"url": "https://x.it/"},
   "timestamp": "2024-03-01T10:02:00Z"},
  {"type": "screen", "messageId": "b-4", "userId": "u1", "name": "Cart", "timestamp": "2024-03-01T10:03:00Z"},
  {"type": "group", "messageId": "b-5", "userId": "u1", "groupId": "acme", "traits": {"name": "ACME", "email": "billing@acme.it"},
   "timestamp": "2024-03-01T10:04:00Z"},
  {"type": "alias", "messageId": "b-6", "userId": "u1", "previousId": "a2", "timestamp": "2024-03-01T10:05:00Z"}
]}$$, 'beh');
SELECT e.message_id, e.type, e.event, r.source_key AS record, e.properties, e.context, e.occurred_at
  FROM cdp.events e JOIN cdp.records r USING (record_id) WHERE r.source = 'beh' ORDER BY e.message_id;
-- identifiers of the records (group traits are the group's: no billing@acme.it)
SELECT r.source_key AS record, i.id_type, i.id_value
  FROM cdp.records r JOIN cdp.identifiers i USING (record_id) WHERE r.source = 'beh' ORDER BY 1, 2, 3;
SELECT source_key, traits FROM cdp.records WHERE source = 'beh' ORDER BY 1;

-- 2. Duplicates: within a batch, across batches; a duplicate changes nothing.
SELECT cdp.ingest($${"batch": [
  {"type": "track", "messageId": "d-1", "userId": "u1", "event": "Viewed"},
  {"type": "track", "messageId": "d-1", "userId": "u1", "event": "Viewed"},
  {"type": "identify", "messageId": "b-1", "userId": "u1", "traits": {"plan": "CHANGED", "email": "other@example.com"}}
]}$$, 'beh') AS dup_within_and_across;
-- (u1 and its identifiers are known: this one is not pre-checked; the INSERT's
-- ON CONFLICT finds it.)
SELECT cdp.ingest('{"type": "track", "messageId": "d-1", "userId": "u1", "event": "Viewed"}', 'beh') AS dup_resent;
SELECT count(*) AS d1_events FROM cdp.events WHERE message_id = 'd-1';
SELECT traits->>'plan' AS plan_unchanged,
       (SELECT count(*) FROM cdp.identifiers i WHERE i.record_id = r.record_id AND i.id_value LIKE 'other%') AS no_new_email
  FROM cdp.records r WHERE source = 'beh' AND source_key = 'u1';

-- 3. Messages without messageId get "cdp-" || sha256(type || E'\n' || message::text):
--    a retry dedupes; checked against PostgreSQL's own sha256().
SELECT cdp.ingest('{"type": "track", "userId": "u1", "event": "No Id", "timestamp": "2024-03-02T00:00:00Z"}', 'beh') AS first,
       cdp.ingest('{"type": "track", "userId": "u1", "event": "No Id", "timestamp": "2024-03-02T00:00:00Z"}', 'beh') AS retry;
SELECT message_id = 'cdp-' || encode(sha256(convert_to('track' || E'\n' ||
           '{"type": "track", "userId": "u1", "event": "No Id", "timestamp": "2024-03-02T00:00:00Z"}'::jsonb::text, 'UTF8')), 'hex')
       AS derived_id_matches
  FROM cdp.events WHERE event = 'No Id';

-- 4. One bad message among good ones: the others are accepted, the bad ones
--    kept in cdp.rejected_messages with index, source, error and payload.
SELECT cdp.ingest($${"batch": [
  {"type": "track", "messageId": "m-1", "userId": "u3", "event": "A"},
  42,
  {"type": "track", "messageId": "m-3", "event": "No user"},
  {"type": "track", "messageId": "m-4", "userId": "u3", "event": "B"},
  {"type": "trak", "messageId": "m-5", "userId": "u3"},
  {"type": "track", "messageId": "m-6", "userId": "u3", "event": "C", "timestamp": "2024-02-30T00:00:00Z"},
  {"type": "track", "messageId": "m-7", "userId": "u3", "event": "D", "properties": [1, 2]},
  {"type": "alias", "messageId": "m-8", "userId": "u3"},
  {"type": "group", "messageId": "m-9", "userId": "u3"},
  {"type": "identify", "messageId": "m-10", "userId": true},
  {"type": "track", "messageId": "m-11", "anonymousId": "a9", "event": "E"}
]}$$, 'beh') AS mixed;
SELECT batch_index, error, payload FROM cdp.rejected_messages WHERE source = 'beh' ORDER BY rejected_id;
SELECT string_agg(message_id, ',' ORDER BY message_id) AS accepted_ids
  FROM cdp.events WHERE message_id LIKE 'm-%';

-- 5. Traits merge (identify only; later wins), within a batch and across calls.
SELECT cdp.ingest($${"batch": [
  {"type": "identify", "messageId": "t-1", "userId": "u4", "traits": {"name": "Bo", "plan": "free"}},
  {"type": "identify", "messageId": "t-2", "userId": "u4", "traits": {"plan": "pro", "age": 30}},
  {"type": "track", "messageId": "t-3", "userId": "u4", "event": "X", "context": {"traits": {"plan": "ignored"}}}
]}$$, 'beh') AS traits_batch;
SELECT cdp.ingest('{"type": "identify", "messageId": "t-4", "userId": "u4", "traits": {"city": "Roma", "age": 31}}', 'beh') AS traits_later;
SELECT traits FROM cdp.records WHERE source = 'beh' AND source_key = 'u4';

-- 6. Timestamps (Segment): timestamp; else receivedAt - (sentAt - originalTimestamp);
--    else originalTimestamp; else receivedAt / the receive time.
SELECT now() AS before_ts \gset
SELECT cdp.ingest($${"sentAt": "2024-01-01T11:00:05Z", "batch": [
  {"type": "track", "messageId": "ts-1", "userId": "u5", "event": "T", "timestamp": "2024-01-01T12:00:00+02:00",
   "originalTimestamp": "2000-01-01T00:00:00Z"},
  {"type": "track", "messageId": "ts-2", "userId": "u5", "event": "T", "originalTimestamp": "2024-01-01T11:00:00Z",
   "sentAt": "2024-01-01T11:00:10Z", "receivedAt": "2024-01-01T10:00:12.5Z"},
  {"type": "track", "messageId": "ts-3", "userId": "u5", "event": "T", "originalTimestamp": "2024-01-01T11:00:00Z",
   "receivedAt": "2024-01-01T10:00:12.5Z"},
  {"type": "track", "messageId": "ts-4", "userId": "u5", "event": "T", "receivedAt": "2024-01-01T10:00:12.5Z"},
  {"type": "track", "messageId": "ts-5", "userId": "u5", "event": "T"}
]}$$, 'beh') AS timestamps;
SELECT message_id,
       CASE WHEN occurred_at >= :'before_ts' THEN 'receive time' ELSE occurred_at::text END AS occurred_at,
       CASE WHEN received_at >= :'before_ts' THEN 'receive time' ELSE received_at::text END AS received_at,
       CASE message_id
         WHEN 'ts-1' THEN occurred_at = '2024-01-01T10:00:00Z'
         WHEN 'ts-2' THEN occurred_at = timestamptz '2024-01-01T10:00:12.5Z' - (timestamptz '2024-01-01T11:00:10Z' - timestamptz '2024-01-01T11:00:00Z')
         WHEN 'ts-3' THEN occurred_at = timestamptz '2024-01-01T10:00:12.5Z' - (timestamptz '2024-01-01T11:00:05Z' - timestamptz '2024-01-01T11:00:00Z')
         WHEN 'ts-4' THEN occurred_at = received_at AND received_at = '2024-01-01T10:00:12.5Z'
         WHEN 'ts-5' THEN occurred_at = received_at AND received_at >= :'before_ts' AND received_at <= now()
       END AS rule_holds
  FROM cdp.events WHERE message_id LIKE 'ts-%' ORDER BY message_id;

-- 7. Batch context goes under every message's own context (message keys win);
--    HTTP API bodies get their type from the endpoint.
SELECT cdp.ingest($${"context": {"device": {"id": "dev-9", "type": "phone"}, "ip": "1.2.3.4"}, "batch": [
  {"type": "track", "messageId": "c-1", "userId": "u6", "event": "P", "context": {"ip": "5.6.7.8"}},
  {"type": "track", "messageId": "c-2", "userId": "u6", "event": "Q"}
]}$$, 'beh') AS batch_context;
SELECT message_id, context FROM cdp.events WHERE message_id LIKE 'c-%' ORDER BY 1;
SELECT i.id_value AS device_of_u6 FROM cdp.identifiers i JOIN cdp.records r USING (record_id)
 WHERE r.source = 'beh' AND r.source_key = 'u6' AND i.id_type = 'device_id';
SELECT cdp.ingest('{"userId": "u6", "event": "From HTTP", "messageId": "h-1"}', 'beh', 'track') AS http_track,
       cdp.ingest('{"userId": "u6", "event": "From HTTP", "messageId": "h-2"}', 'beh') AS no_endpoint;

-- 8. Alias both ways.
-- (a) previousId is an anonymous_id: the anonymous visitor joins the user.
SELECT cdp.ingest('{"type": "page", "messageId": "al-1", "anonymousId": "visitor-A", "name": "Landing"}', 'beh') AS visit,
       cdp.ingest('{"type": "alias", "messageId": "al-2", "userId": "user-A", "previousId": "visitor-A"}', 'beh') AS alias_anon;
SELECT cdp.customer_id('anonymous_id', 'visitor-A') = cdp.customer_id('user_id', 'user-A') AS visitor_joined_user;
-- (b) previousId is a user_id some record holds: linked as a user_id, within
--     the same limits as any link (user_id: max 1 per customer -> refused).
SELECT cdp.ingest('{"type": "identify", "messageId": "al-3", "userId": "old-B"}', 'beh') AS old_user,
       cdp.ingest('{"type": "alias", "messageId": "al-4", "userId": "new-B", "previousId": "old-B"}', 'beh') AS alias_user;
SELECT cdp.customer_id('user_id', 'old-B') <> cdp.customer_id('user_id', 'new-B') AS refused_by_user_id_limit,
       (SELECT i.id_type FROM cdp.identifiers i JOIN cdp.records r USING (record_id)
         WHERE r.source = 'beh' AND r.source_key = 'new-B' AND i.id_value = 'old-B') AS linked_as;
SELECT count(*) > 0 AS refusal_logged FROM cdp.merge_log WHERE rule LIKE 'refused%' AND id_value = 'old-B';
--     with the limit raised, the same kind of alias merges.
BEGIN;
UPDATE cdp.identifier_types SET max_per_customer = 2 WHERE id_type = 'user_id';
SELECT cdp.ingest('{"type": "identify", "messageId": "al-5", "userId": "old-C"}', 'beh') AS old_user,
       cdp.ingest('{"type": "alias", "messageId": "al-6", "userId": "new-C", "previousId": "old-C"}', 'beh') AS alias_user;
SELECT cdp.customer_id('user_id', 'old-C') = cdp.customer_id('user_id', 'new-C') AS merged_with_limit_2;
ROLLBACK;

-- 9. The customers formed match cdp.customer_id() (expected: 0 mismatches).
SELECT count(*) AS records,
       count(*) FILTER (WHERE r.customer_id IS DISTINCT FROM coalesce(cdp.customer_id('user_id', r.source_key),
                                                                      cdp.customer_id('anonymous_id', r.source_key))) AS mismatches
  FROM cdp.records r WHERE r.source = 'beh';
-- u1's identify, track, screen, group, alias and a2's page are one customer;
-- its email and phone resolve to it too.
SELECT count(DISTINCT r.customer_id) AS customers_of_batch_2
  FROM cdp.events e JOIN cdp.records r USING (record_id) WHERE e.message_id LIKE 'b-%';
SELECT cdp.customer_id('email', 'ann.lee@example.com') = cdp.customer_id('user_id', 'u1') AS email_resolves,
       cdp.customer_id('device_id', 'dev-1') = cdp.customer_id('user_id', 'u1') AS device_resolves;

-- 10. Depth: deeply nested properties are stored as they are (no recursion in
--     cdp.ingest; the jsonb parser bounds depth itself).
SELECT cdp.ingest(jsonb_build_object('type', 'track', 'messageId', 'deep-1', 'userId', 'u7', 'event', 'Deep',
                  'properties', (repeat('{"a":', 3000) || '1' || repeat('}', 3000))::jsonb), 'beh') AS deep;
SELECT length(properties::text) AS deep_length FROM cdp.events WHERE message_id = 'deep-1';

-- 11. A cdp_writer may ingest (SECURITY DEFINER; no table grants needed).
CREATE ROLE ingest_test_writer;
GRANT cdp_writer TO ingest_test_writer;
SET ROLE ingest_test_writer;
SELECT cdp.ingest('{"type": "track", "messageId": "w-1", "userId": "u8", "event": "By writer"}', 'beh') AS as_writer;
RESET ROLE;
CREATE ROLE ingest_test_reader;
GRANT cdp_reader TO ingest_test_reader;
SET ROLE ingest_test_reader;
SELECT pg_temp.err('{"type": "track", "messageId": "w-2", "userId": "u8", "event": "By reader"}') AS as_reader;
RESET ROLE;
DROP ROLE ingest_test_writer;
DROP ROLE ingest_test_reader;

-- clean up (records, their identifiers, customers, aliases and log rows)
CREATE TEMP TABLE beh_customers AS SELECT DISTINCT customer_id FROM cdp.records WHERE source = 'beh';
DELETE FROM cdp.events WHERE record_id IN (SELECT record_id FROM cdp.records WHERE source = 'beh');
DELETE FROM cdp.rejected_messages WHERE source = 'beh';
DELETE FROM cdp.records WHERE source = 'beh';
DELETE FROM cdp.customer_aliases WHERE customer_id IN (SELECT customer_id FROM beh_customers);
DELETE FROM cdp.merge_log WHERE customer_id IN (SELECT customer_id FROM beh_customers);
DELETE FROM cdp.customers c WHERE c.customer_id IN (SELECT customer_id FROM beh_customers)
   AND NOT EXISTS (SELECT 1 FROM cdp.records r WHERE r.customer_id = c.customer_id);
DELETE FROM cdp.sources WHERE source = 'beh';
