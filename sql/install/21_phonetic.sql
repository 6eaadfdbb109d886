-- Phonetic codes of names (docs/similarity.md).  Pure C functions:
-- IMMUTABLE STRICT PARALLEL SAFE.

CREATE FUNCTION cdp.soundex(s text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_soundex'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.soundex(text) IS
    'American Soundex, equal to fuzzystrmatch soundex() on ASCII; accented Latin letters fold to their base letter; '''' without letters.';
REVOKE ALL ON FUNCTION cdp.soundex(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.soundex(text) TO cdp_reader;

CREATE FUNCTION cdp.metaphone(s text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_metaphone'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.metaphone(text) IS
    'Metaphone code with jellyfish rules (every word coded, words separated by a space, no length limit).';
REVOKE ALL ON FUNCTION cdp.metaphone(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.metaphone(text) TO cdp_reader;

CREATE FUNCTION cdp.nysiis(s text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_nysiis'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.nysiis(text) IS 'NYSIIS code with jellyfish rules (no length limit).';
REVOKE ALL ON FUNCTION cdp.nysiis(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.nysiis(text) TO cdp_reader;

CREATE FUNCTION cdp.double_metaphone(s text) RETURNS text[]
    AS 'MODULE_PATHNAME', 'cdp_double_metaphone'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.double_metaphone(text) IS
    'Double Metaphone {primary, alternate}, equal to {fuzzystrmatch dmetaphone(s), dmetaphone_alt(s)} on ASCII input.';
REVOKE ALL ON FUNCTION cdp.double_metaphone(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.double_metaphone(text) TO cdp_reader;

