-- cdp demo, part 50: the single customer view.  Chiara came through the web
-- shop, the mobile app, a store and the newsletter; we show her profile
-- (survivorship, computed traits, RFM, consent), the same view a week
-- earlier, then the right to be forgotten and a suppressed re-ingest.
\set QUIET on
\pset footer off
\pset null '∅'

-- Survivorship: the CRM/store is the most trusted for names, interests are
-- collected from every channel.
INSERT INTO cdp.sources (source, priority) VALUES ('store', 1), ('newsletter', 20), ('app', 30)
    ON CONFLICT (source) DO UPDATE SET priority = excluded.priority;
INSERT INTO cdp.trait_rules (trait, rule) VALUES ('last_name', 'source_priority'), ('interests', 'union'),
    ('first_seen_channel', 'first_seen') ON CONFLICT (trait) DO UPDATE SET rule = excluded.rule;

\echo
\echo '== A week ago: web visits, a sign-up and a first order (Segment messages) =='
SELECT cdp.ingest(jsonb_build_object('batch', jsonb_build_array(
    jsonb_build_object('type', 'page', 'anonymousId', 'anon-ce-1', 'name', 'Home', 'messageId', 'demo50-1',
                       'timestamp', now() - interval '9 days'),
    jsonb_build_object('type', 'identify', 'userId', 'chiara-88', 'anonymousId', 'anon-ce-1', 'messageId', 'demo50-2',
                       'timestamp', now() - interval '9 days',
                       'traits', jsonb_build_object('email', 'Chiara.Esposito@Example.it', 'first_name', 'Chiara',
                                                    'last_name', 'esposito', 'interests', jsonb_build_array('running'),
                                                    'first_seen_channel', 'web'),
                       'context', jsonb_build_object('consent', jsonb_build_object('categoryPreferences',
                                                     jsonb_build_object('analytics', true)))),
    jsonb_build_object('type', 'track', 'userId', 'chiara-88', 'event', 'Order Completed', 'messageId', 'demo50-3',
                       'timestamp', now() - interval '8 days',
                       'properties', jsonb_build_object('order_id', 'W-1', 'revenue', 59.90, 'currency', 'EUR'))
)), 'web') AS web;
SELECT cdp.customer_id('email', 'chiara.esposito@example.it') AS chiara \gset
\o /dev/null
SELECT cdp.set_consent(:chiara, 'email_marketing', true, 'web');
\o
-- (the demo ages this first part of the history by 8 days, as if it had
--  happened then, so that "a week ago" has something to show)
UPDATE cdp.profile_changes SET at = at - interval '8 days' WHERE customer_id = :chiara;
UPDATE cdp.consent_log SET at = at - interval '8 days' WHERE customer_id = :chiara AND purpose = 'email_marketing';
UPDATE cdp.consents SET updated_at = updated_at - interval '8 days' WHERE customer_id = :chiara AND purpose = 'email_marketing';

\echo
\echo '== Today: the app (device id), the store (CRM record, a second order) and the newsletter =='
SELECT cdp.ingest(jsonb_build_object('type', 'screen', 'userId', 'chiara-88', 'name', 'Wishlist', 'messageId', 'demo50-4',
                                     'context', jsonb_build_object('device', jsonb_build_object('id', 'ios-7Q2'))), 'app') AS app;
SELECT cdp.upsert_record('store', 'loyalty-4411', '{"email": "chiara.esposito@example.it", "phone": "+39 081 555 0199"}',
                         '{"first_name": "Chiara", "last_name": "Esposito", "city": "Napoli", "interests": ["yoga"], "first_seen_channel": "store"}') = :chiara AS store_joins;
SELECT cdp.ingest(jsonb_build_object('type', 'track', 'userId', 'chiara-88', 'event', 'Order Completed', 'messageId', 'demo50-5',
                                     'properties', jsonb_build_object('order_id', 'S-9', 'products',
                                         jsonb_build_array(jsonb_build_object('price', 35, 'quantity', 2)))), 'web') AS store_order;
SELECT cdp.upsert_record('newsletter', 'sub-ce', '{"email": " CHIARA.ESPOSITO@example.it"}', '{"interests": ["running", "travel"]}') = :chiara AS newsletter_joins;
\o /dev/null
SELECT cdp.set_consent(:chiara, 'email_marketing', false, 'newsletter');
SELECT cdp.create_computed_trait('orders_30d', '{"aggregate": "count", "event": "Order Completed", "within": "30 days"}');
SELECT cdp.create_computed_trait('screens_seen', '{"aggregate": "distinct", "type": "screen"}');
\o
CALL cdp.refresh_computed_traits();

\echo
\echo '== The single customer view now =='
SELECT jsonb_pretty(cdp.customer_profile(:chiara)) AS customer_profile;
SELECT cdp.has_consent(:chiara, 'email_marketing') AS may_email, cdp.has_consent(:chiara, 'sms') AS may_sms_default;

\echo
\echo '== The same view as it stood a week ago (traits and consents from their histories) =='
\echo '   (analytics: from the sign-up message''s context.consent.categoryPreferences)'
SELECT jsonb_pretty(jsonb_build_object('traits', v -> 'traits', 'consents', v -> 'consents', 'as_of', v -> 'as_of'))
       AS customer_profile_a_week_ago
  FROM cdp.customer_profile(:chiara, now() - interval '7 days') v;

\echo
\echo '== Trait history: who said what =='
SELECT trait, old_value, new_value, source, at::date AS on_day FROM cdp.profile_changes
 WHERE customer_id = :chiara ORDER BY change_id;

\echo
\echo '== Right of access: what export_customer returns (sizes) =='
SELECT key, CASE jsonb_typeof(value) WHEN 'array' THEN jsonb_array_length(value)::text ELSE jsonb_typeof(value) END AS size
  FROM jsonb_each(cdp.export_customer(:chiara)) ORDER BY key;

\echo
\echo '== Right to be forgotten: one transaction, identifiers suppressed =='
SELECT jsonb_pretty(cdp.forget_customer(:chiara)) AS forget;
SELECT cdp.customer_profile(:chiara) AS profile_after;

\echo
\echo '== She is sent again by the web shop, e-mail spelt differently: reported as suppressed =='
SELECT cdp.ingest(jsonb_build_object('type', 'identify', 'userId', 'chiara-new', 'messageId', 'demo50-6',
                                     'traits', jsonb_build_object('email', 'CHIARA.ESPOSITO@example.it'))) AS reingest;
SELECT count(*) AS records_recreated FROM cdp.records r JOIN cdp.identifiers i USING (record_id)
 WHERE i.id_type = 'email' AND i.id_value = 'chiara.esposito@example.it';
