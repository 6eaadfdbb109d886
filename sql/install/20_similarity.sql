-- Similarity of strings (docs/similarity.md).  All functions work on Unicode
-- code points and are pure: IMMUTABLE STRICT PARALLEL SAFE, no search_path
-- needed (C, no queries).  Inputs too long for bounded work raise 54000.

CREATE FUNCTION cdp.levenshtein(a text, b text) RETURNS integer
    AS 'MODULE_PATHNAME', 'cdp_levenshtein'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.levenshtein(text, text) IS
    'Levenshtein edit distance (unit costs) between a and b in Unicode code points; bit-parallel.';
REVOKE ALL ON FUNCTION cdp.levenshtein(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.levenshtein(text, text) TO cdp_reader;

CREATE FUNCTION cdp.levenshtein(a text, b text, max integer) RETURNS integer
    AS 'MODULE_PATHNAME', 'cdp_levenshtein_max'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.levenshtein(text, text, integer) IS
    'Bounded Levenshtein distance: the distance when it is <= max, otherwise max + 1 (stops early).';
REVOKE ALL ON FUNCTION cdp.levenshtein(text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.levenshtein(text, text, integer) TO cdp_reader;

CREATE FUNCTION cdp.damerau_levenshtein(a text, b text) RETURNS integer
    AS 'MODULE_PATHNAME', 'cdp_damerau_levenshtein'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.damerau_levenshtein(text, text) IS
    'Unrestricted Damerau-Levenshtein distance (insertions, deletions, substitutions, transpositions), as jellyfish.';
REVOKE ALL ON FUNCTION cdp.damerau_levenshtein(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.damerau_levenshtein(text, text) TO cdp_reader;

CREATE FUNCTION cdp.jaro(a text, b text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'cdp_jaro'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.jaro(text, text) IS
    'Jaro similarity in [0,1] (jellyfish semantics; 0 when either string is empty).';
REVOKE ALL ON FUNCTION cdp.jaro(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.jaro(text, text) TO cdp_reader;

CREATE FUNCTION cdp.jaro_winkler(a text, b text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'cdp_jaro_winkler'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.jaro_winkler(text, text) IS
    'Jaro-Winkler similarity in [0,1]: prefix scale 0.1, common prefix up to 4, applied when Jaro > 0.7 (jellyfish).';
REVOKE ALL ON FUNCTION cdp.jaro_winkler(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.jaro_winkler(text, text) TO cdp_reader;

CREATE FUNCTION cdp.trigram_similarity(a text, b text) RETURNS real
    AS 'MODULE_PATHNAME', 'cdp_trigram_similarity'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.trigram_similarity(text, text) IS
    'Trigram similarity, equal to pg_trgm similarity(a, b) (same words, lower-casing, padding and multibyte trigrams).';
REVOKE ALL ON FUNCTION cdp.trigram_similarity(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.trigram_similarity(text, text) TO cdp_reader;

CREATE FUNCTION cdp.token_set_similarity(a text, b text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'cdp_token_set_similarity'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.token_set_similarity(text, text) IS
    'Order-insensitive token similarity in [0,1]: distinct lower-cased tokens paired greedily by Jaro-Winkler, 2*sum/(|A|+|B|).';
REVOKE ALL ON FUNCTION cdp.token_set_similarity(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.token_set_similarity(text, text) TO cdp_reader;

