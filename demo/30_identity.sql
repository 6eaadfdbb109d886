-- cdp demo, part 30: the identity graph.
-- Fifteen records from five channels (web, app, pos, newsletter, crm, shop)
-- are upserted one by one; shared identifiers join them into customers.
\set QUIET on
\pset footer off
CREATE TEMP TABLE demo_identity (seq int, source text, source_key text, user_id text, email text,
                                 phone text, anonymous_id text, device_id text);
\copy demo_identity FROM 'data/identity_records.csv' WITH (FORMAT csv, HEADER true)

\echo
\echo '== Upserting the records in order (identifiers as sent, before normalisation) =='
SELECT d.seq, d.source, d.source_key,
       jsonb_strip_nulls(jsonb_build_object('user_id', d.user_id, 'email', d.email, 'phone', d.phone,
                                            'anonymous_id', d.anonymous_id, 'device_id', d.device_id)) AS identifiers,
       cdp.upsert_record(d.source, d.source_key,
                         jsonb_strip_nulls(jsonb_build_object('user_id', d.user_id, 'email', d.email, 'phone', d.phone,
                                                              'anonymous_id', d.anonymous_id, 'device_id', d.device_id))) AS customer_id
  FROM demo_identity d ORDER BY d.seq;

\echo
\echo '== Customers: the web visitor who signed up in the app and bought in store is one person =='
SELECT r.customer_id, string_agg(r.source || ':' || r.source_key, ', ' ORDER BY r.record_id) AS records
  FROM cdp.records r JOIN demo_identity d ON (d.source, d.source_key) = (r.source, r.source_key)
 GROUP BY r.customer_id ORDER BY r.customer_id;

\echo
\echo '== Evidence (merge_log): every merge, and the refused link of the Verdi household (two user ids) =='
SELECT m.rule, r.source || ':' || r.source_key AS record, m.id_type, m.id_value, m.customer_id, m.merged_id,
       coalesce(m.detail->>'type', '') AS limited_type
  FROM cdp.merge_log m JOIN cdp.records r USING (record_id)
  JOIN demo_identity d ON (d.source, d.source_key) = (r.source, r.source_key)
 ORDER BY m.merge_id;

\echo
\echo '== Lookups normalise the value: any spelling of the phone finds Mario =='
SELECT cdp.customer_id('phone', '+39 02 12345678') AS by_phone, cdp.customer_id('email', ' MARIO.ROSSI@EXAMPLE.IT') AS by_email,
       cdp.customer_id('email', 'mario.rosi@example.it') AS typo_left_for_probabilistic_matching;

\echo
\echo '== Why are the first web visit and the newsletter subscription the same customer? =='
SELECT jsonb_pretty(cdp.explain_link(
         (SELECT record_id FROM cdp.records WHERE source = 'web' AND source_key = 'visit-81'),
         (SELECT record_id FROM cdp.records WHERE source = 'newsletter' AND source_key = 'sub-17'))) AS explain_link;

\echo
\echo '== A careless cashier typed test@test.com on two tickets: Giulia''s purchase (ticket-5523)'
\echo '   landed on Mario; its phone link to Giulia was refused (one customer, one user_id) =='
SELECT r.source || ':' || r.source_key AS record, r.customer_id, r.customer_id = cdp.customer_id('user_id', 'u-1') AS on_mario
  FROM cdp.records r WHERE source = 'pos' ORDER BY record_id;
\echo '   block the value: customers joined only through it split (the oldest record keeps the id)'
SELECT jsonb_pretty(cdp.block_identifier('email', 'test@test.com')) AS block_identifier;
SELECT r.customer_id, string_agg(r.source || ':' || r.source_key, ', ' ORDER BY r.record_id) AS records
  FROM cdp.records r JOIN demo_identity d ON (d.source, d.source_key) = (r.source, r.source_key)
 GROUP BY r.customer_id ORDER BY r.customer_id;
\echo '   a split recomputes the customer from its own records; the batch replay then re-links'
\echo '   the split-off ticket to Giulia through her phone (now that nothing refuses it)'
SELECT cdp.resolve_identities() - 'ms' - 'load_ms' - 'replay_ms' - 'write_ms' AS resolve_identities;
SELECT r.source || ':' || r.source_key AS record, r.customer_id = cdp.customer_id('user_id', 'u-2') AS on_giulia
  FROM cdp.records r WHERE source = 'pos' AND source_key = 'ticket-5523';

\echo
\echo '== Deleting the store ticket that bridged the phone: the customer splits =='
SELECT jsonb_pretty(cdp.delete_record('pos', 'ticket-5521')) AS delete_record;
SELECT r.customer_id, string_agg(r.source || ':' || r.source_key, ', ' ORDER BY r.record_id) AS records
  FROM cdp.records r JOIN demo_identity d ON (d.source, d.source_key) = (r.source, r.source_key)
 GROUP BY r.customer_id ORDER BY r.customer_id;

\echo
\echo '== The graph of Mario, as Graphviz (paste into dot -Tsvg) =='
SELECT cdp.identity_graph(cdp.customer_id('user_id', 'u-1'), 'dot') AS dot;
