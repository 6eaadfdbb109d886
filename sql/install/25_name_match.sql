-- Person-name matching (docs/namematch.md): cdp.name_similarity, the %~ and
-- <~> operators and the operator classes cdp.gin_name_ops / cdp.gist_name_ops.
-- The score and the index keys are defined in docs/namematch.md.

CREATE FUNCTION cdp.name_similarity(a text, b text) RETURNS float8
    AS 'MODULE_PATHNAME', 'cdp_name_similarity'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.name_similarity(text, text) IS
    'Person-name similarity in [0,1]: normalised, token-order-insensitive, nickname-aware, initials, typos, phonetics (docs/namematch.md).';
REVOKE ALL ON FUNCTION cdp.name_similarity(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.name_similarity(text, text) TO cdp_reader;

-- STABLE: the result depends on the GUC cdp.similarity_threshold.
CREATE FUNCTION cdp.name_similar_op(a text, b text) RETURNS bool
    AS 'MODULE_PATHNAME', 'cdp_name_similar_op'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.name_similar_op(text, text) IS
    'Implements a %~ b: cdp.name_similarity(a, b) >= cdp.similarity_threshold.';
REVOKE ALL ON FUNCTION cdp.name_similar_op(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.name_similar_op(text, text) TO cdp_reader;

CREATE FUNCTION cdp.name_distance(a text, b text) RETURNS float8
    AS 'MODULE_PATHNAME', 'cdp_name_distance'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.name_distance(text, text) IS
    'Implements a <~> b: 1 - cdp.name_similarity(a, b), for ORDER BY name <~> query LIMIT k.';
REVOKE ALL ON FUNCTION cdp.name_distance(text, text) FROM PUBLIC;
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
REVOKE ALL ON FUNCTION cdp.gin_name_extract_value(text, internal) FROM PUBLIC;

CREATE FUNCTION cdp.gin_name_extract_query(text, internal, int2, internal, internal, internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cdp_gin_name_extract_query'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gin_name_extract_query(text, internal, int2, internal, internal, internal, internal) IS
    'GIN support (cdp.gin_name_ops): keys of a query name and the levels they prove.';
REVOKE ALL ON FUNCTION cdp.gin_name_extract_query(text, internal, int2, internal, internal, internal, internal) FROM PUBLIC;

CREATE FUNCTION cdp.gin_name_consistent(internal, int2, text, int4, internal, internal, internal, internal) RETURNS bool
    AS 'MODULE_PATHNAME', 'cdp_gin_name_consistent'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gin_name_consistent(internal, int2, text, int4, internal, internal, internal, internal) IS
    'GIN support (cdp.gin_name_ops): score upper bound from the keys present reaches the threshold.';
REVOKE ALL ON FUNCTION cdp.gin_name_consistent(internal, int2, text, int4, internal, internal, internal, internal) FROM PUBLIC;

CREATE FUNCTION cdp.gin_name_triconsistent(internal, int2, text, int4, internal, internal, internal) RETURNS "char"
    AS 'MODULE_PATHNAME', 'cdp_gin_name_triconsistent'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gin_name_triconsistent(internal, int2, text, int4, internal, internal, internal) IS
    'GIN support (cdp.gin_name_ops): ternary form of gin_name_consistent.';
REVOKE ALL ON FUNCTION cdp.gin_name_triconsistent(internal, int2, text, int4, internal, internal, internal) FROM PUBLIC;

CREATE FUNCTION cdp.gin_name_options(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'cdp_gin_name_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gin_name_options(internal) IS
    'GIN support (cdp.gin_name_ops): operator class option pairs (bool, default true; docs/namematch.md).';
REVOKE ALL ON FUNCTION cdp.gin_name_options(internal) FROM PUBLIC;

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
    'GIN index on person names for %~ (keys: token deletion variants, phonetic codes, initials, initial-token pairs; docs/namematch.md).';

-- GiST ------------------------------------------------------------------------
-- Index key type of cdp.gist_name_ops: a token dictionary
-- (docs/namematch.md).  Storage plain: keys are never compressed, so scans read them
-- in place.
CREATE TYPE cdp.gist_name_key;
CREATE FUNCTION cdp.gist_name_key_in(cstring) RETURNS cdp.gist_name_key
    AS 'MODULE_PATHNAME', 'cdp_gist_name_key_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_key_in(cstring) IS 'Input of cdp.gist_name_key: always an error (keys are made by the index).';
REVOKE ALL ON FUNCTION cdp.gist_name_key_in(cstring) FROM PUBLIC;
CREATE FUNCTION cdp.gist_name_key_out(cdp.gist_name_key) RETURNS cstring
    AS 'MODULE_PATHNAME', 'cdp_gist_name_key_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_key_out(cdp.gist_name_key) IS 'Output of cdp.gist_name_key: kind, token counts, leading-token range, first tokens.';
REVOKE ALL ON FUNCTION cdp.gist_name_key_out(cdp.gist_name_key) FROM PUBLIC;
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
REVOKE ALL ON FUNCTION cdp.gist_name_compress(internal) FROM PUBLIC;

CREATE FUNCTION cdp.gist_name_decompress(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cdp_gist_name_decompress'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_decompress(internal) IS 'GiST support (cdp.gist_name_ops): keys are read in place.';
REVOKE ALL ON FUNCTION cdp.gist_name_decompress(internal) FROM PUBLIC;

CREATE FUNCTION cdp.gist_name_union(internal, internal) RETURNS cdp.gist_name_key
    AS 'MODULE_PATHNAME', 'cdp_gist_name_union'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_union(internal, internal) IS 'GiST support (cdp.gist_name_ops): union of token dictionaries (lossy when too large).';
REVOKE ALL ON FUNCTION cdp.gist_name_union(internal, internal) FROM PUBLIC;

CREATE FUNCTION cdp.gist_name_penalty(internal, internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cdp_gist_name_penalty'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_penalty(internal, internal, internal) IS 'GiST support (cdp.gist_name_ops): leading-token range, then dictionary growth.';
REVOKE ALL ON FUNCTION cdp.gist_name_penalty(internal, internal, internal) FROM PUBLIC;

CREATE FUNCTION cdp.gist_name_picksplit(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cdp_gist_name_picksplit'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_picksplit(internal, internal) IS 'GiST support (cdp.gist_name_ops): split in token order.';
REVOKE ALL ON FUNCTION cdp.gist_name_picksplit(internal, internal) FROM PUBLIC;

CREATE FUNCTION cdp.gist_name_same(cdp.gist_name_key, cdp.gist_name_key, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cdp_gist_name_same'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_same(cdp.gist_name_key, cdp.gist_name_key, internal) IS 'GiST support (cdp.gist_name_ops): key equality.';
REVOKE ALL ON FUNCTION cdp.gist_name_same(cdp.gist_name_key, cdp.gist_name_key, internal) FROM PUBLIC;

CREATE FUNCTION cdp.gist_name_consistent(internal, text, int2, oid, internal) RETURNS bool
    AS 'MODULE_PATHNAME', 'cdp_gist_name_consistent'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_consistent(internal, text, int2, oid, internal) IS
    'GiST support (cdp.gist_name_ops): score upper bound of the names below reaches the threshold.';
REVOKE ALL ON FUNCTION cdp.gist_name_consistent(internal, text, int2, oid, internal) FROM PUBLIC;

CREATE FUNCTION cdp.gist_name_distance(internal, text, int2, oid, internal) RETURNS float8
    AS 'MODULE_PATHNAME', 'cdp_gist_name_distance'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_distance(internal, text, int2, oid, internal) IS
    'GiST support (cdp.gist_name_ops): lower bound of <~> for the names below (rechecked).';
REVOKE ALL ON FUNCTION cdp.gist_name_distance(internal, text, int2, oid, internal) FROM PUBLIC;

CREATE FUNCTION cdp.gist_name_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'cdp_gist_name_sortsupport'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gist_name_sortsupport(internal) IS
    'GiST support (cdp.gist_name_ops): token order of names, for the sorted (bottom-up) index build.';
REVOKE ALL ON FUNCTION cdp.gist_name_sortsupport(internal) FROM PUBLIC;

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
