-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION cdp" to load this file. \quit

-- The schema cdp is created by CREATE EXTENSION (control file: schema = cdp).
COMMENT ON SCHEMA cdp IS 'cdp: Customer Data Platform (identity graph, fuzzy matching, profiles, consent, segments)';
-- Roles (cluster-wide; created once, kept if the extension is dropped).
--   cdp_reader: read profiles, segments, call pure functions
--   cdp_writer: cdp_reader + ingest/upsert/consent
--   cdp_admin : cdp_writer + configuration, segments, forget, resolution
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cdp_reader') THEN
        CREATE ROLE cdp_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cdp_writer') THEN
        CREATE ROLE cdp_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cdp_admin') THEN
        CREATE ROLE cdp_admin NOLOGIN;
    END IF;
END
$roles$;

GRANT cdp_reader TO cdp_writer;
GRANT cdp_writer TO cdp_admin;
GRANT USAGE ON SCHEMA cdp TO cdp_reader;
-- Normalisers (DESIGN.md section 1).  Pure C functions: no search_path
-- clause (they run no queries).  The forms that read a GUC
-- (cdp.email_provider_rules, cdp.default_region) are STABLE; the forms that
-- take the setting as an argument are IMMUTABLE and are the ones to use in
-- index expressions (the to_tsvector(text) / to_tsvector(regconfig, text)
-- pattern of PostgreSQL itself).

CREATE FUNCTION cdp.normalize_email(email text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_email'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_email(text) IS
    'Canonical e-mail address: trimmed, local part case-folded (NFKC_Casefold), domain to ASCII (UTS #46 punycode); gmail/googlemail dots and +tags dropped when cdp.email_provider_rules is on. NULL when not a plausible address. STABLE (reads the GUC); use normalize_email(email, provider_rules) in indexes.';
GRANT EXECUTE ON FUNCTION cdp.normalize_email(text) TO cdp_reader;

CREATE FUNCTION cdp.normalize_email(email text, provider_rules boolean) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_email_rules'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_email(text, boolean) IS
    'cdp.normalize_email() with the gmail/googlemail provider rules given explicitly (IMMUTABLE: usable in index expressions).';
GRANT EXECUTE ON FUNCTION cdp.normalize_email(text, boolean) TO cdp_reader;

CREATE FUNCTION cdp.normalize_phone(phone text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_phone'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_phone(text) IS
    'Phone number in E.164 (libphonenumber), numbers without a country code read in the region cdp.default_region. NULL when not a valid number. STABLE (reads the GUC); use normalize_phone(phone, region) in indexes.';
GRANT EXECUTE ON FUNCTION cdp.normalize_phone(text) TO cdp_reader;

CREATE FUNCTION cdp.normalize_phone(phone text, region text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_phone_region'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_phone(text, text) IS
    'Phone number in E.164 (libphonenumber), numbers without a country code read in region (ISO 3166-1 alpha-2; unknown region: error 22023). NULL when not a valid number. IMMUTABLE.';
GRANT EXECUTE ON FUNCTION cdp.normalize_phone(text, text) TO cdp_reader;

CREATE FUNCTION cdp.normalize_name(name text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_name'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_name(text) IS
    'Person name as lower-case ASCII words: NFKC, any script to Latin to ASCII (ICU), apostrophes dropped, other punctuation and space runs to one space, trimmed.';
GRANT EXECUTE ON FUNCTION cdp.normalize_name(text) TO cdp_reader;

CREATE FUNCTION cdp.normalize_address(address text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_address'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_address(text) IS
    'Postal address as lower-case ASCII words with common Italian and English abbreviations expanded on word boundaries (v. -> via, p.za -> piazza, st -> street, rd -> road, ...).';
GRANT EXECUTE ON FUNCTION cdp.normalize_address(text) TO cdp_reader;
-- Similarity of strings (DESIGN.md section 2).  All functions work on Unicode
-- code points and are pure: IMMUTABLE STRICT PARALLEL SAFE, no search_path
-- needed (C, no queries).  Inputs too long for bounded work raise 54000.

CREATE FUNCTION cdp.levenshtein(a text, b text) RETURNS integer
    AS 'MODULE_PATHNAME', 'cdp_levenshtein'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.levenshtein(text, text) IS
    'Levenshtein edit distance (unit costs) between a and b in Unicode code points; bit-parallel.';

CREATE FUNCTION cdp.levenshtein(a text, b text, max integer) RETURNS integer
    AS 'MODULE_PATHNAME', 'cdp_levenshtein_max'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.levenshtein(text, text, integer) IS
    'Bounded Levenshtein distance: the distance when it is <= max, otherwise max + 1 (stops early).';

CREATE FUNCTION cdp.damerau_levenshtein(a text, b text) RETURNS integer
    AS 'MODULE_PATHNAME', 'cdp_damerau_levenshtein'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.damerau_levenshtein(text, text) IS
    'Unrestricted Damerau-Levenshtein distance (insertions, deletions, substitutions, transpositions), as jellyfish.';

CREATE FUNCTION cdp.jaro(a text, b text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'cdp_jaro'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.jaro(text, text) IS
    'Jaro similarity in [0,1] (jellyfish semantics; 0 when either string is empty).';

CREATE FUNCTION cdp.jaro_winkler(a text, b text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'cdp_jaro_winkler'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.jaro_winkler(text, text) IS
    'Jaro-Winkler similarity in [0,1]: prefix scale 0.1, common prefix up to 4, applied when Jaro > 0.7 (jellyfish).';

CREATE FUNCTION cdp.trigram_similarity(a text, b text) RETURNS real
    AS 'MODULE_PATHNAME', 'cdp_trigram_similarity'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.trigram_similarity(text, text) IS
    'Trigram similarity, equal to pg_trgm similarity(a, b) (same words, lower-casing, padding and multibyte trigrams).';

CREATE FUNCTION cdp.token_set_similarity(a text, b text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'cdp_token_set_similarity'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.token_set_similarity(text, text) IS
    'Order-insensitive token similarity in [0,1]: distinct lower-cased tokens paired greedily by Jaro-Winkler, 2*sum/(|A|+|B|).';

GRANT EXECUTE ON FUNCTION cdp.levenshtein(text, text), cdp.levenshtein(text, text, integer),
    cdp.damerau_levenshtein(text, text), cdp.jaro(text, text), cdp.jaro_winkler(text, text),
    cdp.trigram_similarity(text, text), cdp.token_set_similarity(text, text) TO cdp_reader;
-- Phonetic codes of names (DESIGN.md section 2).  Pure C functions:
-- IMMUTABLE STRICT PARALLEL SAFE.

CREATE FUNCTION cdp.soundex(s text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_soundex'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.soundex(text) IS
    'American Soundex, equal to fuzzystrmatch soundex() on ASCII; accented Latin letters fold to their base letter; '''' without letters.';

CREATE FUNCTION cdp.metaphone(s text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_metaphone'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.metaphone(text) IS
    'Metaphone code with jellyfish rules (every word coded, words separated by a space, no length limit).';

CREATE FUNCTION cdp.nysiis(s text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_nysiis'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.nysiis(text) IS 'NYSIIS code with jellyfish rules (no length limit).';

CREATE FUNCTION cdp.double_metaphone(s text) RETURNS text[]
    AS 'MODULE_PATHNAME', 'cdp_double_metaphone'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.double_metaphone(text) IS
    'Double Metaphone {primary, alternate}, equal to {fuzzystrmatch dmetaphone(s), dmetaphone_alt(s)} on ASCII input.';

GRANT EXECUTE ON FUNCTION cdp.soundex(text), cdp.metaphone(text), cdp.nysiis(text),
    cdp.double_metaphone(text) TO cdp_reader;
-- Person-name matching (DESIGN.md section 2): cdp.name_similarity, the %~ and
-- <~> operators and the operator classes cdp.gin_name_ops / cdp.gist_name_ops.
-- The score and the index keys are defined in README "Name matching".

CREATE FUNCTION cdp.name_similarity(a text, b text) RETURNS float8
    AS 'MODULE_PATHNAME', 'cdp_name_similarity'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.name_similarity(text, text) IS
    'Person-name similarity in [0,1]: normalised, token-order-insensitive, nickname-aware, initials, typos, phonetics (README "Name matching").';
GRANT EXECUTE ON FUNCTION cdp.name_similarity(text, text) TO cdp_reader;

-- STABLE: the result depends on the GUC cdp.similarity_threshold.
CREATE FUNCTION cdp.name_similar_op(a text, b text) RETURNS bool
    AS 'MODULE_PATHNAME', 'cdp_name_similar_op'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.name_similar_op(text, text) IS
    'Implements a %~ b: cdp.name_similarity(a, b) >= cdp.similarity_threshold.';
GRANT EXECUTE ON FUNCTION cdp.name_similar_op(text, text) TO cdp_reader;

CREATE FUNCTION cdp.name_distance(a text, b text) RETURNS float8
    AS 'MODULE_PATHNAME', 'cdp_name_distance'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.name_distance(text, text) IS
    'Implements a <~> b: 1 - cdp.name_similarity(a, b), for ORDER BY name <~> query LIMIT k.';
GRANT EXECUTE ON FUNCTION cdp.name_distance(text, text) TO cdp_reader;

CREATE OPERATOR cdp.%~ (
    LEFTARG = text, RIGHTARG = text, FUNCTION = cdp.name_similar_op,
    COMMUTATOR = OPERATOR(cdp.%~),
    RESTRICT = matchingsel, JOIN = matchingjoinsel);
COMMENT ON OPERATOR cdp.%~ (text, text) IS
    'True when cdp.name_similarity(a, b) >= cdp.similarity_threshold; indexable with cdp.gin_name_ops and cdp.gist_name_ops.';

CREATE OPERATOR cdp.<~> (
    LEFTARG = text, RIGHTARG = text, FUNCTION = cdp.name_distance,
    COMMUTATOR = OPERATOR(cdp.<~>));
COMMENT ON OPERATOR cdp.<~> (text, text) IS
    'Name distance 1 - cdp.name_similarity(a, b); KNN ordering with cdp.gist_name_ops.';

-- GIN -------------------------------------------------------------------------
CREATE FUNCTION cdp.gin_name_extract_value(text, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cdp_gin_name_extract_value'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gin_name_extract_value(text, internal) IS 'GIN support (cdp.gin_name_ops): keys of a stored name.';

CREATE FUNCTION cdp.gin_name_extract_query(text, internal, int2, internal, internal, internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cdp_gin_name_extract_query'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gin_name_extract_query(text, internal, int2, internal, internal, internal, internal) IS
    'GIN support (cdp.gin_name_ops): keys of a query name and the levels they prove.';

CREATE FUNCTION cdp.gin_name_consistent(internal, int2, text, int4, internal, internal, internal, internal) RETURNS bool
    AS 'MODULE_PATHNAME', 'cdp_gin_name_consistent'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gin_name_consistent(internal, int2, text, int4, internal, internal, internal, internal) IS
    'GIN support (cdp.gin_name_ops): score upper bound from the keys present reaches the threshold.';

CREATE FUNCTION cdp.gin_name_triconsistent(internal, int2, text, int4, internal, internal, internal) RETURNS "char"
    AS 'MODULE_PATHNAME', 'cdp_gin_name_triconsistent'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gin_name_triconsistent(internal, int2, text, int4, internal, internal, internal) IS
    'GIN support (cdp.gin_name_ops): ternary form of gin_name_consistent.';

CREATE FUNCTION cdp.gin_name_options(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'cdp_gin_name_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gin_name_options(internal) IS
    'GIN support (cdp.gin_name_ops): operator class option pairs (bool, default true; README "Name matching").';

CREATE OPERATOR CLASS cdp.gin_name_ops FOR TYPE text USING gin AS
    OPERATOR 1 cdp.%~ (text, text),
    FUNCTION 1 pg_catalog.btint4cmp(int4, int4),
    FUNCTION 2 cdp.gin_name_extract_value(text, internal),
    FUNCTION 3 cdp.gin_name_extract_query(text, internal, int2, internal, internal, internal, internal),
    FUNCTION 4 cdp.gin_name_consistent(internal, int2, text, int4, internal, internal, internal, internal),
    FUNCTION 6 cdp.gin_name_triconsistent(internal, int2, text, int4, internal, internal, internal),
    FUNCTION 7 cdp.gin_name_options(internal),
    STORAGE int4;
COMMENT ON OPERATOR CLASS cdp.gin_name_ops USING gin IS
    'GIN index on person names for %~ (keys: token deletion variants, phonetic codes, initials, initial-token pairs; README "Name matching").';

-- GiST ------------------------------------------------------------------------
-- Index key type of cdp.gist_name_ops: a token dictionary (README "Name
-- matching").  Storage plain: keys are never compressed, so scans read them
-- in place.
CREATE TYPE cdp.gist_name_key;
CREATE FUNCTION cdp.gist_name_key_in(cstring) RETURNS cdp.gist_name_key
    AS 'MODULE_PATHNAME', 'cdp_gist_name_key_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_key_in(cstring) IS 'Input of cdp.gist_name_key: always an error (keys are made by the index).';
CREATE FUNCTION cdp.gist_name_key_out(cdp.gist_name_key) RETURNS cstring
    AS 'MODULE_PATHNAME', 'cdp_gist_name_key_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_key_out(cdp.gist_name_key) IS 'Output of cdp.gist_name_key: kind, token counts, leading-token range, first tokens.';
CREATE TYPE cdp.gist_name_key (
    INTERNALLENGTH = VARIABLE,
    INPUT = cdp.gist_name_key_in,
    OUTPUT = cdp.gist_name_key_out,
    STORAGE = plain
);
COMMENT ON TYPE cdp.gist_name_key IS 'Key of cdp.gist_name_ops: the distinct tokens (with phonetic code hashes) of the names below an index entry.';

CREATE FUNCTION cdp.gist_name_compress(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cdp_gist_name_compress'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_compress(internal) IS 'GiST support (cdp.gist_name_ops): a name becomes the dictionary of its tokens.';

CREATE FUNCTION cdp.gist_name_decompress(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cdp_gist_name_decompress'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_decompress(internal) IS 'GiST support (cdp.gist_name_ops): keys are read in place.';

CREATE FUNCTION cdp.gist_name_union(internal, internal) RETURNS cdp.gist_name_key
    AS 'MODULE_PATHNAME', 'cdp_gist_name_union'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_union(internal, internal) IS 'GiST support (cdp.gist_name_ops): union of token dictionaries (lossy when too large).';

CREATE FUNCTION cdp.gist_name_penalty(internal, internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cdp_gist_name_penalty'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_penalty(internal, internal, internal) IS 'GiST support (cdp.gist_name_ops): leading-token range, then dictionary growth.';

CREATE FUNCTION cdp.gist_name_picksplit(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cdp_gist_name_picksplit'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_picksplit(internal, internal) IS 'GiST support (cdp.gist_name_ops): split in token order.';

CREATE FUNCTION cdp.gist_name_same(cdp.gist_name_key, cdp.gist_name_key, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cdp_gist_name_same'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_same(cdp.gist_name_key, cdp.gist_name_key, internal) IS 'GiST support (cdp.gist_name_ops): key equality.';

CREATE FUNCTION cdp.gist_name_consistent(internal, text, int2, oid, internal) RETURNS bool
    AS 'MODULE_PATHNAME', 'cdp_gist_name_consistent'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_consistent(internal, text, int2, oid, internal) IS
    'GiST support (cdp.gist_name_ops): score upper bound of the names below reaches the threshold.';

CREATE FUNCTION cdp.gist_name_distance(internal, text, int2, oid, internal) RETURNS float8
    AS 'MODULE_PATHNAME', 'cdp_gist_name_distance'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_distance(internal, text, int2, oid, internal) IS
    'GiST support (cdp.gist_name_ops): lower bound of <~> for the names below (rechecked).';

CREATE FUNCTION cdp.gist_name_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'cdp_gist_name_sortsupport'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_sortsupport(internal) IS
    'GiST support (cdp.gist_name_ops): token order of names, for the sorted (bottom-up) index build.';

CREATE OPERATOR CLASS cdp.gist_name_ops FOR TYPE text USING gist AS
    OPERATOR 1 cdp.%~ (text, text),
    OPERATOR 2 cdp.<~> (text, text) FOR ORDER BY pg_catalog.float_ops,
    FUNCTION 1 cdp.gist_name_consistent(internal, text, int2, oid, internal),
    FUNCTION 2 cdp.gist_name_union(internal, internal),
    FUNCTION 3 cdp.gist_name_compress(internal),
    FUNCTION 4 cdp.gist_name_decompress(internal),
    FUNCTION 5 cdp.gist_name_penalty(internal, internal, internal),
    FUNCTION 6 cdp.gist_name_picksplit(internal, internal),
    FUNCTION 7 cdp.gist_name_same(cdp.gist_name_key, cdp.gist_name_key, internal),
    FUNCTION 8 cdp.gist_name_distance(internal, text, int2, oid, internal),
    FUNCTION 11 cdp.gist_name_sortsupport(internal),
    STORAGE cdp.gist_name_key;
COMMENT ON OPERATOR CLASS cdp.gist_name_ops USING gist IS
    'GiST index on person names for %~ and KNN ORDER BY name <~> query (token dictionaries, sorted build).';
-- Identity graph: tables (DESIGN.md section 3).  Functions live in
-- 31_identity.sql; ingest in 35_ingest.sql.
--
-- Configuration and user data are registered with pg_extension_config_dump
-- so that pg_dump/pg_restore keep them (seeded rows of identifier_types are
-- dumped only when changed by the DBA: see the WHERE filter).

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

CREATE SEQUENCE cdp.records_record_id_seq;
COMMENT ON SEQUENCE cdp.records_record_id_seq IS 'record_id generator; processing order of identity resolution.';
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

CREATE TABLE cdp.identifiers (
    record_id bigint NOT NULL REFERENCES cdp.records (record_id) ON DELETE CASCADE,
    id_type   text   NOT NULL REFERENCES cdp.identifier_types (id_type) ON UPDATE CASCADE,
    id_value  text   NOT NULL,
    PRIMARY KEY (record_id, id_type, id_value)
);
CREATE INDEX identifiers_value_idx ON cdp.identifiers (id_type, id_value);
COMMENT ON TABLE cdp.identifiers IS 'Normalised identifier values held by each record: the edges of the identity graph.';

CREATE SEQUENCE cdp.customers_customer_id_seq;
COMMENT ON SEQUENCE cdp.customers_customer_id_seq IS 'customer_id generator.';
CREATE TABLE cdp.customers (
    customer_id bigint PRIMARY KEY DEFAULT nextval('cdp.customers_customer_id_seq'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE cdp.customers_customer_id_seq OWNED BY cdp.customers.customer_id;
COMMENT ON TABLE cdp.customers IS 'One row per resolved person (the surviving id of a merge is the older, smaller one).';

CREATE TABLE cdp.customer_aliases (
    old_id      bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_aliases_customer_idx ON cdp.customer_aliases (customer_id);
COMMENT ON TABLE cdp.customer_aliases IS 'Merged-away customer ids and the customer they now resolve to.';

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

CREATE TABLE cdp.rejected_messages (
    rejected_id bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    source      text,
    batch_index int,
    error       text NOT NULL,
    payload     jsonb
);
COMMENT ON TABLE cdp.rejected_messages IS 'Messages cdp.ingest() refused, with the reason; nothing sent is lost.';

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

GRANT SELECT ON cdp.identifier_types, cdp.sources, cdp.records, cdp.identifiers, cdp.customers,
    cdp.customer_aliases, cdp.merge_log, cdp.events TO cdp_reader;
GRANT SELECT ON cdp.rejected_messages TO cdp_writer;
GRANT INSERT, UPDATE, DELETE ON cdp.identifier_types, cdp.sources TO cdp_admin;

COMMENT ON SEQUENCE cdp.merge_log_merge_id_seq IS 'merge_id generator.';
COMMENT ON SEQUENCE cdp.events_event_id_seq IS 'event_id generator.';
COMMENT ON SEQUENCE cdp.rejected_messages_rejected_id_seq IS 'rejected_id generator.';
-- Identity graph: functions (DESIGN.md section 3).  Tables: 30_identity_tables.sql.
-- Resolution semantics: README "Identity graph" and src/core/identity/engine.h.
-- Writing functions are SECURITY DEFINER (search_path pinned): roles get
-- EXECUTE on them, not write access to the tables.

CREATE FUNCTION cdp.upsert_record(source text, source_key text, identifiers jsonb, traits jsonb DEFAULT '{}')
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'cdp_upsert_record'
    LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.upsert_record(text, text, jsonb, jsonb) IS
    'Create or update the record (source, source_key) with identifiers {"type": value | [values]} and traits; resolves it incrementally and returns its customer id (NULL when cdp.defer_resolution is on).';
GRANT EXECUTE ON FUNCTION cdp.upsert_record(text, text, jsonb, jsonb) TO cdp_writer;

CREATE FUNCTION cdp.customer_id(id_type text, id_value text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'cdp_customer_id'
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.customer_id(text, text) IS
    'Customer holding an identifier value (normalised by type; the oldest record''s customer when several hold it), or NULL.';
GRANT EXECUTE ON FUNCTION cdp.customer_id(text, text) TO cdp_reader;

CREATE FUNCTION cdp.resolve_identities() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_resolve_identities'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.resolve_identities() IS
    'Batch identity resolution: replays every record in record_id order (same rules as upsert_record) and writes customers back set-wise; returns {records, customers, merges, refused_links, records_changed, ms}.';
GRANT EXECUTE ON FUNCTION cdp.resolve_identities() TO cdp_admin;

CREATE FUNCTION cdp.delete_record(source text, source_key text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_delete_record'
    LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.delete_record(text, text) IS
    'Removes a record and its identifiers; its customer is recomputed from the remaining records and splits when the record was the only bridge (the part with the oldest record keeps the id). Returns {deleted, record_id, customer_id, customers, split}.';
GRANT EXECUTE ON FUNCTION cdp.delete_record(text, text) TO cdp_writer;

CREATE FUNCTION cdp.block_identifier(id_type text, id_value text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_block_identifier'
    LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.block_identifier(text, text) IS
    'Adds a (normalised) value to identifier_types.blocked_values and splits the customers that were joined only through it. Returns {id_type, id_value, newly_blocked, customers, new_customers}.';
GRANT EXECUTE ON FUNCTION cdp.block_identifier(text, text) TO cdp_admin;

CREATE FUNCTION cdp.explain_link(record_a bigint, record_b bigint) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_explain_link'
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.explain_link(bigint, bigint) IS
    'Why two records belong to one customer: the shortest chain record, identifier, record, ... of shared non-blocked values inside their customer, or NULL when they are not in the same customer.';
GRANT EXECUTE ON FUNCTION cdp.explain_link(bigint, bigint) TO cdp_reader;

CREATE FUNCTION cdp.identity_graph(customer_id bigint, format text DEFAULT 'json') RETURNS text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $graph$
DECLARE
    c bigint := coalesce((SELECT a.customer_id FROM cdp.customer_aliases a WHERE a.old_id = identity_graph.customer_id),
                         identity_graph.customer_id);
    out text;
BEGIN
    IF format NOT IN ('json', 'dot') THEN
        RAISE EXCEPTION 'unknown graph format "%"', format
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''json'' or ''dot''.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cdp.records r WHERE r.customer_id = c) THEN
        RETURN NULL;
    END IF;
    IF format = 'json' THEN
        SELECT jsonb_build_object(
            'customer_id', c,
            'records', (SELECT jsonb_agg(jsonb_build_object('record_id', r.record_id, 'source', r.source,
                                                            'source_key', r.source_key) ORDER BY r.record_id)
                          FROM cdp.records r WHERE r.customer_id = c),
            'identifiers', (SELECT jsonb_agg(jsonb_build_object('id_type', x.id_type, 'id_value', x.id_value,
                                                                'blocked', x.blocked, 'records', x.recs)
                                             ORDER BY t.priority, x.id_type, x.id_value)
                              FROM (SELECT i.id_type, i.id_value, jsonb_agg(i.record_id ORDER BY i.record_id) AS recs,
                                           bool_or(i.id_value = ANY (tt.blocked_values)) AS blocked
                                      FROM cdp.identifiers i JOIN cdp.records r ON r.record_id = i.record_id
                                      JOIN cdp.identifier_types tt ON tt.id_type = i.id_type
                                     WHERE r.customer_id = c GROUP BY 1, 2) x
                              JOIN cdp.identifier_types t ON t.id_type = x.id_type))::text
          INTO out;
        RETURN out;
    END IF;
    -- Graphviz: records are boxes, identifier values ellipses (blocked: dashed).
    SELECT 'graph customer_' || c || E' {\n  rankdir=LR;\n'
        || coalesce((SELECT string_agg(format(E'  "r%s" [shape=box, label="%s"];', r.record_id,
                                               replace(replace(r.source || ':' || r.source_key || ' #' || r.record_id, '\', '\\'), '"', '\"')),
                                        E'\n' ORDER BY r.record_id)
                       FROM cdp.records r WHERE r.customer_id = c), '') || E'\n'
        || coalesce((SELECT string_agg(format(E'  "%s" [shape=ellipse%s, label="%s"];', v.node,
                                               CASE WHEN v.blocked THEN ', style=dashed' ELSE '' END, v.label),
                                        E'\n' ORDER BY v.node)
                       FROM (SELECT DISTINCT replace(replace(i.id_type || ':' || i.id_value, '\', '\\'), '"', '\"') AS node,
                                    replace(replace(i.id_type || E'\n' || i.id_value, '\', '\\'), '"', '\"') AS label,
                                    i.id_value = ANY (t.blocked_values) AS blocked
                               FROM cdp.identifiers i JOIN cdp.records r ON r.record_id = i.record_id
                               JOIN cdp.identifier_types t ON t.id_type = i.id_type
                              WHERE r.customer_id = c) v), '') || E'\n'
        || coalesce((SELECT string_agg(format(E'  "r%s" -- "%s";', i.record_id,
                                               replace(replace(i.id_type || ':' || i.id_value, '\', '\\'), '"', '\"')),
                                        E'\n' ORDER BY i.record_id, i.id_type, i.id_value)
                       FROM cdp.identifiers i JOIN cdp.records r ON r.record_id = i.record_id
                      WHERE r.customer_id = c), '')
        || E'\n}\n'
      INTO out;
    RETURN out;
END
$graph$;
COMMENT ON FUNCTION cdp.identity_graph(bigint, text) IS
    'The identity graph of one customer (aliases followed): records, identifier values and which records hold them, as ''json'' or Graphviz ''dot''; NULL for an unknown customer.';
GRANT EXECUTE ON FUNCTION cdp.identity_graph(bigint, text) TO cdp_reader;
-- Ingest of Segment-spec messages (DESIGN.md section 3): cdp.ingest().
-- The tables cdp.events and cdp.rejected_messages live in 30_identity_tables.sql.

CREATE FUNCTION cdp.ingest(payload jsonb, source text DEFAULT 'events') RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_ingest'
    LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.ingest(jsonb, text) IS
    'Ingests one Segment-spec message or {"batch":[...]} (identify, track, page, screen, group, alias) into records, identifiers and cdp.events; idempotent on messageId. Returns {"accepted":n,"duplicates":n,"rejected":[{"index":i,"error":"..."}]}; rejected messages are kept in cdp.rejected_messages.';
GRANT EXECUTE ON FUNCTION cdp.ingest(jsonb, text) TO cdp_writer;

CREATE FUNCTION cdp.ingest(payload jsonb, source text, endpoint text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_ingest'
    LANGUAGE C VOLATILE CALLED ON NULL INPUT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.ingest(jsonb, text, text) IS
    'cdp.ingest() for a Segment HTTP Tracking API body: endpoint (identify, track, page, screen, group, alias, batch, import) gives the type of messages that carry no "type" (NULL: none); NULL payload or source gives NULL.';
GRANT EXECUTE ON FUNCTION cdp.ingest(jsonb, text, text) TO cdp_writer;
-- Operations: version, stats, boundary self-test.

CREATE FUNCTION cdp.version() RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_version'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp.version() IS 'Version of the cdp shared library (equals the extension version when up to date).';
GRANT EXECUTE ON FUNCTION cdp.version() TO cdp_reader;

CREATE FUNCTION cdp._boundary_selftest(mode text, n bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'cdp_boundary_selftest'
    LANGUAGE C VOLATILE STRICT
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cdp._boundary_selftest(text, bigint) IS
    'Diagnostics of the C++/PostgreSQL boundary (modes cxx_error, std_error, pg_error, spin, alloc, spi); admin only.';
GRANT EXECUTE ON FUNCTION cdp._boundary_selftest(text, bigint) TO cdp_admin;

-- cdp.stats(): counts and last run times.  Each area adds its figures here
-- as its tables appear; keys whose tables do not exist yet are omitted.
CREATE FUNCTION cdp.stats() RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $stats$
DECLARE
    result jsonb := jsonb_build_object('version', cdp.version());
    t text;
    n bigint;
BEGIN
    -- Row counts of every cdp table (estimates for big ones would be cheaper;
    -- exact counts are what a DBA expects from a stats call).
    FOR t IN
        SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind IN ('r', 'p')
        ORDER BY c.relname
    LOOP
        EXECUTE format('SELECT count(*) FROM cdp.%I', t) INTO n;
        result := result || jsonb_build_object(t, n);
    END LOOP;
    result := result || jsonb_build_object(
        'settings', (SELECT jsonb_object_agg(name, setting ORDER BY name)
                     FROM pg_settings WHERE name LIKE 'cdp.%'));
    RETURN result;
END
$stats$;
COMMENT ON FUNCTION cdp.stats() IS 'Row counts of every cdp table, last run times and the cdp.* settings, as jsonb.';
GRANT EXECUTE ON FUNCTION cdp.stats() TO cdp_reader;
-- Nothing is granted to PUBLIC: access goes through cdp_reader,
-- cdp_writer and cdp_admin.  Keep this fragment last.
REVOKE ALL ON SCHEMA cdp FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA cdp FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA cdp FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA cdp FROM PUBLIC;
REVOKE ALL ON ALL PROCEDURES IN SCHEMA cdp FROM PUBLIC;
