-- Activation (DESIGN.md section 8; reference: docs/activation.md).
--
-- A destination is a consent-aware feed of one segment's changes to one
-- tool.  cdp.destination_members holds what the destination currently has
-- (customer, pseudonymous key, payload); one reconciliation function
-- (cdp._activation_reconcile) compares it with what it should have (segment
-- member, profile, consent for the destination's purpose, the listed fields)
-- and appends enter / exit / update rows to cdp.destination_log in the same
-- transaction.  It is run by triggers on cdp.segment_membership_log (segment
-- refresh), cdp.consents (set_consent, ingest, merges) and cdp.profiles
-- (profile maintenance), by cdp.create_destination / alter_destination, and
-- cdp.forget_customer emits a PII-free exit through cdp._activation_forget.
-- Each destination numbers its changes with its own counter
-- (cdp.destinations.last_seq) under the destination row's lock, so seq order
-- is commit order.

-- ---------------------------------------------------------------- consent catalogue
CREATE TABLE cdp.consent_purposes (
    purpose     text PRIMARY KEY CHECK (length(purpose) BETWEEN 1 AND 200),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON cdp.consent_purposes FROM PUBLIC;
GRANT SELECT ON cdp.consent_purposes TO cdp_reader;
GRANT INSERT, UPDATE, DELETE ON cdp.consent_purposes TO cdp_admin;
COMMENT ON TABLE cdp.consent_purposes IS
    'The consent catalogue: purposes a destination may name. Every purpose a consent decision was recorded for is added automatically; cdp_admin adds others (with a description).';
INSERT INTO cdp.consent_purposes (purpose) SELECT DISTINCT k.purpose FROM cdp.consents k ON CONFLICT DO NOTHING;
SELECT pg_catalog.pg_extension_config_dump('cdp.consent_purposes', '');

-- ---------------------------------------------------------------- tables
CREATE TABLE cdp.destinations (
    destination_id serial PRIMARY KEY,
    name           text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    segment_id     int NOT NULL REFERENCES cdp.segments ON DELETE RESTRICT,
    purpose        text NOT NULL REFERENCES cdp.consent_purposes ON UPDATE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('pull', 'webhook')),
    fields         text[] NOT NULL DEFAULT '{}',
    url            text,
    batch_size     int NOT NULL DEFAULT 500 CHECK (batch_size BETWEEN 1 AND 10000),
    spec           jsonb NOT NULL,
    payload_sql    text NOT NULL,
    last_seq       bigint NOT NULL DEFAULT 0,
    acked_seq      bigint NOT NULL DEFAULT 0,
    acked_at       timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (acked_seq <= last_seq)
);
REVOKE ALL ON cdp.destinations FROM PUBLIC;
GRANT SELECT ON cdp.destinations TO cdp_reader;
COMMENT ON TABLE cdp.destinations IS
    'Destinations (cdp.create_destination): segment, consent purpose, listed fields, kind (pull or webhook), url, batch_size; last_seq: number of the last change appended, acked_seq: the consumer''s position; payload_sql: the compiled payload expression. The secret and the key salt are in cdp.destination_secrets.';

CREATE TABLE cdp.destination_secrets (
    destination_id int PRIMARY KEY REFERENCES cdp.destinations ON DELETE CASCADE,
    secret         text,
    salt           bytea NOT NULL
);
REVOKE ALL ON cdp.destination_secrets FROM PUBLIC;
COMMENT ON TABLE cdp.destination_secrets IS
    'Per destination: the webhook signing secret and the salt of its pseudonymous keys (readable by the extension only; nothing is granted on it).';
REVOKE ALL ON SEQUENCE cdp.destinations_destination_id_seq FROM PUBLIC;
COMMENT ON SEQUENCE cdp.destinations_destination_id_seq IS 'destination_id generator.';

CREATE TABLE cdp.destination_members (
    destination_id int NOT NULL REFERENCES cdp.destinations ON DELETE CASCADE,
    customer_id    bigint NOT NULL,
    key            text NOT NULL,
    payload        jsonb NOT NULL,
    since          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (destination_id, customer_id)
);
CREATE INDEX destination_members_customer_idx ON cdp.destination_members (customer_id);
REVOKE ALL ON cdp.destination_members FROM PUBLIC;
GRANT SELECT ON cdp.destination_members TO cdp_reader;
COMMENT ON TABLE cdp.destination_members IS
    'What each destination has been told it has: the customers entered and not exited, with their pseudonymous key and the payload last sent.';

CREATE TABLE cdp.destination_log (
    destination_id int NOT NULL REFERENCES cdp.destinations ON DELETE CASCADE,
    seq            bigint NOT NULL,
    customer_id    bigint,
    key            text NOT NULL,
    change         text NOT NULL CHECK (change IN ('enter', 'exit', 'update')),
    at             timestamptz NOT NULL DEFAULT now(),
    payload        jsonb NOT NULL,
    PRIMARY KEY (destination_id, seq)
);
CREATE INDEX destination_log_customer_idx ON cdp.destination_log (customer_id);
REVOKE ALL ON cdp.destination_log FROM PUBLIC;
GRANT SELECT ON cdp.destination_log TO cdp_reader;
COMMENT ON TABLE cdp.destination_log IS
    'The change table: changes not yet acknowledged by each destination''s consumer, numbered by seq per destination in commit order (acknowledged rows are removed). An exit of a forgotten customer has customer_id NULL and only the pseudonymous key. Published as cdp_activation for logical replication.';

-- ---------------------------------------------------------------- C helpers
CREATE FUNCTION cdp._activation_compile_spec(spec jsonb, segments text[], purposes text[], id_types text[],
                                             computed text[], traits text[]) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_activation_compile_spec'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
REVOKE ALL ON FUNCTION cdp._activation_compile_spec(jsonb, text[], text[], text[], text[], text[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._activation_compile_spec(jsonb, text[], text[], text[], text[], text[]) IS
    'Validates a destination spec against the catalogue given (segments, purposes, identifier types, computed traits, traits) and returns it normalised with its payload expression.';

CREATE FUNCTION cdp._activation_projection(fields text[], id_types text[], computed text[], traits text[])
    RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_activation_projection'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
REVOKE ALL ON FUNCTION cdp._activation_projection(text[], text[], text[], text[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._activation_projection(text[], text[], text[], text[]) IS
    'The jsonb expression (over a cdp.profiles row p) of the listed fields, validated against the catalogue given.';

CREATE FUNCTION cdp._activation_signature(secret text, body text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_activation_signature'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION cdp._activation_signature(text, text) FROM PUBLIC;
COMMENT ON FUNCTION cdp._activation_signature(text, text) IS
    'X-Cdp-Signature value of a webhook body: sha256=<hex HMAC-SHA256 of body with secret>.';

-- Traits some profile has or that have a survivorship rule, among `wanted`.
CREATE FUNCTION cdp._activation_known_traits(wanted text[]) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN ARRAY(SELECT w FROM unnest(wanted) AS w
                  WHERE EXISTS (SELECT 1 FROM cdp.trait_rules r WHERE r.trait = w)
                     OR EXISTS (SELECT 1 FROM cdp.profiles p WHERE p.traits ? w));
REVOKE ALL ON FUNCTION cdp._activation_known_traits(text[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._activation_known_traits(text[]) IS
    'The names among wanted (bare or traits.<name>) that are traits: a survivorship rule names them or some profile has them.';

CREATE FUNCTION cdp._activation_compile(spec jsonb) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    RETURN cdp._activation_compile_spec(
        spec,
        ARRAY(SELECT s.name FROM cdp.segments s),
        ARRAY(SELECT c.purpose FROM cdp.consent_purposes c),
        ARRAY(SELECT t.id_type FROM cdp.identifier_types t),
        ARRAY(SELECT t.name FROM cdp.computed_traits t),
        cdp._activation_known_traits(ARRAY(
            SELECT regexp_replace(f, '^traits\.', '')
              FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(spec -> 'fields') = 'array'
                                                  THEN spec -> 'fields' ELSE '[]' END) AS f)));
REVOKE ALL ON FUNCTION cdp._activation_compile(jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cdp._activation_compile(jsonb) IS
    'cdp._activation_compile_spec against the current catalogue.';

-- ---------------------------------------------------------------- reconciliation
-- The consent default (cdp.consent_default) as has_consent reads it.
CREATE FUNCTION cdp._activation_consent_default() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN coalesce(nullif(current_setting('cdp.consent_default', true), ''), 'off')::boolean;
REVOKE ALL ON FUNCTION cdp._activation_consent_default() FROM PUBLIC;
COMMENT ON FUNCTION cdp._activation_consent_default() IS 'cdp.consent_default as a boolean (off when unset).';

-- Brings destination d up to date for the customers cands: a candidate should
-- be there when it is a member of the segment (members: the members among
-- cands when the caller knows them, e.g. from the membership log; NULL: read
-- cdp.segment_members), has a profile, has consent for the purpose and is not
-- being forgotten in this transaction.  Appends the differences as changes.
CREATE FUNCTION cdp._activation_reconcile(d int, cands bigint[], members bigint[] DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dest record;
    n bigint;
    forgetting bigint[] := coalesce(nullif(current_setting('cdp_activation.forgetting', true), '')::bigint[], '{}');
BEGIN
    IF cardinality(cands) IS NULL OR cardinality(cands) = 0 THEN
        RETURN 0;
    END IF;
    -- The destination's lock orders appenders: seq order is commit order.
    SELECT x.destination_id, x.segment_id, x.purpose, x.payload_sql, x.last_seq,
           (SELECT k.salt FROM cdp.destination_secrets k WHERE k.destination_id = x.destination_id) AS salt INTO dest
      FROM cdp.destinations x WHERE x.destination_id = d FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    EXECUTE format($q$
        WITH c AS (SELECT DISTINCT x AS cid FROM unnest($1::bigint[]) AS x WHERE x <> ALL ($5)),
        want AS (
            SELECT p.customer_id AS cid, %s AS payload
              FROM c JOIN cdp.profiles p ON p.customer_id = c.cid
             WHERE CASE WHEN $2::bigint[] IS NULL
                        THEN EXISTS (SELECT 1 FROM cdp.segment_members m
                                      WHERE m.segment_id = $3 AND m.customer_id = c.cid)
                        ELSE c.cid = ANY ($2) END
               AND coalesce((SELECT k.granted FROM cdp.consents k
                              WHERE k.customer_id = c.cid AND k.purpose = $4),
                            cdp._activation_consent_default())),
        have AS (
            SELECT h.customer_id AS cid, h.key, h.payload FROM cdp.destination_members h
             WHERE h.destination_id = $6 AND h.customer_id IN (SELECT c.cid FROM c)),
        diff AS (
            SELECT coalesce(w.cid, h.cid) AS cid,
                   CASE WHEN h.cid IS NULL THEN 'enter' WHEN w.cid IS NULL THEN 'exit' ELSE 'update' END AS change,
                   coalesce(h.key, encode(sha256($7 || int8send(w.cid)), 'hex')) AS key,
                   w.payload
              FROM want w FULL JOIN have h ON h.cid = w.cid
             WHERE h.cid IS NULL OR w.cid IS NULL OR h.payload IS DISTINCT FROM w.payload),
        numbered AS (
            SELECT diff.*, $8 + row_number() OVER (ORDER BY diff.cid) AS seq FROM diff),
        bump AS (
            UPDATE cdp.destinations x SET last_seq = x.last_seq + (SELECT count(*) FROM diff)
             WHERE x.destination_id = $6 AND EXISTS (SELECT 1 FROM diff)
            RETURNING 1),
        logged AS (
            INSERT INTO cdp.destination_log (destination_id, seq, customer_id, key, change, payload)
            SELECT $6, n.seq, n.cid, n.key, n.change,
                   CASE WHEN n.change = 'exit' THEN jsonb_build_object('cdp_key', n.key)
                        ELSE n.payload || jsonb_build_object('cdp_key', n.key) END
              FROM numbered n
            RETURNING 1),
        gone AS (
            DELETE FROM cdp.destination_members h USING diff
             WHERE h.destination_id = $6 AND h.customer_id = diff.cid AND diff.change = 'exit'
            RETURNING 1),
        kept AS (
            INSERT INTO cdp.destination_members AS h (destination_id, customer_id, key, payload)
            SELECT $6, diff.cid, diff.key, diff.payload FROM diff WHERE diff.change <> 'exit'
            ON CONFLICT (destination_id, customer_id) DO UPDATE SET payload = excluded.payload
            RETURNING 1)
        SELECT (SELECT count(*) FROM logged) + 0 * ((SELECT count(*) FROM bump) + (SELECT count(*) FROM gone)
                                                     + (SELECT count(*) FROM kept))
        $q$, dest.payload_sql)
      INTO n
      USING cands, members, dest.segment_id, dest.purpose, forgetting, dest.destination_id, dest.salt, dest.last_seq;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION cdp._activation_reconcile(int, bigint[], bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._activation_reconcile(int, bigint[], bigint[]) IS
    'Brings destination d up to date for customers cands (members: the segment members among them when known, else cdp.segment_members): appends enter/exit/update changes and updates cdp.destination_members. Returns the number of changes.';

-- All destinations of a set of customers (consent or profile changes).
CREATE FUNCTION cdp._activation_reconcile_all(cands bigint[], purposes text[] DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d int;
BEGIN
    FOR d IN SELECT x.destination_id FROM cdp.destinations x
              WHERE purposes IS NULL OR x.purpose = ANY (purposes) ORDER BY x.destination_id LOOP
        PERFORM cdp._activation_reconcile(d, cands, NULL);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION cdp._activation_reconcile_all(bigint[], text[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._activation_reconcile_all(bigint[], text[]) IS
    'cdp._activation_reconcile of every destination (whose purpose is among purposes, when given) for customers cands.';

-- ---------------------------------------------------------------- triggers
CREATE FUNCTION cdp._activation_membership_trigger() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM cdp.destinations) THEN
        RETURN NULL;
    END IF;
    FOR d IN SELECT x.destination_id, x.segment_id FROM cdp.destinations x
              WHERE x.segment_id IN (SELECT n.segment_id FROM new_rows n) ORDER BY x.destination_id LOOP
        PERFORM cdp._activation_reconcile(
            d.destination_id,
            ARRAY(SELECT DISTINCT n.customer_id FROM new_rows n WHERE n.segment_id = d.segment_id),
            ARRAY(SELECT l.customer_id FROM (SELECT DISTINCT ON (n.customer_id) n.customer_id, n.change
                                               FROM new_rows n WHERE n.segment_id = d.segment_id
                                              ORDER BY n.customer_id, n.seq DESC) l
                   WHERE l.change = 'enter'));
    END LOOP;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION cdp._activation_membership_trigger() FROM PUBLIC;
COMMENT ON FUNCTION cdp._activation_membership_trigger() IS
    'After a segment refresh appends to cdp.segment_membership_log: the changed customers of each destination of the segment are reconciled (membership from the log rows).';
CREATE TRIGGER activation_membership AFTER INSERT ON cdp.segment_membership_log
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cdp._activation_membership_trigger();
COMMENT ON TRIGGER activation_membership ON cdp.segment_membership_log IS
    'Hands segment enter/exit rows to the destinations of the segment (cdp._activation_reconcile), in the refresh''s transaction.';

CREATE FUNCTION cdp._activation_consent_trigger() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cdp.consent_purposes (purpose)
            SELECT DISTINCT n.purpose FROM new_rows n ON CONFLICT DO NOTHING;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cdp.destinations) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM cdp._activation_reconcile_all(ARRAY(SELECT DISTINCT n.customer_id FROM new_rows n),
                                              ARRAY(SELECT DISTINCT n.purpose FROM new_rows n));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM cdp._activation_reconcile_all(
            ARRAY(SELECT n.customer_id FROM new_rows n UNION SELECT o.customer_id FROM old_rows o),
            ARRAY(SELECT n.purpose FROM new_rows n UNION SELECT o.purpose FROM old_rows o));
    ELSE
        PERFORM cdp._activation_reconcile_all(ARRAY(SELECT DISTINCT o.customer_id FROM old_rows o),
                                              ARRAY(SELECT DISTINCT o.purpose FROM old_rows o));
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION cdp._activation_consent_trigger() FROM PUBLIC;
COMMENT ON FUNCTION cdp._activation_consent_trigger() IS
    'After a consent change: adds new purposes to cdp.consent_purposes and reconciles the destinations of the purposes for the customers concerned (a withdrawal exits in set_consent''s transaction).';
CREATE TRIGGER activation_consent_insert AFTER INSERT ON cdp.consents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cdp._activation_consent_trigger();
CREATE TRIGGER activation_consent_update AFTER UPDATE ON cdp.consents
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION cdp._activation_consent_trigger();
CREATE TRIGGER activation_consent_delete AFTER DELETE ON cdp.consents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cdp._activation_consent_trigger();
COMMENT ON TRIGGER activation_consent_insert ON cdp.consents IS 'Consent catalogue and destinations follow new consent decisions.';
COMMENT ON TRIGGER activation_consent_update ON cdp.consents IS 'Destinations follow changed consent decisions (withdrawal: exit).';
COMMENT ON TRIGGER activation_consent_delete ON cdp.consents IS 'Destinations follow removed consent decisions (merges, forget).';

CREATE FUNCTION cdp._activation_profile_trigger() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM cdp.destinations) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM cdp._activation_reconcile_all(ARRAY(SELECT n.customer_id FROM new_rows n));
    ELSIF TG_OP = 'UPDATE' THEN
        -- Every rewritten profile: its identifiers (listed fields too) may
        -- have changed without its traits.
        PERFORM cdp._activation_reconcile_all(ARRAY(SELECT n.customer_id FROM new_rows n));
    ELSE
        PERFORM cdp._activation_reconcile_all(ARRAY(SELECT o.customer_id FROM old_rows o));
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION cdp._activation_profile_trigger() FROM PUBLIC;
COMMENT ON FUNCTION cdp._activation_profile_trigger() IS
    'After profile maintenance: customers whose profile was written, appeared or went are reconciled with every destination (update when a listed field changed).';
CREATE TRIGGER activation_profile_insert AFTER INSERT ON cdp.profiles
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cdp._activation_profile_trigger();
CREATE TRIGGER activation_profile_update AFTER UPDATE ON cdp.profiles
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION cdp._activation_profile_trigger();
CREATE TRIGGER activation_profile_delete AFTER DELETE ON cdp.profiles
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cdp._activation_profile_trigger();
COMMENT ON TRIGGER activation_profile_insert ON cdp.profiles IS 'Destinations follow new profiles.';
COMMENT ON TRIGGER activation_profile_update ON cdp.profiles IS 'Destinations follow changed traits (update of listed fields).';
COMMENT ON TRIGGER activation_profile_delete ON cdp.profiles IS 'Destinations follow removed profiles (merged away, no records left).';

-- Called by cdp.forget_customer before it deletes anything: every
-- destination holding one of ids gets an exit carrying only the
-- pseudonymous key (customer_id NULL), and the customer is skipped by
-- reconciliation for the rest of the transaction.
CREATE FUNCTION cdp._activation_forget(ids bigint[]) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
    n bigint := 0;
    k bigint;
BEGIN
    PERFORM set_config('cdp_activation.forgetting',
                       (coalesce(nullif(current_setting('cdp_activation.forgetting', true), '')::bigint[], '{}')
                        || ids)::text, true);
    FOR d IN SELECT x.destination_id FROM cdp.destinations x
              WHERE EXISTS (SELECT 1 FROM cdp.destination_members m
                             WHERE m.destination_id = x.destination_id AND m.customer_id = ANY (ids))
              ORDER BY x.destination_id FOR UPDATE LOOP
        WITH gone AS (
            DELETE FROM cdp.destination_members m
             WHERE m.destination_id = d.destination_id AND m.customer_id = ANY (ids)
            RETURNING m.key),
        numbered AS (
            SELECT g.key, (SELECT x.last_seq FROM cdp.destinations x WHERE x.destination_id = d.destination_id)
                          + row_number() OVER (ORDER BY g.key) AS seq FROM gone g),
        logged AS (
            INSERT INTO cdp.destination_log (destination_id, seq, customer_id, key, change, payload)
            SELECT d.destination_id, n.seq, NULL, n.key, 'exit', jsonb_build_object('cdp_key', n.key, 'forgotten', true)
              FROM numbered n RETURNING 1)
        SELECT count(*) INTO k FROM logged;
        UPDATE cdp.destinations x SET last_seq = x.last_seq + k WHERE x.destination_id = d.destination_id;
        n := n + k;
    END LOOP;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION cdp._activation_forget(bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._activation_forget(bigint[]) IS
    'Right to be forgotten, for activation: a PII-free exit (customer_id NULL, pseudonymous key only) to every destination holding one of ids; called by cdp.forget_customer.';

-- ---------------------------------------------------------------- destinations
CREATE FUNCTION cdp.create_destination(name text, spec jsonb) RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c jsonb;
    id int;
BEGIN
    IF name IS NULL OR spec IS NULL THEN
        RAISE EXCEPTION 'cdp.create_destination: name and spec must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF length(name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'cdp.create_destination: name must have 1 to 200 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM cdp.destinations x WHERE x.name = create_destination.name) THEN
        RAISE EXCEPTION 'destination "%" already exists', name USING ERRCODE = 'duplicate_object';
    END IF;
    c := cdp._activation_compile(spec);
    INSERT INTO cdp.destinations (name, segment_id, purpose, kind, fields, url, batch_size, spec, payload_sql)
    VALUES (name, (SELECT s.segment_id FROM cdp.segments s WHERE s.name = c ->> 'segment'), c ->> 'purpose',
            c ->> 'kind', ARRAY(SELECT jsonb_array_elements_text(c -> 'fields')), c ->> 'url',
            (c ->> 'batch_size')::int, c -> 'spec', c ->> 'payload_sql')
    RETURNING destination_id INTO id;
    PERFORM cdp._ensure_publication();
    INSERT INTO cdp.destination_secrets (destination_id, secret, salt)
    VALUES (id, c ->> 'secret',
            sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')));
    -- The current membership as enters.
    PERFORM cdp._activation_reconcile(id, ARRAY(SELECT m.customer_id FROM cdp.segment_members m
                                                  JOIN cdp.destinations x ON x.segment_id = m.segment_id
                                                 WHERE x.destination_id = id), NULL);
    RETURN id;
END
$$;
REVOKE ALL ON FUNCTION cdp.create_destination(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.create_destination(text, jsonb) TO cdp_admin;
COMMENT ON FUNCTION cdp.create_destination(text, jsonb) IS
    'Creates a destination from spec {segment, purpose, fields, kind, url, secret, batch_size} (refused with the offending key: unknown segment, purpose or field, webhook without url or secret, URL not http/https) and queues the current consenting members as enters. Returns its id.';

CREATE FUNCTION cdp.alter_destination(name text, spec jsonb) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
    c jsonb;
    merged jsonb;
BEGIN
    SELECT x.destination_id, x.spec, k.secret INTO d
      FROM cdp.destinations x JOIN cdp.destination_secrets k ON k.destination_id = x.destination_id
     WHERE x.name = alter_destination.name FOR UPDATE OF x;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'destination "%" does not exist', name USING ERRCODE = 'undefined_object';
    END IF;
    IF jsonb_typeof(spec) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'cdp.alter_destination: spec must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Keys given replace the current ones; "url": null / "secret": null remove them.
    merged := jsonb_strip_nulls((d.spec - 'secret') || CASE WHEN d.secret IS NULL THEN '{}'
                                                            ELSE jsonb_build_object('secret', d.secret) END || spec);
    c := cdp._activation_compile(merged);
    UPDATE cdp.destinations x
       SET segment_id = (SELECT s.segment_id FROM cdp.segments s WHERE s.name = c ->> 'segment'),
           purpose = c ->> 'purpose', kind = c ->> 'kind', fields = ARRAY(SELECT jsonb_array_elements_text(c -> 'fields')),
           url = c ->> 'url', batch_size = (c ->> 'batch_size')::int, spec = c -> 'spec',
           payload_sql = c ->> 'payload_sql', updated_at = now()
     WHERE x.destination_id = d.destination_id;
    UPDATE cdp.destination_secrets k SET secret = c ->> 'secret' WHERE k.destination_id = d.destination_id;
    -- Who it has and who it should have: exits, enters and updates.
    PERFORM cdp._activation_reconcile(d.destination_id, ARRAY(
        SELECT m.customer_id FROM cdp.destination_members m WHERE m.destination_id = d.destination_id
        UNION SELECT m.customer_id FROM cdp.segment_members m JOIN cdp.destinations x ON x.segment_id = m.segment_id
               WHERE x.destination_id = d.destination_id), NULL);
END
$$;
REVOKE ALL ON FUNCTION cdp.alter_destination(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.alter_destination(text, jsonb) TO cdp_admin;
COMMENT ON FUNCTION cdp.alter_destination(text, jsonb) IS
    'Changes a destination: the keys of spec replace the current ones (null removes url or secret), validated as in create_destination; the difference (a new segment, purpose or field list) is queued as exits, enters and updates.';

CREATE FUNCTION cdp.drop_destination(name text) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM cdp.destinations x WHERE x.name = drop_destination.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'destination "%" does not exist', name USING ERRCODE = 'undefined_object';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION cdp.drop_destination(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.drop_destination(text) TO cdp_admin;
COMMENT ON FUNCTION cdp.drop_destination(text) IS
    'Drops a destination with its queued changes and member list.';

-- ---------------------------------------------------------------- pull feed
CREATE FUNCTION cdp._destination_id(name text) RETURNS int
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id int;
BEGIN
    SELECT x.destination_id INTO id FROM cdp.destinations x WHERE x.name = _destination_id.name;
    IF id IS NULL THEN
        RAISE EXCEPTION 'destination "%" does not exist', name USING ERRCODE = 'undefined_object';
    END IF;
    RETURN id;
END
$$;
REVOKE ALL ON FUNCTION cdp._destination_id(text) FROM PUBLIC;
COMMENT ON FUNCTION cdp._destination_id(text) IS 'destination_id of a destination name (undefined_object when there is none).';

CREATE FUNCTION cdp.destination_changes(name text, max int DEFAULT 1000)
    RETURNS TABLE (seq bigint, customer_id bigint, change text, at timestamptz, payload jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id int := cdp._destination_id(destination_changes.name);
BEGIN
    IF max IS NULL OR max < 1 THEN
        RAISE EXCEPTION 'cdp.destination_changes: max must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
        SELECT l.seq, l.customer_id, l.change, l.at, l.payload FROM cdp.destination_log l
         WHERE l.destination_id = id
           AND l.seq > (SELECT x.acked_seq FROM cdp.destinations x WHERE x.destination_id = id)
         ORDER BY l.seq LIMIT max;
END
$$;
REVOKE ALL ON FUNCTION cdp.destination_changes(text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.destination_changes(text, int) TO cdp_writer;
COMMENT ON FUNCTION cdp.destination_changes(text, int) IS
    'The next (at most max) changes of a destination after its acknowledged position, in seq order: enter, exit, update with the payload of the listed fields and the pseudonymous cdp_key. Reading does not move the position (cdp.ack_destination does).';

CREATE FUNCTION cdp.ack_destination(name text, seq bigint) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
BEGIN
    IF seq IS NULL THEN
        RAISE EXCEPTION 'cdp.ack_destination: seq must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT x.destination_id, x.acked_seq, x.last_seq INTO d
      FROM cdp.destinations x WHERE x.destination_id = cdp._destination_id(ack_destination.name) FOR UPDATE;
    IF seq > d.last_seq THEN
        RAISE EXCEPTION 'cdp.ack_destination: seq % is beyond the last change (%) of destination "%"', seq, d.last_seq, name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF seq <= d.acked_seq THEN
        RETURN d.acked_seq;   -- already acknowledged: nothing to do
    END IF;
    DELETE FROM cdp.destination_log l WHERE l.destination_id = d.destination_id AND l.seq <= ack_destination.seq;
    UPDATE cdp.destinations x SET acked_seq = ack_destination.seq, acked_at = now()
     WHERE x.destination_id = d.destination_id;
    RETURN seq;
END
$$;
REVOKE ALL ON FUNCTION cdp.ack_destination(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.ack_destination(text, bigint) TO cdp_writer;
COMMENT ON FUNCTION cdp.ack_destination(text, bigint) IS
    'Moves the consumer''s position of a destination to seq (changes up to seq are removed); an older seq is a no-op, one beyond the last change an error. Acked in the consumer''s own transaction: exactly-once. Returns the position.';

CREATE FUNCTION cdp.destination_status(name text) RETURNS jsonb
    LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
    oldest timestamptz;
    waiting text;
BEGIN
    SELECT x.*, s.name AS segment INTO d FROM cdp.destinations x JOIN cdp.segments s ON s.segment_id = x.segment_id
     WHERE x.destination_id = cdp._destination_id(destination_status.name);
    SELECT min(l.at) INTO oldest FROM cdp.destination_log l WHERE l.destination_id = d.destination_id;
    IF d.kind = 'webhook' THEN
        waiting := 'no delivery worker: webhook delivery needs shared_preload_libraries = ''cdp'' (this build has none); '
                   || 'changes queue and can be read with cdp.destination_changes';
    ELSIF d.last_seq > d.acked_seq THEN
        waiting := 'waiting for the consumer to read and acknowledge (cdp.destination_changes, cdp.ack_destination)';
    END IF;
    RETURN jsonb_build_object(
        'destination', d.name, 'kind', d.kind, 'segment', d.segment, 'purpose', d.purpose,
        'position', d.acked_seq, 'last_seq', d.last_seq,
        'lag_changes', d.last_seq - d.acked_seq,
        'lag_seconds', CASE WHEN oldest IS NULL THEN 0 ELSE round(extract(epoch FROM now() - oldest)::numeric, 3) END,
        'members', (SELECT count(*) FROM cdp.destination_members m WHERE m.destination_id = d.destination_id),
        'last_ack_at', d.acked_at,
        'last_delivery_at', d.acked_at,
        'errors', 0,
        'waiting', waiting);
END
$$;
REVOKE ALL ON FUNCTION cdp.destination_status(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.destination_status(text) TO cdp_reader;
COMMENT ON FUNCTION cdp.destination_status(text) IS
    'Position (acknowledged seq), last seq, lag in changes and seconds (age of the oldest unacknowledged change), members, last acknowledgement / delivery, error count and, when changes wait, why.';

-- ---------------------------------------------------------------- export
CREATE FUNCTION cdp.segment_export(name text, fields text[] DEFAULT NULL, purpose text DEFAULT NULL)
    RETURNS SETOF jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sid int;
    expr text;
BEGIN
    SELECT s.segment_id INTO sid FROM cdp.segments s WHERE s.name = segment_export.name;
    IF sid IS NULL THEN
        RAISE EXCEPTION 'segment "%" does not exist', name USING ERRCODE = 'undefined_object';
    END IF;
    IF purpose IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cdp.consent_purposes c WHERE c.purpose = segment_export.purpose) THEN
        RAISE EXCEPTION 'segment export: purpose "%" is not in the consent catalogue', purpose
            USING ERRCODE = 'undefined_object', HINT = 'Known purposes are in cdp.consent_purposes.';
    END IF;
    expr := cdp._activation_projection(fields,
        ARRAY(SELECT t.id_type FROM cdp.identifier_types t), ARRAY(SELECT t.name FROM cdp.computed_traits t),
        cdp._activation_known_traits(ARRAY(SELECT regexp_replace(f, '^traits\.', '') FROM unnest(fields) AS f)));
    RETURN QUERY EXECUTE format($q$
        SELECT jsonb_build_object('customer_id', p.customer_id) || %s
          FROM cdp.segment_members m JOIN cdp.profiles p ON p.customer_id = m.customer_id
         WHERE m.segment_id = $1
           AND ($2::text IS NULL OR coalesce((SELECT k.granted FROM cdp.consents k
                                               WHERE k.customer_id = m.customer_id AND k.purpose = $2),
                                              cdp._activation_consent_default()))
         ORDER BY m.customer_id $q$, expr) USING sid, purpose;
END
$$;
REVOKE ALL ON FUNCTION cdp.segment_export(text, text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.segment_export(text, text[], text) TO cdp_admin;
COMMENT ON FUNCTION cdp.segment_export(text, text[], text) IS
    'One-off export of a segment''s current members with a profile: one jsonb per customer, customer_id plus only the listed fields; with purpose, only members consenting to it. For COPY (SELECT ...) TO STDOUT.';

-- ---------------------------------------------------------------- streaming
-- Logical-replication consumers (pg_recvlogical + wal2json, pgoutput,
-- Debezium) subscribe to the change table.  Publications work at any
-- wal_level; decoding them needs wal_level = logical (docs/activation.md).
-- The publication is made by the first cdp.create_destination(), not by
-- CREATE EXTENSION: a publication cannot be a member of an extension, so
-- pg_dump dumps it, and a restore would fail on one the extension had
-- already made.
CREATE FUNCTION cdp._ensure_publication() RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $pub$
DECLARE
    level text := current_setting('client_min_messages');
BEGIN
    -- CREATE PUBLICATION warns when wal_level is not logical: documented instead.
    PERFORM set_config('client_min_messages', 'error', true);
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = 'cdp_activation') THEN
        CREATE PUBLICATION cdp_activation FOR TABLE cdp.destination_log;
        COMMENT ON PUBLICATION cdp_activation IS
            'Logical-replication stream of cdp.destination_log (activation changes of every destination); decoding needs wal_level = logical.';
    ELSIF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables
                       WHERE pubname = 'cdp_activation' AND schemaname = 'cdp' AND tablename = 'destination_log') THEN
        -- Left over from an earlier installation (publications outlive DROP EXTENSION).
        ALTER PUBLICATION cdp_activation ADD TABLE cdp.destination_log;
    END IF;
    PERFORM set_config('client_min_messages', level, true);
END
$pub$;
COMMENT ON FUNCTION cdp._ensure_publication() IS
    'Internal: makes publication cdp_activation over cdp.destination_log if it is missing (called by create_destination).';
REVOKE ALL ON FUNCTION cdp._ensure_publication() FROM PUBLIC;
