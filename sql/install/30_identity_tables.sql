-- Identity graph: tables (docs/identity.md).  Functions live in
-- 31_identity.sql; ingest in 35_ingest.sql.
--
-- Configuration and user data are registered with pg_extension_config_dump
-- so that pg_dump/pg_restore keep them (seeded rows of identifier_types are
-- dumped only when changed by the DBA: see the WHERE filter).
--
-- Privileges: cdp_reader reads every table except rejected_messages
-- (refused payloads: cdp_writer); cdp_admin edits the configuration tables
-- (identifier_types, sources).  Everything else is written only by the
-- SECURITY DEFINER functions of 31_identity.sql and 35_ingest.sql; the
-- sequences are the owner's only (REVOKE ALL ... FROM PUBLIC makes that
-- explicit, as 0.1 did).

CREATE TABLE cdp.identifier_types (
    id_type               text PRIMARY KEY CHECK (id_type ~ '^[a-z][a-z0-9_]*$'),
    priority              int  NOT NULL CHECK (priority >= 1),
    max_per_customer      int  NULL CHECK (max_per_customer >= 1),
    max_records_per_value int  NULL CHECK (max_records_per_value >= 1),
    blocked_values        text[] NOT NULL DEFAULT '{}',
    seeded                boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE cdp.identifier_types IS
    'Identifier types: priority (1 = highest), per-customer and per-value limits, blocked values. Values are normalised by type before use.';
REVOKE ALL ON TABLE cdp.identifier_types FROM PUBLIC;
GRANT SELECT ON cdp.identifier_types TO cdp_reader;
GRANT INSERT, UPDATE, DELETE ON cdp.identifier_types TO cdp_admin;
INSERT INTO cdp.identifier_types (id_type, priority, max_per_customer, seeded) VALUES
    ('user_id', 1, 1, true),
    ('email', 2, 5, true),
    ('phone', 3, 5, true),
    ('external_id', 4, 5, true),
    ('device_id', 5, 20, true),
    ('anonymous_id', 6, 100, true);

-- A DBA's change to a seeded row marks it changed (seeded = false) so that
-- pg_dump keeps it.  On restore, CREATE EXTENSION inserts the defaults again
-- before the dumped rows are loaded: an INSERT of a seeded type's name then
-- replaces that type's defaults instead of failing on the primary key.
CREATE FUNCTION cdp._identifier_types_changed() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.seeded AND NEW.seeded AND
       (NEW.id_type, NEW.priority, NEW.max_per_customer, NEW.max_records_per_value, NEW.blocked_values)
       IS DISTINCT FROM (OLD.id_type, OLD.priority, OLD.max_per_customer, OLD.max_records_per_value, OLD.blocked_values) THEN
      NEW.seeded := false;
    END IF;
    RETURN NEW;
  END IF;
  IF EXISTS (SELECT 1 FROM cdp.identifier_types WHERE id_type = NEW.id_type AND seeded) THEN
    UPDATE cdp.identifier_types
       SET priority = NEW.priority, max_per_customer = NEW.max_per_customer,
           max_records_per_value = NEW.max_records_per_value, blocked_values = NEW.blocked_values,
           seeded = NEW.seeded
     WHERE id_type = NEW.id_type;
    RETURN NULL;
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION cdp._identifier_types_changed() IS
    'Trigger of cdp.identifier_types: a changed seeded row is marked changed (so pg_dump keeps it); an INSERT of a seeded type (pg_restore) replaces its defaults.';
REVOKE ALL ON FUNCTION cdp._identifier_types_changed() FROM PUBLIC;
CREATE TRIGGER identifier_types_changed BEFORE INSERT OR UPDATE ON cdp.identifier_types
    FOR EACH ROW EXECUTE FUNCTION cdp._identifier_types_changed();
COMMENT ON TRIGGER identifier_types_changed ON cdp.identifier_types IS
    'Keeps DBA changes to seeded identifier types across pg_dump/pg_restore.';

CREATE TABLE cdp.sources (
    source     text PRIMARY KEY CHECK (length(source) BETWEEN 1 AND 200),
    priority   int  NOT NULL DEFAULT 100 CHECK (priority >= 1),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE cdp.sources IS 'Data sources (channels); priority 1 is the most trusted. Unknown sources are added on first use with priority 100.';
REVOKE ALL ON TABLE cdp.sources FROM PUBLIC;
GRANT SELECT ON cdp.sources TO cdp_reader;
GRANT INSERT, UPDATE, DELETE ON cdp.sources TO cdp_admin;

CREATE SEQUENCE cdp.records_record_id_seq;
COMMENT ON SEQUENCE cdp.records_record_id_seq IS 'record_id generator; processing order of identity resolution.';
REVOKE ALL ON SEQUENCE cdp.records_record_id_seq FROM PUBLIC;
CREATE TABLE cdp.records (
    record_id   bigint PRIMARY KEY DEFAULT nextval('cdp.records_record_id_seq'),
    source      text   NOT NULL REFERENCES cdp.sources (source) ON UPDATE CASCADE,
    source_key  text   NOT NULL,
    traits      jsonb  NOT NULL DEFAULT '{}',
    customer_id bigint NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_key)
);
ALTER SEQUENCE cdp.records_record_id_seq OWNED BY cdp.records.record_id;
CREATE INDEX records_customer_id_idx ON cdp.records (customer_id);
COMMENT ON TABLE cdp.records IS
    'One row per source row / device / login. customer_id is NULL while resolution is deferred (cdp.defer_resolution).';
REVOKE ALL ON TABLE cdp.records FROM PUBLIC;
GRANT SELECT ON cdp.records TO cdp_reader;

CREATE TABLE cdp.identifiers (
    record_id bigint NOT NULL REFERENCES cdp.records (record_id) ON DELETE CASCADE,
    id_type   text   NOT NULL REFERENCES cdp.identifier_types (id_type) ON UPDATE CASCADE,
    id_value  text   NOT NULL,
    PRIMARY KEY (record_id, id_type, id_value)
);
CREATE INDEX identifiers_value_idx ON cdp.identifiers (id_type, id_value);
COMMENT ON TABLE cdp.identifiers IS 'Normalised identifier values held by each record: the edges of the identity graph.';
REVOKE ALL ON TABLE cdp.identifiers FROM PUBLIC;
GRANT SELECT ON cdp.identifiers TO cdp_reader;

CREATE SEQUENCE cdp.customers_customer_id_seq;
COMMENT ON SEQUENCE cdp.customers_customer_id_seq IS 'customer_id generator.';
REVOKE ALL ON SEQUENCE cdp.customers_customer_id_seq FROM PUBLIC;
CREATE TABLE cdp.customers (
    customer_id bigint PRIMARY KEY DEFAULT nextval('cdp.customers_customer_id_seq'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE cdp.customers_customer_id_seq OWNED BY cdp.customers.customer_id;
COMMENT ON TABLE cdp.customers IS 'One row per resolved person (the surviving id of a merge is the older, smaller one).';
REVOKE ALL ON TABLE cdp.customers FROM PUBLIC;
GRANT SELECT ON cdp.customers TO cdp_reader;

CREATE TABLE cdp.customer_aliases (
    old_id      bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_aliases_customer_idx ON cdp.customer_aliases (customer_id);
COMMENT ON TABLE cdp.customer_aliases IS 'Merged-away customer ids and the customer they now resolve to.';
REVOKE ALL ON TABLE cdp.customer_aliases FROM PUBLIC;
GRANT SELECT ON cdp.customer_aliases TO cdp_reader;

CREATE TABLE cdp.merge_log (
    merge_id    bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    customer_id bigint,
    merged_id   bigint,
    record_id   bigint,
    id_type     text,
    id_value    text,
    rule        text NOT NULL,
    detail      jsonb
);
CREATE INDEX merge_log_customer_idx ON cdp.merge_log (customer_id);
COMMENT ON TABLE cdp.merge_log IS
    'Every merge, split and refused link with its evidence (record, identifier, rule). rule: exact, refused:<reason>, split, alias, probabilistic:<model>.';
REVOKE ALL ON TABLE cdp.merge_log FROM PUBLIC;
GRANT SELECT ON cdp.merge_log TO cdp_reader;
COMMENT ON SEQUENCE cdp.merge_log_merge_id_seq IS 'merge_id generator.';
REVOKE ALL ON SEQUENCE cdp.merge_log_merge_id_seq FROM PUBLIC;

CREATE TABLE cdp.events (
    event_id    bigserial PRIMARY KEY,
    record_id   bigint NOT NULL,
    type        text   NOT NULL,
    event       text   NULL,
    properties  jsonb  NOT NULL DEFAULT '{}',
    context     jsonb  NOT NULL DEFAULT '{}',
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    message_id  text   UNIQUE
);
CREATE INDEX events_record_time_idx ON cdp.events (record_id, occurred_at);
COMMENT ON TABLE cdp.events IS
    'Behavioural and transactional events (Segment spec). Events point at records, so a merge never rewrites events.';
REVOKE ALL ON TABLE cdp.events FROM PUBLIC;
GRANT SELECT ON cdp.events TO cdp_reader;
COMMENT ON SEQUENCE cdp.events_event_id_seq IS 'event_id generator.';
REVOKE ALL ON SEQUENCE cdp.events_event_id_seq FROM PUBLIC;

CREATE TABLE cdp.rejected_messages (
    rejected_id bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    source      text,
    batch_index int,
    error       text NOT NULL,
    payload     jsonb
);
COMMENT ON TABLE cdp.rejected_messages IS 'Messages cdp.ingest() refused, with the reason; nothing sent is lost.';
REVOKE ALL ON TABLE cdp.rejected_messages FROM PUBLIC;
GRANT SELECT ON cdp.rejected_messages TO cdp_writer;  -- not cdp_reader: refused payloads
COMMENT ON SEQUENCE cdp.rejected_messages_rejected_id_seq IS 'rejected_id generator.';
REVOKE ALL ON SEQUENCE cdp.rejected_messages_rejected_id_seq FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('cdp.identifier_types', 'WHERE NOT seeded');
SELECT pg_catalog.pg_extension_config_dump('cdp.sources', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.records', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.records_record_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.identifiers', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.customers', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.customers_customer_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.customer_aliases', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.merge_log', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.merge_log_merge_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.events', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.events_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.rejected_messages', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.rejected_messages_rejected_id_seq', '');
