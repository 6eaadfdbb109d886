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

CREATE OPERATOR CLASS cdp.gin_name_ops FOR TYPE text USING gin AS
    OPERATOR 1 cdp.%~ (text, text),
    FUNCTION 1 pg_catalog.btint4cmp(int4, int4),
    FUNCTION 2 cdp.gin_name_extract_value(text, internal),
    FUNCTION 3 cdp.gin_name_extract_query(text, internal, int2, internal, internal, internal, internal),
    FUNCTION 4 cdp.gin_name_consistent(internal, int2, text, int4, internal, internal, internal, internal),
    FUNCTION 6 cdp.gin_name_triconsistent(internal, int2, text, int4, internal, internal, internal),
    STORAGE int4;
COMMENT ON OPERATOR CLASS cdp.gin_name_ops USING gin IS
    'GIN index on person names for %~ (keys: token deletion variants, nickname rows, phonetic codes, initials).';
