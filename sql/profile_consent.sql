-- Consent (set_consent / has_consent / history, merge and split behaviour)
-- and cdp.customer_profile, including as_of: the view captured after each
-- step equals customer_profile(id, moment) asked at the end.
-- Sources are prefixed 'pk_'.
\set SHOW_CONTEXT never
CREATE TABLE pk_snap (step int, at timestamptz, customer_id bigint, view jsonb);
CREATE PROCEDURE pk_capture(step int, c bigint) LANGUAGE sql AS $$
    INSERT INTO pk_snap SELECT step, clock_timestamp(), c, cdp.customer_profile(c);
$$;

SELECT cdp.upsert_record('pk_web', 'v1', '{"email": "pk.lia@example.org"}', '{"first_name": "Lia"}') AS lia \gset
SELECT cdp.upsert_record('pk_app', 'd1', '{"phone": "+39 348 000 1111"}', '{"city": "Pisa"}') AS dev \gset
CALL pk_capture(1, :lia);
-- 1. Decisions: latest wins, history kept; never decided -> cdp.consent_default.
SELECT cdp.set_consent(:lia, 'email_marketing', true, 'pk_web');
SELECT cdp.set_consent(:lia, 'analytics', false, 'pk_web');
CALL pk_capture(2, :lia);
SELECT cdp.set_consent(:lia, 'email_marketing', false, 'pk_support');
CALL pk_capture(3, :lia);
SELECT cdp.has_consent(:lia, 'email_marketing') AS email, cdp.has_consent(:lia, 'analytics') AS analytics,
       cdp.has_consent(:lia, 'sms') AS sms_default_off;
SET cdp.consent_default = on;
SELECT cdp.has_consent(:lia, 'sms') AS sms_default_on, cdp.has_consent(:lia, 'analytics') AS analytics_still_off;
RESET cdp.consent_default;
SELECT purpose, granted, source FROM cdp.consent_log WHERE customer_id = :lia ORDER BY log_id;
SELECT cdp.set_consent(-1, 'email_marketing', true);
SELECT cdp.set_consent(:lia, '', true);
-- 2. Merge: the most recent decision of either part wins, per purpose.
SELECT cdp.set_consent(:dev, 'email_marketing', true, 'pk_app');   -- newer than lia's refusal
SELECT cdp.set_consent(:dev, 'analytics', true, 'pk_app');
SELECT cdp.set_consent(:lia, 'analytics', false, 'pk_web');        -- lia's is newer here
SELECT cdp.upsert_record('pk_app', 'd1', '{"phone": "+39 348 000 1111", "email": "pk.lia@example.org"}') = :lia AS merged;
CALL pk_capture(4, :lia);
SELECT purpose, granted, source FROM cdp.consents WHERE customer_id = :lia ORDER BY purpose;
SELECT count(*) AS dev_rows_left FROM cdp.consents WHERE customer_id = :dev;
SELECT cdp.has_consent(:dev, 'email_marketing') AS via_alias;
-- 3. Split: each part keeps the decisions made before the split.
SELECT cdp.upsert_record('pk_app', 'd1', '{"phone": "+39 348 000 1111"}') AS dev2 \gset
SELECT :dev2 <> :lia AS split;
SELECT purpose, granted FROM cdp.consents WHERE customer_id = :dev2 ORDER BY purpose;
SELECT cdp.set_consent(:dev2, 'analytics', true, 'pk_app');
SELECT cdp.has_consent(:dev2, 'analytics') AS part, cdp.has_consent(:lia, 'analytics') AS other_part_unchanged;
CALL pk_capture(5, :lia);
CALL pk_capture(5, :dev2);
SELECT cdp.upsert_record('pk_web', 'v1', '{"email": "pk.lia@example.org"}', '{"first_name": "Lya", "job": "nurse"}') = :lia AS same;
CALL pk_capture(6, :lia);

-- 4. The view: identifiers by type, traits, computed, consents, segments,
--    sources, first/last seen; aliases followed; NULL for unknown ids.
SELECT v ->> 'customer_id' = :'lia' AS id, v -> 'identifiers' AS identifiers, v -> 'traits' AS traits,
       v -> 'consents' ? 'email_marketing' AS consents, v -> 'segments' AS segments,
       jsonb_array_length(v -> 'sources') AS sources, (v ->> 'first_seen')::timestamptz <= (v ->> 'last_seen')::timestamptz AS seen,
       v -> 'computed' ? 'rfm_frequency' AS computed
  FROM cdp.customer_profile(:lia) v;
SELECT cdp.customer_profile(:dev) ->> 'customer_id' = :'lia' AS follows_alias,
       cdp.customer_profile(-42) IS NULL AS unknown_is_null, cdp.customer_profile(NULL) IS NULL AS null_is_null;

-- 5. as_of: every captured view equals the view asked for that moment now
--    (traits and consents; computed is not historised).
SELECT s.step, s.customer_id = :lia AS lia,
       (s.view -> 'traits') = (h.v -> 'traits') AS traits_equal,
       (SELECT jsonb_object_agg(k, x.value - 'at') FROM jsonb_each(s.view -> 'consents') x(k, value))
         IS NOT DISTINCT FROM
       (SELECT jsonb_object_agg(k, x.value - 'at') FROM jsonb_each(h.v -> 'consents') x(k, value)) AS consents_equal
  FROM pk_snap s, LATERAL (SELECT cdp.customer_profile(s.customer_id, s.at) AS v) h
 ORDER BY s.step, s.customer_id = :lia DESC;
-- before anything was known: empty traits and consents
SELECT v -> 'traits' AS traits, v -> 'consents' AS consents
  FROM cdp.customer_profile(:lia, timestamptz '2000-01-01') v;

-- 6. Ingest: Segment consent (context.consent.categoryPreferences) becomes
--    decisions at the message time; a replay or an older message changes nothing.
SELECT cdp.ingest('{"type": "identify", "userId": "pk-user-5", "traits": {"email": "pk.lia@example.org"}, "messageId": "pk-c1",
    "timestamp": "2026-03-01T10:00:00Z",
    "context": {"consent": {"categoryPreferences": {"pk_ads": false, "pk_analytics": true, "pk_bad": "yes"}}}}', 'pk_web') ->> 'accepted' AS accepted;
SELECT purpose, granted, source, updated_at FROM cdp.consents WHERE customer_id = :lia AND purpose LIKE 'pk\_%' ORDER BY purpose;
SELECT cdp.ingest('{"type": "track", "userId": "pk-user-5", "event": "X", "messageId": "pk-c2", "timestamp": "2026-02-01T10:00:00Z",
    "context": {"consent": {"categoryPreferences": {"pk_ads": true}}}}', 'pk_web') ->> 'accepted' AS older_accepted;
SELECT cdp.ingest('{"type": "identify", "userId": "pk-user-5", "traits": {"email": "pk.lia@example.org"}, "messageId": "pk-c1",
    "timestamp": "2026-03-01T10:00:00Z",
    "context": {"consent": {"categoryPreferences": {"pk_ads": false, "pk_analytics": true}}}}', 'pk_web') ->> 'duplicates' AS replayed;
SELECT cdp.has_consent(:lia, 'pk_ads') AS ads, cdp.has_consent(:lia, 'pk_analytics') AS analytics;
SELECT purpose, granted, at FROM cdp.consent_log WHERE customer_id = :lia AND purpose LIKE 'pk\_%' ORDER BY at, purpose;
