-- cdp demo, part 35: ingest Segment-spec events from two channels.
--   web: an anonymous visitor browses, signs in (identify), orders;
--   pos: the store's till sends an order keyed by the loyalty card (as
--        anonymousId: the till does not know the web login) with the
--        customer's e-mail (different case): identity resolution joins them.
\set QUIET on
\pset footer off
\set web `cat data/ingest_web_batch.json`
\set pos `cat data/ingest_pos_batch.json`

\echo
\echo '== Web batch (analytics.js): page, product view, identify, order =='
SELECT jsonb_pretty(cdp.ingest(:'web', 'web')) AS result;

\echo
\echo '== POS batch: one good order, one without any user id, one with a bad timestamp =='
SELECT jsonb_pretty(cdp.ingest(:'pos', 'pos')) AS result;

\echo
\echo '== The web batch again (a retry): idempotent on messageId =='
SELECT cdp.ingest(:'web', 'web') AS result;

\echo
\echo '== Events, with the record and customer they landed on =='
\echo '   (web: no "timestamp", so occurred_at = receive time - (sentAt - originalTimestamp):'
\echo '    the browser clock is not trusted, only the intervals it measured; pos: "timestamp" as sent)'
SELECT r.source, r.source_key AS record_key, r.customer_id, e.type, coalesce(e.event, '') AS event,
       e.occurred_at, e.properties->>'revenue' AS revenue
  FROM cdp.events e JOIN cdp.records r USING (record_id)
 WHERE r.source IN ('web', 'pos')
 ORDER BY e.event_id;

\echo
\echo '== One customer: anonymous visitor + web login + POS loyalty card (via the e-mail) =='
SELECT cdp.customer_id('anonymous_id', 'a-7f3c') AS by_anonymous_id,
       cdp.customer_id('user_id', 'u-1001')     AS by_web_user,
       cdp.customer_id('anonymous_id', 'card-5521') AS by_loyalty_card,
       cdp.customer_id('email', 'GIULIA.ROSSI@example.com') AS by_email;
SELECT r.source, r.source_key, i.id_type, i.id_value
  FROM cdp.records r JOIN cdp.identifiers i USING (record_id)
 WHERE r.customer_id = cdp.customer_id('user_id', 'u-1001')
 ORDER BY r.record_id, i.id_type, i.id_value;

\echo
\echo '== Traits merged from identify =='
SELECT source, source_key, traits FROM cdp.records WHERE source IN ('web', 'pos') AND traits <> '{}' ORDER BY record_id;

\echo
\echo '== Rejected messages are kept, with the reason =='
SELECT source, batch_index, error, payload->>'messageId' AS message_id FROM cdp.rejected_messages
 WHERE source IN ('web', 'pos') ORDER BY rejected_id;
