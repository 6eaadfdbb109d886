-- cdp.ingest over every example of test/data/segment_spec (Segment docs,
-- CC BY 4.0): each file alone, then all files in one sequence (shared
-- messageIds dedupe), then the files the first pass rejected only for lacking
-- a userId/anonymousId, completed with one.  HTTP API bodies carry no "type":
-- the endpoint from MANIFEST.tsv is passed as cdp.ingest's third argument.
\set SHOW_CONTEXT never
SET timezone = 'UTC';
\getenv cdp_data CDP_TEST_DATA
\set spec_dir :cdp_data '/segment_spec/'
\set manifest :spec_dir 'MANIFEST.tsv'

CREATE TEMP TABLE spec_manifest (
    file text, type text, event_or_name text, form text, http_endpoint text,
    source_path text, source_lines text, modification text);
COPY spec_manifest FROM :'manifest' WITH (FORMAT text, HEADER true);
ALTER TABLE spec_manifest ADD COLUMN ord serial;
CREATE TEMP TABLE spec_body AS
    SELECT m.ord, m.file, pg_read_file(:'spec_dir' || m.file)::jsonb AS body FROM spec_manifest m;
-- Every file of the directory is in the manifest, and the reverse.
SELECT count(*) AS files,
       count(*) FILTER (WHERE f NOT IN (SELECT file FROM spec_manifest)) AS not_in_manifest,
       (SELECT count(*) FROM spec_manifest WHERE file NOT IN (SELECT pg_ls_dir(:'spec_dir'))) AS missing
  FROM pg_ls_dir(:'spec_dir') f WHERE f LIKE '%.json';

CREATE FUNCTION pg_temp.outcome(r jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT format('accepted %s, duplicates %s', r->>'accepted', r->>'duplicates')
        || coalesce((SELECT string_agg(format('; rejected [%s] %s', e->>'index', e->>'error'), '' ORDER BY (e->>'index')::int)
                       FROM jsonb_array_elements(r->'rejected') e), '')
$$;

-- Ingest one body inside a subtransaction that is rolled back, and return
-- the result plus the events it wrote (type, event, occurred_at).
CREATE FUNCTION pg_temp.ingest_alone(body jsonb, endpoint text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE r jsonb; last_event bigint := (SELECT coalesce(max(event_id), 0) FROM cdp.events);
BEGIN
    BEGIN
        r := cdp.ingest(body, 'spec_test', endpoint);
        r := jsonb_build_object('result', r,
            'events', (SELECT coalesce(jsonb_agg(jsonb_build_object('type', e.type, 'event', e.event,
                                                   'occurred_at', e.occurred_at) ORDER BY e.event_id), '[]')
                         FROM cdp.events e WHERE e.event_id > last_event));
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = r::text;
    EXCEPTION WHEN raise_exception THEN
        RETURN SQLERRM::jsonb;
    END;
END $$;

CREATE TEMP TABLE spec_alone AS
    SELECT m.ord, m.file, m.type, m.event_or_name, m.form, nullif(m.http_endpoint, '') AS endpoint,
           pg_temp.ingest_alone(b.body, nullif(m.http_endpoint, '')) AS r
      FROM spec_manifest m JOIN spec_body b USING (ord) ORDER BY m.ord;

-- Pass 1: each file alone.
SELECT file, coalesce(endpoint, '') AS endpoint, pg_temp.outcome(r->'result') AS outcome
  FROM spec_alone ORDER BY ord;

-- Independent truth from MANIFEST.tsv: every accepted single message was
-- stored with the manifest's type and event/page/screen name (expected: no rows).
SELECT file, type, event_or_name, r->'events' AS stored
  FROM spec_alone
 WHERE type <> 'batch' AND (r->'result'->>'accepted')::int = 1
   AND (r->'events'->0->>'type' IS DISTINCT FROM type
        OR (type IN ('track', 'page', 'screen') AND r->'events'->0->>'event' IS DISTINCT FROM event_or_name));
-- The files that were neither accepted nor rejected for a missing id
-- (expected: only http-api_7's two messages with a one-digit month).
SELECT file, e->>'index' AS idx, e->>'error' AS error
  FROM spec_alone, jsonb_array_elements(r->'result'->'rejected') e
 WHERE e->>'error' NOT LIKE 'message has neither userId nor anonymousId%';
-- Occurred-at of the complete examples (timestamp wins over originalTimestamp/sentAt).
SELECT file, r->'events'->0->>'occurred_at' AS occurred_at
  FROM spec_alone WHERE form = 'complete' ORDER BY ord;

-- Segment's clock-skew correction reproduced: the examples that carry
-- originalTimestamp, sentAt and receivedAt, sent without their "timestamp",
-- get exactly the timestamp Segment computed (receivedAt - (sentAt - originalTimestamp)).
SELECT a.file, (b.body->>'timestamp')::timestamptz AS published_timestamp,
       (pg_temp.ingest_alone(b.body - 'timestamp', a.endpoint)->'events'->0->>'occurred_at')::timestamptz AS recomputed
  FROM spec_alone a JOIN spec_body b USING (ord)
 WHERE b.body ?& array['timestamp', 'originalTimestamp', 'sentAt', 'receivedAt'] ORDER BY a.ord;

-- Pass 2: all files in manifest order, for real.  The docs reuse messageIds
-- (common_1, identify_2, page_2, screen_2, group_2, alias_2 share one;
-- track_2 and track_3 share another): the later ones are duplicates.
SELECT m.file, pg_temp.outcome(cdp.ingest(b.body, 'spec_test', nullif(m.http_endpoint, ''))) AS outcome
  FROM spec_manifest m JOIN spec_body b USING (ord)
 WHERE m.file IN ('common_1.json', 'identify_2.json', 'page_2.json', 'screen_2.json', 'group_2.json',
                  'alias_2.json', 'track_2.json', 'track_3.json', 'http-api_7.json')
 ORDER BY m.ord;
SELECT count(*) AS outcomes FROM (
    SELECT cdp.ingest(b.body, 'spec_test', nullif(m.http_endpoint, ''))
      FROM spec_manifest m JOIN spec_body b USING (ord)
     WHERE m.file NOT IN ('common_1.json', 'identify_2.json', 'page_2.json', 'screen_2.json', 'group_2.json',
                          'alias_2.json', 'track_2.json', 'track_3.json', 'http-api_7.json')
     ORDER BY m.ord) s;
-- Events stored = messages accepted alone minus the 5 + 1 shared-messageId
-- duplicates (http-api_1 and http-api_8 have no messageId and differ in
-- "integrations": their derived messageIds differ).
SELECT (SELECT sum((r->'result'->>'accepted')::int) FROM spec_alone) AS accepted_alone,
       count(*) AS events_stored,
       (SELECT sum((r->'result'->>'accepted')::int) FROM spec_alone) - 6 = count(*) AS six_duplicates,
       count(DISTINCT message_id) AS distinct_message_ids
  FROM cdp.events e JOIN cdp.records rec USING (record_id) WHERE rec.source = 'spec_test';
-- Records and identifiers formed (review against the spec: userId ->
-- user_id, anonymousId -> anonymous_id, identify traits.email -> email,
-- alias previousId -> anonymous_id since no record holds it as a user_id).
SELECT r.source_key AS record, i.id_type, i.id_value
  FROM cdp.records r JOIN cdp.identifiers i USING (record_id) WHERE r.source = 'spec_test' ORDER BY 1, 2, 3;
SELECT count(DISTINCT customer_id) AS customers, count(*) AS records FROM cdp.records WHERE source = 'spec_test';
-- Rejected messages are kept with their payload, equal to what was sent.
SELECT count(*) AS rejected_kept,
       count(*) FILTER (WHERE rm.payload = coalesce(b.body->'batch'->rm.batch_index, b.body)) AS payload_equal
  FROM cdp.rejected_messages rm
  JOIN spec_body b ON rm.payload = coalesce(b.body->'batch'->rm.batch_index, b.body)
 WHERE rm.source = 'spec_test';
SELECT count(*) AS rejected_rows FROM cdp.rejected_messages WHERE source = 'spec_test';

-- Pass 3: the minimal examples, completed with an anonymousId, all ingest
-- with their manifest type and name (expected: no rows listed, then the count).
CREATE TEMP TABLE spec_completed AS
    SELECT a.ord, a.file, a.type, a.event_or_name,
           pg_temp.ingest_alone(b.body || '{"anonymousId": "spec-anon"}', a.endpoint) AS r
      FROM spec_alone a JOIN spec_body b USING (ord)
     WHERE (a.r->'result'->>'accepted')::int = 0 AND (a.r->'result'->>'duplicates')::int = 0;
SELECT file, r FROM spec_completed
 WHERE (r->'result'->>'accepted')::int <> 1
    OR r->'events'->0->>'type' IS DISTINCT FROM type
    OR (type IN ('track', 'page', 'screen') AND r->'events'->0->>'event' IS DISTINCT FROM event_or_name);
SELECT count(*) AS completed_and_accepted FROM spec_completed;

-- clean up (records, their identifiers, customers, aliases and log rows)
CREATE TEMP TABLE spec_customers AS SELECT DISTINCT customer_id FROM cdp.records WHERE source = 'spec_test';
DELETE FROM cdp.events WHERE record_id IN (SELECT record_id FROM cdp.records WHERE source = 'spec_test');
DELETE FROM cdp.rejected_messages WHERE source = 'spec_test';
DELETE FROM cdp.records WHERE source = 'spec_test';
DELETE FROM cdp.customer_aliases WHERE customer_id IN (SELECT customer_id FROM spec_customers);
DELETE FROM cdp.merge_log WHERE customer_id IN (SELECT customer_id FROM spec_customers);
DELETE FROM cdp.customers c WHERE c.customer_id IN (SELECT customer_id FROM spec_customers)
   AND NOT EXISTS (SELECT 1 FROM cdp.records r WHERE r.customer_id = c.customer_id);
DELETE FROM cdp.sources WHERE source = 'spec_test';
