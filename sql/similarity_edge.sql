-- Similarity and phonetics: edge cases, long strings, bounded work, errors,
-- token_set_similarity and the documented differences from the peers.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
RESET client_min_messages;

-- Empty strings: distances are lengths, similarities 0 (jellyfish, pg_trgm), codes ''.
SELECT cdp.levenshtein('', '') AS lev_ee, cdp.levenshtein('', 'abc') AS lev_e3, cdp.levenshtein('abc', '', 1) AS lev_b,
       cdp.damerau_levenshtein('', 'ab') AS dl, cdp.jaro('', '') AS jaro, cdp.jaro_winkler('', 'a') AS jw,
       cdp.trigram_similarity('', '') AS trgm, cdp.token_set_similarity('', '') AS tss,
       cdp.soundex('') AS sx, cdp.metaphone('') AS mp, cdp.nysiis('') AS ny, cdp.double_metaphone('') AS dm;
-- STRICT: NULL in, NULL out
SELECT cdp.levenshtein(NULL, 'a') IS NULL AS lev, cdp.jaro_winkler('a', NULL) IS NULL AS jw,
       cdp.double_metaphone(NULL) IS NULL AS dm;

-- Code points, not bytes (é is 2 bytes, 😀 is 4 bytes and outside the BMP)
SELECT cdp.levenshtein('José', 'Jose') AS lev_accent, cdp.levenshtein('😀a', 'a😀') AS lev_emoji,
       cdp.damerau_levenshtein('😀a', 'a😀') AS dl_emoji, cdp.damerau_levenshtein('ca', 'abc') AS dl_unrestricted,
       round(cdp.jaro('😀😁😂', '😀😂😁')::numeric, 4) AS jaro_emoji,
       round(cdp.jaro_winkler('Müller', 'Mueller')::numeric, 4) AS jw_umlaut;

-- Bounded form: max + 1 as soon as the distance exceeds max; negative max is an error
SELECT cdp.levenshtein('kitten', 'sitting', 0) AS max0, cdp.levenshtein('kitten', 'sitting', 2) AS max2,
       cdp.levenshtein('kitten', 'sitting', 3) AS max3, cdp.levenshtein('kitten', 'sitting', 100) AS max100;
SELECT cdp.levenshtein('a', 'b', -1);

-- Long strings crossing 64-character words, ASCII and multibyte, against
-- fuzzystrmatch (its limit is 255 characters): expected 0 mismatches.
CREATE TEMP TABLE sim_long AS
SELECT i, a, b FROM (
  SELECT i,
         left(repeat(md5(i::text) || md5((i * 7)::text), 8), 60 + i % 190) AS a,
         left(repeat(md5((i + 1)::text) || md5(i::text), 8), 60 + (i * 13) % 190) AS b
    FROM generate_series(1, 400) AS i) s;
INSERT INTO sim_long
SELECT i + 1000, translate(a, 'abc0', 'àß€😀'), translate(b, 'abd1', 'àß€😀') FROM sim_long;
SELECT count(*) AS pairs, max(length(a)) AS longest,
       count(*) FILTER (WHERE cdp.levenshtein(a, b) <> levenshtein(a, b)) AS lev_mismatches,
       count(*) FILTER (WHERE cdp.levenshtein(a, b, 100) <> least(levenshtein_less_equal(a, b, 100), 101))
           AS bounded_mismatches,
       count(*) FILTER (WHERE cdp.levenshtein(a, b, 100) = 101) > 0 AS some_exceed
  FROM sim_long;
-- long strings with shared prefix/suffix: the affix is stripped before work
SELECT cdp.levenshtein(repeat('x', 300) || 'abc' || repeat('y', 300), repeat('x', 300) || 'acb' || repeat('y', 300))
           AS lev_affix,
       levenshtein(repeat('x', 100) || 'abc' || repeat('y', 100), repeat('x', 100) || 'acb' || repeat('y', 100))
           AS fuzzystrmatch_short_affix;
DROP TABLE sim_long;

-- Megabyte inputs: bounded work or a clear error, never a long call
SELECT cdp.levenshtein(repeat('ab', 500000), repeat('ab', 500000)) AS identical_1mb,
       cdp.levenshtein(repeat('a', 1000000), repeat('b', 1000000), 5) AS bounded_1mb,
       cdp.levenshtein(repeat('a', 20000), repeat('ab', 10000)) AS lev_20k,
       round(cdp.jaro_winkler(repeat('abcd', 250000), repeat('abdc', 250000))::numeric, 4) AS jw_1mb,
       cdp.trigram_similarity(repeat('word ', 200000), repeat('word ', 100000)) AS trgm_1mb,
       length(cdp.metaphone(repeat('smith ', 100000))) AS metaphone_len,
       cdp.double_metaphone(repeat('x', 1000000)) AS dm_1mb, cdp.soundex(repeat('-', 999999) || 'r') AS sx_1mb,
       length(cdp.nysiis(repeat('ab', 500000))) AS nysiis_len;
SELECT cdp.levenshtein(repeat('a', 1000000), repeat('b', 1000000));
SELECT cdp.damerau_levenshtein(repeat('a', 100000), repeat('b', 100000));
SELECT cdp.token_set_similarity(string_agg(md5(i::text), ' '), string_agg(md5((i + 1)::text), ' '))
  FROM generate_series(1, 5000) i;

-- token_set_similarity: definition examples
SELECT a, b, round(cdp.token_set_similarity(a, b)::numeric, 4) AS token_set
  FROM (VALUES ('Rossi Mario', 'mario rossi'), ('Mario Rossi', 'Rossi'), ('Mario  Rossi', 'ROSSI, Mario!'),
               ('Mario Rossi', 'Maria Rossi'), ('Mario Rossi', 'Luigi Bianchi'), ('José Núñez', 'núñez josé'),
               ('a b', 'b a a')) AS v(a, b)
 ORDER BY 1, 2;
-- symmetric and in [0,1] over many pairs
SELECT count(*) FILTER (WHERE cdp.token_set_similarity(a, b) <> cdp.token_set_similarity(b, a)) AS asymmetric,
       count(*) FILTER (WHERE cdp.token_set_similarity(a, b) NOT BETWEEN 0 AND 1) AS out_of_range
  FROM (SELECT md5(i::text) || ' ' || left(md5((i * 3)::text), 5) AS a,
               left(md5((i * 3)::text), 5) || ' ' || md5((i + 1)::text) AS b
          FROM generate_series(1, 500) i) s;

-- Documented differences from the peers (non-ASCII input only for
-- double_metaphone: fuzzystrmatch works on bytes and never sees Ñ/Ç in UTF-8)
SELECT n, cdp.double_metaphone(n) AS cdp, ARRAY[dmetaphone(n), dmetaphone_alt(n)] AS fuzzystrmatch
  FROM (VALUES ('Muñoz'), ('Garçon'), ('Munoz'), ('José')) AS v(n) ORDER BY n;
-- soundex folds accented Latin letters (fuzzystrmatch skips non-ASCII bytes)
SELECT n, cdp.soundex(n) AS cdp, soundex(n) AS fuzzystrmatch
  FROM (VALUES ('Émile'), ('Müller'), ('Åsa'), ('Ashcroft')) AS v(n) ORDER BY n;
