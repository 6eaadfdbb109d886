-- Identity graph: explain_link, identity_graph, delete_record and
-- block_identifier.  Hand-built graph (sources prefixed 'ig_'):
--   r1 web  {anonymous_id a1}
--   r2 app  {anonymous_id a1, email m@x.it}
--   r3 pos  {email m@x.it, phone +39021111111}
--   r4 crm  {phone +39021111111}
--   r5 crm  {email other@x.it}
-- r1..r4 form one customer joined by the chain a1 - email - phone.
\set SHOW_CONTEXT never
SELECT cdp.upsert_record('ig_web', 'v1', '{"anonymous_id": "a1"}') AS c1 \gset
SELECT cdp.upsert_record('ig_app', 'u1', '{"anonymous_id": "a1", "email": "M@x.it"}') = :c1 AS r2_joins;
SELECT cdp.upsert_record('ig_pos', 't1', '{"email": "m@x.it", "phone": "02 1111111"}') = :c1 AS r3_joins;
SELECT cdp.upsert_record('ig_crm', 'c1', '{"phone": "+39 02 1111111"}') = :c1 AS r4_joins;
SELECT cdp.upsert_record('ig_crm', 'c2', '{"email": "other@x.it"}') <> :c1 AS r5_apart;
SELECT record_id AS r1 FROM cdp.records WHERE source = 'ig_web' AND source_key = 'v1' \gset
SELECT record_id AS r4 FROM cdp.records WHERE source = 'ig_crm' AND source_key = 'c1' \gset
SELECT record_id AS r5 FROM cdp.records WHERE source = 'ig_crm' AND source_key = 'c2' \gset

-- explain_link: the chain of records and identifiers, without ids
SELECT (e->>'hops')::int AS hops, (e->>'customer_id')::bigint = :c1 AS same_customer,
       jsonb_path_query_array(e, '$.chain[*].source') AS sources,
       jsonb_path_query_array(e, '$.chain[*].id_type') AS via_types,
       jsonb_path_query_array(e, '$.chain[*].id_value') AS via_values
  FROM cdp.explain_link(:r1, :r4) AS e;
SELECT cdp.explain_link(:r1, :r5) IS NULL AS not_linked, cdp.explain_link(:r1, -1) IS NULL AS unknown_record,
       (cdp.explain_link(:r1, :r1) ->> 'hops')::int AS self_hops;

-- identity_graph as JSON and Graphviz dot (record ids replaced for stable output)
SELECT jsonb_array_length(g->'records') AS records,
       jsonb_path_query_array(g, '$.identifiers[*].id_type') AS types,
       jsonb_path_query_array(g, '$.identifiers[*].id_value') AS "values",
       jsonb_path_query_array(g, '$.identifiers[*].records.size()') AS holders
  FROM (SELECT cdp.identity_graph(:c1)::jsonb AS g) x;
SELECT regexp_replace(regexp_replace(cdp.identity_graph(:c1, 'dot'), 'customer_[0-9]+', 'customer_N', 'g'),
                      '(r|#)[0-9]+', '\1N', 'g') AS dot;
SELECT cdp.identity_graph(:c1, 'svg');
SELECT cdp.identity_graph(-42) IS NULL AS unknown_customer;

-- delete_record: r3 was the only bridge between {r1, r2} and {r4}
SELECT d->>'deleted' AS deleted, (d->>'customer_id')::bigint = :c1 AS from_c1, d->>'split' AS split,
       jsonb_array_length(d->'customers') AS parts, (d->'customers'->>0)::bigint = :c1 AS oldest_keeps_id
  FROM cdp.delete_record('ig_pos', 't1') AS d;
SELECT source_key, customer_id = :c1 AS in_c1 FROM cdp.records WHERE source LIKE 'ig\_%' ORDER BY record_id;
SELECT cdp.explain_link(:r1, :r4) IS NULL AS no_longer_linked;
SELECT rule, merged_id = :c1 AS from_c1, detail->>'records' AS records, detail->>'reason' LIKE 'record % deleted' AS reason
  FROM cdp.merge_log WHERE rule = 'split' AND merged_id = :c1;
SELECT cdp.delete_record('ig_pos', 't1') AS delete_again;

-- bridge again, then block the e-mail: {r1, r2} keep the id, {r4, new r3} split off
SELECT cdp.upsert_record('ig_pos', 't1', '{"email": "m@x.it", "phone": "02 1111111"}') = :c1 AS rebridged;
SELECT b->>'id_value' AS blocked, b->>'newly_blocked' AS newly, b->>'new_customers' AS new_customers,
       (b->'customers'->>0)::bigint = :c1 AS c1_first
  FROM cdp.block_identifier('email', ' M@X.IT ') AS b;
SELECT source_key, customer_id = :c1 AS in_c1 FROM cdp.records WHERE source LIKE 'ig\_%' ORDER BY record_id;
SELECT count(DISTINCT customer_id) AS pos_and_crm_together FROM cdp.records
 WHERE (source, source_key) IN (('ig_pos', 't1'), ('ig_crm', 'c1'));
SELECT 'm@x.it' = ANY (blocked_values) AS stored_normalised FROM cdp.identifier_types WHERE id_type = 'email';
-- a new record with the blocked e-mail links to nobody
SELECT cdp.upsert_record('ig_news', 'n1', '{"email": "m@x.it"}') NOT IN
       (SELECT customer_id FROM cdp.records WHERE source LIKE 'ig\_%' AND source <> 'ig_news') AS blocked_links_nothing;
SELECT (cdp.block_identifier('email', 'm@x.it')->>'newly_blocked') AS block_again;
SELECT g->'identifiers' @> '[{"id_type": "email", "id_value": "m@x.it", "blocked": true}]' AS graph_marks_blocked
  FROM (SELECT cdp.identity_graph(:c1)::jsonb AS g) x;
SELECT cdp.block_identifier('email', 'not an email');
SELECT cdp.block_identifier('shoe_size', '42');

-- clean up (unblock, remove our rows)
UPDATE cdp.identifier_types SET blocked_values = array_remove(blocked_values, 'm@x.it') WHERE id_type = 'email';
DELETE FROM cdp.merge_log WHERE record_id IN (SELECT record_id FROM cdp.records WHERE source LIKE 'ig\_%')
    OR (rule = 'blocked' AND id_value = 'm@x.it') OR merged_id = :c1;
DELETE FROM cdp.customer_aliases WHERE customer_id IN (SELECT customer_id FROM cdp.records WHERE source LIKE 'ig\_%');
DELETE FROM cdp.customers WHERE customer_id IN (SELECT customer_id FROM cdp.records WHERE source LIKE 'ig\_%');
DELETE FROM cdp.records WHERE source LIKE 'ig\_%';
DELETE FROM cdp.sources WHERE source LIKE 'ig\_%';
