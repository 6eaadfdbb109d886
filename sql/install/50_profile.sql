-- Profiles, survivorship, computed traits, consent, privacy (DESIGN.md
-- section 5; reference: docs/profile.md).
--
-- cdp.profiles is maintained in the writer's transaction by the C++ write
-- paths (upsert_record, ingest, delete_record, block_identifier,
-- resolve_identities: src/pg/profile/maintain.cpp); computed traits whose
-- window moves with time are expired by CALL cdp.refresh_computed_traits().

-- ---------------------------------------------------------------- tables
CREATE TABLE cdp.trait_rules (
    trait text PRIMARY KEY CHECK (length(trait) BETWEEN 1 AND 200),
    rule  text NOT NULL DEFAULT 'most_recent'
          CHECK (rule IN ('most_recent', 'source_priority', 'most_frequent', 'first_seen', 'max', 'min', 'union'))
);
COMMENT ON TABLE cdp.trait_rules IS
    'Survivorship rule per trait (most_recent when absent): most_recent, source_priority, most_frequent, first_seen, max, min, union. A change applies to each profile at its next write; CALL cdp.rebuild_profiles() applies it to all.';

CREATE TABLE cdp.profiles (
    customer_id bigint PRIMARY KEY,
    traits      jsonb NOT NULL DEFAULT '{}',
    computed    jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE cdp.profiles IS
    'One row per customer: traits (survivorship over the records'' traits) and materialised computed traits, kept current in the writer''s transaction.';

CREATE TABLE cdp.profile_changes (
    change_id   bigserial,
    customer_id bigint NOT NULL,
    trait       text NOT NULL,
    old_value   jsonb,
    new_value   jsonb,
    source      text,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, change_id)
);
CREATE INDEX profile_changes_at_idx ON cdp.profile_changes (customer_id, at);
COMMENT ON TABLE cdp.profile_changes IS
    'Trait history: every change of a profile trait (NULL old_value: added, NULL new_value: removed), the source of the record that supplied the new value, and the transaction time.';
COMMENT ON SEQUENCE cdp.profile_changes_change_id_seq IS 'change_id generator (order of changes within one transaction).';

CREATE TABLE cdp.computed_traits (
    name       text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    definition jsonb NOT NULL,
    builtin    boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE cdp.computed_traits IS
    'Computed trait definitions (aggregates over events, materialised in profiles.computed). Change them with cdp.create_computed_trait / cdp.drop_computed_trait.';
INSERT INTO cdp.computed_traits (name, definition, builtin) VALUES
    ('rfm_frequency', '{"aggregate":"count","event":"Order Completed"}', true),
    ('rfm_monetary', '{"aggregate":"sum","event":"Order Completed","measure":"order_value"}', true),
    ('rfm_last_order_at', '{"aggregate":"last","event":"Order Completed"}', true),
    ('rfm_recency_days', '{"aggregate":"days_since","trait":"rfm_last_order_at"}', true);

CREATE TABLE cdp.computed_state (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_refresh_at timestamptz,
    rfm_cuts        float8[] CHECK (rfm_cuts IS NULL OR cardinality(rfm_cuts) = 12)
);
INSERT INTO cdp.computed_state DEFAULT VALUES;
COMMENT ON TABLE cdp.computed_state IS
    'State of cdp.refresh_computed_traits(): the clock of the last refresh and the RFM quintile cut points (recency 1-4, frequency 1-4, monetary 1-4).';

CREATE TABLE cdp.consents (
    customer_id bigint NOT NULL,
    purpose     text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 200),
    granted     boolean NOT NULL,
    source      text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, purpose)
);
COMMENT ON TABLE cdp.consents IS 'Current consent decision per customer and purpose (latest wins); history in cdp.consent_log.';

CREATE TABLE cdp.consent_log (
    log_id      bigserial,
    customer_id bigint NOT NULL,
    purpose     text NOT NULL,
    granted     boolean NOT NULL,
    source      text,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, log_id)
);
COMMENT ON TABLE cdp.consent_log IS
    'Every consent decision with its source and time, under the customer it was made for (a merged-away id keeps its history; customer_profile(as_of) reads it through customer_aliases); a split copies the history to each new part.';
COMMENT ON SEQUENCE cdp.consent_log_log_id_seq IS 'log_id generator.';

CREATE TABLE cdp.suppressions (
    id_type    text NOT NULL,
    hash       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id_type, hash)
);
COMMENT ON TABLE cdp.suppressions IS
    'Salted SHA-256 hashes of the identifiers of forgotten customers: later ingest or upsert of the same (normalised) value does not re-create the person.';

-- The salt: one per database, readable only by the extension's owner
-- (SECURITY DEFINER functions); nothing is granted on it.
CREATE TABLE cdp.suppression_salt (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    salt      bytea NOT NULL
);
INSERT INTO cdp.suppression_salt (salt)
    SELECT sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8'));
COMMENT ON TABLE cdp.suppression_salt IS 'Salt of cdp.suppressions hashes (per database; not readable by the cdp roles).';
-- pg_dump keeps the salt (else restored suppressions would never match); on
-- restore CREATE EXTENSION has made a fresh one, which the dumped row replaces.
CREATE FUNCTION cdp._suppression_salt_restore() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM cdp.suppression_salt) THEN
    UPDATE cdp.suppression_salt SET salt = NEW.salt;
    RETURN NULL;
  END IF;
  RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION cdp._suppression_salt_restore() FROM PUBLIC;
COMMENT ON FUNCTION cdp._suppression_salt_restore() IS
    'Trigger of cdp.suppression_salt: a restored salt replaces the one CREATE EXTENSION made.';
CREATE TRIGGER suppression_salt_restore BEFORE INSERT ON cdp.suppression_salt
    FOR EACH ROW EXECUTE FUNCTION cdp._suppression_salt_restore();
COMMENT ON TRIGGER suppression_salt_restore ON cdp.suppression_salt IS 'Keeps the dumped salt across pg_dump/pg_restore.';

-- Identify events give records their event time (survivorship by time).
CREATE INDEX events_identify_idx ON cdp.events (record_id, occurred_at) WHERE type = 'identify';
COMMENT ON INDEX cdp.events_identify_idx IS 'Event time of records (identify messages) for survivorship.';
-- Window expiry finds the events that left a window since the last refresh.
CREATE INDEX events_occurred_brin ON cdp.events USING brin (occurred_at);
COMMENT ON INDEX cdp.events_occurred_brin IS 'Time ranges of events for cdp.refresh_computed_traits().';

SELECT pg_catalog.pg_extension_config_dump('cdp.trait_rules', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.profiles', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.profile_changes', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.profile_changes_change_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.computed_traits', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('cdp.consents', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.consent_log', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.consent_log_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.suppressions', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.suppression_salt', '');

GRANT SELECT ON cdp.trait_rules, cdp.profiles, cdp.profile_changes, cdp.computed_traits, cdp.computed_state,
    cdp.consents, cdp.consent_log TO cdp_reader;
GRANT INSERT, UPDATE, DELETE ON cdp.trait_rules TO cdp_admin;

-- ---------------------------------------------------------------- helpers
CREATE FUNCTION cdp._clock() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN coalesce(nullif(current_setting('cdp.test_now', true), '')::timestamptz, now());
REVOKE ALL ON FUNCTION cdp._clock() FROM PUBLIC;
COMMENT ON FUNCTION cdp._clock() IS 'The time computed traits treat as now: cdp.test_now when set (tests), else the transaction time.';

CREATE FUNCTION cdp._order_value(properties jsonb) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN CASE
        WHEN jsonb_typeof(properties -> 'revenue') = 'number' THEN (properties -> 'revenue')::numeric
        WHEN jsonb_typeof(properties -> 'total') = 'number' THEN (properties -> 'total')::numeric
        WHEN jsonb_typeof(properties -> 'products') = 'array' THEN
            (SELECT sum((p -> 'price')::numeric *
                        CASE WHEN jsonb_typeof(p -> 'quantity') = 'number' THEN (p -> 'quantity')::numeric ELSE 1 END)
               FROM jsonb_array_elements(properties -> 'products') AS p
              WHERE jsonb_typeof(p -> 'price') = 'number')
    END;
REVOKE ALL ON FUNCTION cdp._order_value(jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cdp._order_value(jsonb) IS
    'Order value of a Segment e-commerce event: properties.revenue, else total, else the sum of products[].price x quantity (quantity 1 when absent); NULL when none. (Computed traits with "measure": "order_value" inline the same expression.)';

CREATE FUNCTION cdp.rfm_segment(r int, f int) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_rfm_segment'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION cdp.rfm_segment(integer,integer) FROM PUBLIC;
COMMENT ON FUNCTION cdp.rfm_segment(int, int) IS
    'RFM segment name of recency score r and frequency score f (1-5): Champions, Loyal Customers, Potential Loyalists, New Customers, Promising, Need Attention, About to Sleep, At Risk, Can''t Lose Them, Hibernating, Lost.';
GRANT EXECUTE ON FUNCTION cdp.rfm_segment(int, int) TO cdp_reader;

CREATE FUNCTION cdp._rfm_scores(j jsonb, cuts float8[]) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_rfm_scores'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
REVOKE ALL ON FUNCTION cdp._rfm_scores(jsonb,double precision[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._rfm_scores(jsonb, float8[]) IS
    'RFM quintile scores (rfm_r, rfm_f, rfm_m) and rfm_segment of computed traits j against the cut points of cdp.computed_state.rfm_cuts.';

-- ---------------------------------------------------------------- computed traits
CREATE FUNCTION cdp.create_computed_trait(name text, definition jsonb) RETURNS void
    AS 'MODULE_PATHNAME', 'cdp_create_computed_trait'
    LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION cdp.create_computed_trait(text,jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cdp.create_computed_trait(text, jsonb) IS
    'Creates or replaces a computed trait (aggregate over events, see docs/profile.md) and computes it for every profile; a bad definition is refused with the JSON path of the bad part.';
GRANT EXECUTE ON FUNCTION cdp.create_computed_trait(text, jsonb) TO cdp_admin;

CREATE FUNCTION cdp.drop_computed_trait(name text) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dep text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM cdp.computed_traits t WHERE t.name = drop_computed_trait.name) THEN
        RAISE EXCEPTION 'computed trait "%" does not exist', name USING ERRCODE = 'undefined_object';
    END IF;
    IF EXISTS (SELECT 1 FROM cdp.computed_traits t WHERE t.name = drop_computed_trait.name AND t.builtin) THEN
        RAISE EXCEPTION 'computed trait "%" is built in', name USING ERRCODE = 'feature_not_supported';
    END IF;
    SELECT t.name INTO dep FROM cdp.computed_traits t WHERE t.definition ->> 'trait' = drop_computed_trait.name LIMIT 1;
    IF dep IS NOT NULL THEN
        RAISE EXCEPTION 'computed trait "%" is read by "%"', name, dep USING ERRCODE = 'dependent_objects_still_exist';
    END IF;
    DELETE FROM cdp.computed_traits t WHERE t.name = drop_computed_trait.name;
    UPDATE cdp.profiles p SET computed = p.computed - drop_computed_trait.name, updated_at = now()
     WHERE p.computed ? drop_computed_trait.name;
END
$$;
REVOKE ALL ON FUNCTION cdp.drop_computed_trait(text) FROM PUBLIC;
COMMENT ON FUNCTION cdp.drop_computed_trait(text) IS 'Drops a computed trait and removes it from every profile (built-ins cannot be dropped).';
GRANT EXECUTE ON FUNCTION cdp.drop_computed_trait(text) TO cdp_admin;

CREATE PROCEDURE cdp.refresh_computed_traits(full_refresh boolean DEFAULT false)
    AS 'MODULE_PATHNAME', 'cdp_refresh_computed_traits'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON PROCEDURE cdp.refresh_computed_traits(boolean) FROM PUBLIC;
COMMENT ON PROCEDURE cdp.refresh_computed_traits(boolean) IS
    'Expires computed-trait windows: recomputes the customers with events that left a window since the last refresh, days_since traits and RFM quintiles (full_refresh: every computed trait of every profile). pg_cron-schedulable.';
GRANT EXECUTE ON PROCEDURE cdp.refresh_computed_traits(boolean) TO cdp_admin;

CREATE PROCEDURE cdp.rebuild_profiles()
    AS 'MODULE_PATHNAME', 'cdp_rebuild_profiles'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON PROCEDURE cdp.rebuild_profiles() FROM PUBLIC;
COMMENT ON PROCEDURE cdp.rebuild_profiles() IS
    'Recomputes every profile from its records (after a change of cdp.trait_rules or a bulk load); changes are logged in cdp.profile_changes.';
GRANT EXECUTE ON PROCEDURE cdp.rebuild_profiles() TO cdp_admin;

-- ---------------------------------------------------------------- consent
CREATE FUNCTION cdp._current_customer(customer_id bigint) RETURNS bigint
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN coalesce((SELECT a.customer_id FROM cdp.customer_aliases a WHERE a.old_id = _current_customer.customer_id),
                    _current_customer.customer_id);
REVOKE ALL ON FUNCTION cdp._current_customer(bigint) FROM PUBLIC;
COMMENT ON FUNCTION cdp._current_customer(bigint) IS 'The customer id a possibly merged-away id resolves to (itself when not merged).';

CREATE FUNCTION cdp.set_consent(customer_id bigint, purpose text, granted boolean, source text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c bigint := cdp._current_customer(set_consent.customer_id);
BEGIN
    IF customer_id IS NULL OR purpose IS NULL OR granted IS NULL THEN
        RAISE EXCEPTION 'cdp.set_consent: customer_id, purpose and granted must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF length(purpose) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'cdp.set_consent: purpose must have 1 to 200 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cdp.customers k WHERE k.customer_id = c) THEN
        RAISE EXCEPTION 'cdp.set_consent: customer % does not exist', set_consent.customer_id
            USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO cdp.consent_log (customer_id, purpose, granted, source) VALUES (c, purpose, granted, source);
    INSERT INTO cdp.consents AS k (customer_id, purpose, granted, source, updated_at)
        VALUES (c, purpose, granted, source, now())
        ON CONFLICT ON CONSTRAINT consents_pkey
        DO UPDATE SET granted = excluded.granted, source = excluded.source, updated_at = excluded.updated_at;
    UPDATE cdp.profiles p SET updated_at = now() WHERE p.customer_id = c;
END
$$;
REVOKE ALL ON FUNCTION cdp.set_consent(bigint,text,boolean,text) FROM PUBLIC;
COMMENT ON FUNCTION cdp.set_consent(bigint, text, boolean, text) IS
    'Records a consent decision for a purpose (latest wins; history in cdp.consent_log); merged-away ids resolve to their customer.';
GRANT EXECUTE ON FUNCTION cdp.set_consent(bigint, text, boolean, text) TO cdp_writer;

CREATE FUNCTION cdp.has_consent(customer_id bigint, purpose text) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    RETURN coalesce((SELECT k.granted FROM cdp.consents k
                      WHERE k.customer_id = cdp._current_customer(has_consent.customer_id) AND k.purpose = has_consent.purpose),
                    coalesce(current_setting('cdp.consent_default', true), 'off')::boolean);
REVOKE ALL ON FUNCTION cdp.has_consent(bigint,text) FROM PUBLIC;
COMMENT ON FUNCTION cdp.has_consent(bigint, text) IS
    'The latest consent decision of the customer for the purpose; cdp.consent_default when never decided.';
GRANT EXECUTE ON FUNCTION cdp.has_consent(bigint, text) TO cdp_reader;

-- ---------------------------------------------------------------- single customer view
CREATE FUNCTION cdp.customer_profile(customer_id bigint, as_of timestamptz DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c bigint;
    p record;
    v_traits jsonb;
    v_consents jsonb;
    v_segments jsonb := '[]';
    v_ids jsonb;
    v_sources jsonb;
    v_first timestamptz;
    v_last timestamptz;
BEGIN
    IF customer_profile.customer_id IS NULL THEN
        RETURN NULL;
    END IF;
    c := cdp._current_customer(customer_profile.customer_id);
    SELECT * INTO p FROM cdp.profiles x WHERE x.customer_id = c;
    IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM cdp.customers k WHERE k.customer_id = c) THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(jsonb_object_agg(t.id_type, t.vals ORDER BY t.priority, t.id_type), '{}') INTO v_ids
      FROM (SELECT i.id_type, min(it.priority) AS priority, jsonb_agg(DISTINCT i.id_value) AS vals
              FROM cdp.records r JOIN cdp.identifiers i ON i.record_id = r.record_id
              JOIN cdp.identifier_types it ON it.id_type = i.id_type
             WHERE r.customer_id = c GROUP BY i.id_type) t;
    SELECT coalesce(jsonb_agg(jsonb_build_object('source', s.source, 'records', s.n, 'first_seen', s.f, 'last_seen', s.l)
                              ORDER BY s.source), '[]'),
           min(s.f), max(s.l)
      INTO v_sources, v_first, v_last
      FROM (SELECT r.source, count(*) AS n,
                   least(min(r.created_at), min(ev.f)) AS f, greatest(max(r.updated_at), max(ev.l)) AS l
              FROM cdp.records r
              LEFT JOIN LATERAL (SELECT min(e.occurred_at) AS f, max(e.occurred_at) AS l
                                   FROM cdp.events e WHERE e.record_id = r.record_id) ev ON true
             WHERE r.customer_id = c GROUP BY r.source) s;
    IF as_of IS NULL THEN
        v_traits := coalesce(p.traits, '{}');
        SELECT coalesce(jsonb_object_agg(k.purpose, jsonb_build_object('granted', k.granted, 'source', k.source,
                                                                      'at', k.updated_at) ORDER BY k.purpose), '{}')
          INTO v_consents FROM cdp.consents k WHERE k.customer_id = c;
        IF to_regclass('cdp.segment_members') IS NOT NULL AND to_regclass('cdp.segments') IS NOT NULL THEN
            EXECUTE 'SELECT coalesce(jsonb_agg(s.name ORDER BY s.name), ''[]'') FROM cdp.segment_members m '
                    'JOIN cdp.segments s ON s.segment_id = m.segment_id WHERE m.customer_id = $1'
              INTO v_segments USING c;
        END IF;
    ELSE
        SELECT coalesce(jsonb_object_agg(h.trait, h.new_value) FILTER (WHERE h.new_value IS NOT NULL), '{}')
          INTO v_traits
          FROM (SELECT DISTINCT ON (x.trait) x.trait, x.new_value FROM cdp.profile_changes x
                 WHERE x.customer_id = c AND x.at <= as_of ORDER BY x.trait, x.change_id DESC) h;
        SELECT coalesce(jsonb_object_agg(h.purpose, jsonb_build_object('granted', h.granted, 'source', h.source,
                                                                      'at', h.at) ORDER BY h.purpose), '{}')
          INTO v_consents
          FROM (SELECT DISTINCT ON (l.purpose) l.purpose, l.granted, l.source, l.at FROM cdp.consent_log l
                 WHERE (l.customer_id = c OR l.customer_id IN (SELECT a.old_id FROM cdp.customer_aliases a
                                                                WHERE a.customer_id = c AND a.at <= as_of))
                   AND l.at <= as_of ORDER BY l.purpose, l.at DESC, l.log_id DESC) h;
        IF to_regclass('cdp.segment_membership_log') IS NOT NULL AND to_regclass('cdp.segments') IS NOT NULL THEN
            EXECUTE 'SELECT coalesce(jsonb_agg(s.name ORDER BY s.name), ''[]'') FROM ('
                    'SELECT DISTINCT ON (l.segment_id) l.segment_id, l.change FROM cdp.segment_membership_log l '
                    'WHERE l.customer_id = $1 AND l.at <= $2 ORDER BY l.segment_id, l.at DESC) m '
                    'JOIN cdp.segments s ON s.segment_id = m.segment_id WHERE m.change = ''enter'''
              INTO v_segments USING c, as_of;
        END IF;
    END IF;
    RETURN jsonb_build_object(
        'customer_id', c,
        'merged_ids', (SELECT coalesce(jsonb_agg(a.old_id ORDER BY a.old_id), '[]') FROM cdp.customer_aliases a
                        WHERE a.customer_id = c),
        'identifiers', v_ids,
        'traits', v_traits,
        'computed', CASE WHEN as_of IS NULL THEN coalesce(p.computed, '{}') END,
        'consents', v_consents,
        'segments', v_segments,
        'sources', v_sources,
        'first_seen', v_first,
        'last_seen', v_last,
        'updated_at', p.updated_at,
        'as_of', as_of);
END
$$;
REVOKE ALL ON FUNCTION cdp.customer_profile(bigint,timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION cdp.customer_profile(bigint, timestamptz) IS
    'Single customer view (identifiers by type, traits, computed traits, consents, segments, sources, first/last seen); follows aliases; NULL for an unknown id. With as_of: traits, consents and segment memberships from their histories as they stood then (computed: null).';
GRANT EXECUTE ON FUNCTION cdp.customer_profile(bigint, timestamptz) TO cdp_reader;

-- ---------------------------------------------------------------- privacy
CREATE FUNCTION cdp._suppression_hash(id_type text, id_value text) RETURNS bytea
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN sha256((SELECT s.salt FROM cdp.suppression_salt s) || convert_to(id_type || E'\n' || id_value, 'UTF8'));
REVOKE ALL ON FUNCTION cdp._suppression_hash(text,text) FROM PUBLIC;
COMMENT ON FUNCTION cdp._suppression_hash(text, text) IS 'Salted SHA-256 of a normalised identifier (for cdp.suppressions).';

CREATE FUNCTION cdp._normalize_identifier(id_type text, id_value text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_identifier'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION cdp._normalize_identifier(text,text) FROM PUBLIC;
COMMENT ON FUNCTION cdp._normalize_identifier(text, text) IS
    'An identifier value normalised as the identity graph stores it (NULL when unusable; ERROR for an unknown type).';

CREATE FUNCTION cdp.forget_customer(customer_id bigint) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c bigint := cdp._current_customer(forget_customer.customer_id);
    ids bigint[];
    rids bigint[];
    pii text[];
    t record;
    n bigint;
    deleted jsonb := '{}';
    n_supp bigint;
BEGIN
    ids := ARRAY[c] || ARRAY(SELECT a.old_id FROM cdp.customer_aliases a WHERE a.customer_id = c);
    rids := ARRAY(SELECT r.record_id FROM cdp.records r WHERE r.customer_id = c);
    IF cardinality(rids) = 0 AND NOT EXISTS (SELECT 1 FROM cdp.profiles p WHERE p.customer_id = ANY (ids))
       AND NOT EXISTS (SELECT 1 FROM cdp.customers k WHERE k.customer_id = c) THEN
        RETURN jsonb_build_object('forgotten', false, 'customer_id', forget_customer.customer_id);
    END IF;
    -- Serialise with writers of the graph (upsert, ingest, merges).
    PERFORM 1 FROM cdp.customers k WHERE k.customer_id = c FOR UPDATE;
    -- Destinations holding the customer get an exit carrying only a
    -- pseudonymous key (activation, sql/install/70_activation.sql).
    IF to_regprocedure('cdp._activation_forget(bigint[])') IS NOT NULL THEN
        PERFORM cdp._activation_forget(ids);
    END IF;
    INSERT INTO cdp.suppressions (id_type, hash)
        SELECT DISTINCT i.id_type, cdp._suppression_hash(i.id_type, i.id_value)
          FROM cdp.identifiers i WHERE i.record_id = ANY (rids)
        ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n_supp = ROW_COUNT;
    -- The person's identifier values and record keys, to scrub logs that do
    -- not carry the customer id.
    pii := ARRAY(SELECT DISTINCT v FROM (
                   SELECT i.id_value AS v FROM cdp.identifiers i WHERE i.record_id = ANY (rids)
                   UNION SELECT r.source_key FROM cdp.records r WHERE r.record_id = ANY (rids)) x
                 WHERE length(v) >= 3);
    -- Every cdp table with a record_id column (events, identifiers, logs, and
    -- tables added later), then every table with a customer_id column.
    FOR t IN SELECT cl.relname, a.attname FROM pg_class cl
               JOIN pg_namespace ns ON ns.oid = cl.relnamespace AND ns.nspname = 'cdp'
               JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
              WHERE cl.relkind IN ('r', 'p') AND a.attname IN ('record_id', 'customer_id', 'merged_id', 'old_id')
                AND a.atttypid = 'int8'::regtype AND NOT (cl.relname = 'records' AND a.attname = 'customer_id')
              ORDER BY (a.attname = 'record_id') DESC, cl.relname = 'records', cl.relname, a.attname LOOP
        IF t.attname = 'record_id' THEN
            EXECUTE format('DELETE FROM cdp.%I WHERE %I = ANY ($1)', t.relname, t.attname) USING rids;
        ELSE
            EXECUTE format('DELETE FROM cdp.%I WHERE %I = ANY ($1)', t.relname, t.attname) USING ids;
        END IF;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            deleted := deleted || jsonb_build_object(t.relname, coalesce((deleted ->> t.relname)::bigint, 0) + n);
        END IF;
    END LOOP;
    -- Logs that hold the values without the ids: merge evidence of refused
    -- links and rejected messages.
    IF cardinality(pii) > 0 THEN
        DELETE FROM cdp.merge_log m WHERE m.id_value = ANY (pii);
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            deleted := deleted || jsonb_build_object('merge_log', coalesce((deleted ->> 'merge_log')::bigint, 0) + n);
        END IF;
        -- A rejected message holding a value in any spelling the normalisers
        -- map to it (or containing it verbatim).
        DELETE FROM cdp.rejected_messages m
         WHERE EXISTS (SELECT 1 FROM unnest(pii) v WHERE strpos(lower(m.payload::text), lower(v)) > 0)
            OR EXISTS (SELECT 1 FROM jsonb_path_query(m.payload, 'strict $.**') s(j)
                        WHERE jsonb_typeof(s.j) = 'string'
                          AND (cdp.normalize_email(s.j #>> '{}') = ANY (pii)
                               OR cdp.normalize_phone(s.j #>> '{}') = ANY (pii)));
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            deleted := deleted || jsonb_build_object('rejected_messages', n);
        END IF;
    END IF;
    RETURN jsonb_build_object('forgotten', true, 'customer_id', c, 'records', cardinality(rids),
                              'identifiers_suppressed', n_supp, 'deleted', deleted);
END
$$;
REVOKE ALL ON FUNCTION cdp.forget_customer(bigint) FROM PUBLIC;
COMMENT ON FUNCTION cdp.forget_customer(bigint) IS
    'Right to be forgotten, in one transaction: deletes every row of every cdp table keyed by the customer''s ids or records (found through the catalog), scrubs merge evidence and rejected messages holding its values, and suppresses its identifiers (salted hashes in cdp.suppressions).';
GRANT EXECUTE ON FUNCTION cdp.forget_customer(bigint) TO cdp_admin;

CREATE FUNCTION cdp.unsuppress(id_type text, value text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v text := cdp._normalize_identifier(id_type, value);
    n bigint;
BEGIN
    IF v IS NULL THEN
        RAISE EXCEPTION 'value "%" is not a usable %', value, id_type USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM cdp.suppressions s WHERE s.id_type = unsuppress.id_type AND s.hash = cdp._suppression_hash(unsuppress.id_type, v);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n > 0;
END
$$;
REVOKE ALL ON FUNCTION cdp.unsuppress(text,text) FROM PUBLIC;
COMMENT ON FUNCTION cdp.unsuppress(text, text) IS
    'Lets a forgotten identifier (any spelling that normalises to it) be ingested again; true when it was suppressed.';
GRANT EXECUTE ON FUNCTION cdp.unsuppress(text, text) TO cdp_admin;

CREATE FUNCTION cdp.export_customer(customer_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c bigint := cdp._current_customer(export_customer.customer_id);
    ids bigint[];
    rids bigint[];
    t record;
    rows jsonb;
    tables jsonb := '{}';
BEGIN
    IF NOT EXISTS (SELECT 1 FROM cdp.customers k WHERE k.customer_id = c)
       AND NOT EXISTS (SELECT 1 FROM cdp.profiles p WHERE p.customer_id = c) THEN
        RETURN NULL;
    END IF;
    ids := ARRAY[c] || ARRAY(SELECT a.old_id FROM cdp.customer_aliases a WHERE a.customer_id = c);
    rids := ARRAY(SELECT r.record_id FROM cdp.records r WHERE r.customer_id = c);
    -- Every other cdp table keyed by the customer or its records (found
    -- through the catalog, so tables added later are exported too).
    FOR t IN SELECT cl.relname, a.attname FROM pg_class cl
               JOIN pg_namespace ns ON ns.oid = cl.relnamespace AND ns.nspname = 'cdp'
               JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
              WHERE cl.relkind IN ('r', 'p') AND a.attname IN ('record_id', 'customer_id')
                AND a.atttypid = 'int8'::regtype
                AND cl.relname NOT IN ('records', 'identifiers', 'events', 'profiles', 'consents', 'consent_log',
                                       'profile_changes', 'merge_log', 'customers', 'customer_aliases')
              ORDER BY cl.relname, a.attname LOOP
        EXECUTE format('SELECT jsonb_agg(to_jsonb(x)) FROM cdp.%I x WHERE x.%I = ANY ($1)', t.relname, t.attname)
           INTO rows USING CASE WHEN t.attname = 'record_id' THEN rids ELSE ids END;
        IF rows IS NOT NULL THEN
            tables := tables || jsonb_build_object(t.relname, rows);
        END IF;
    END LOOP;
    RETURN jsonb_build_object(
        'customer_id', c,
        'exported_at', now(),
        'profile', cdp.customer_profile(c),
        'records', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'record_id', r.record_id, 'source', r.source, 'source_key', r.source_key, 'traits', r.traits,
                        'created_at', r.created_at, 'updated_at', r.updated_at,
                        'identifiers', (SELECT coalesce(jsonb_agg(jsonb_build_object('id_type', i.id_type, 'id_value', i.id_value)
                                                                  ORDER BY i.id_type, i.id_value), '[]')
                                          FROM cdp.identifiers i WHERE i.record_id = r.record_id))
                        ORDER BY r.record_id), '[]') FROM cdp.records r WHERE r.record_id = ANY (rids)),
        'events', (SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.occurred_at, e.event_id), '[]')
                     FROM cdp.events e WHERE e.record_id = ANY (rids)),
        'consents', (SELECT coalesce(jsonb_agg(to_jsonb(k) ORDER BY k.purpose), '[]') FROM cdp.consents k
                      WHERE k.customer_id = ANY (ids)),
        'consent_history', (SELECT coalesce(jsonb_agg(to_jsonb(l) ORDER BY l.at, l.log_id), '[]') FROM cdp.consent_log l
                             WHERE l.customer_id = ANY (ids)),
        'trait_history', (SELECT coalesce(jsonb_agg(to_jsonb(h) ORDER BY h.at, h.change_id), '[]') FROM cdp.profile_changes h
                           WHERE h.customer_id = ANY (ids)),
        'merge_evidence', (SELECT coalesce(jsonb_agg(to_jsonb(m) ORDER BY m.merge_id), '[]') FROM cdp.merge_log m
                            WHERE m.customer_id = ANY (ids) OR m.merged_id = ANY (ids) OR m.record_id = ANY (rids)),
        'merged_ids', to_jsonb(ids[2:]),
        'other', tables);
END
$$;
REVOKE ALL ON FUNCTION cdp.export_customer(bigint) FROM PUBLIC;
COMMENT ON FUNCTION cdp.export_customer(bigint) IS
    'Right of access: everything held about the customer as jsonb (profile, records with traits and identifiers, events, consents and their history, trait history, merge evidence, rows of any other cdp table keyed by it); NULL for an unknown id.';
GRANT EXECUTE ON FUNCTION cdp.export_customer(bigint) TO cdp_admin;

-- Settings (src/pg/profile/gucs.cpp): cdp.consent_default decides the answer
-- for a purpose the customer never decided on (privacy policy) and
-- cdp.maintain_profiles may switch profile maintenance off for a bulk load:
-- PGC_SUSET, settable by superusers and cdp_admin only.
GRANT SET ON PARAMETER cdp.consent_default TO cdp_admin;
GRANT SET ON PARAMETER cdp.maintain_profiles TO cdp_admin;
