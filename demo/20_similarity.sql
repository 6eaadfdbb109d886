-- cdp demo, part 2: comparing names (similarity and phonetic codes).
\set QUIET on
\pset footer off
\echo
\echo '== Edit distances and Jaro-Winkler on name variants =='
SELECT a, b, cdp.levenshtein(a, b) AS levenshtein, cdp.damerau_levenshtein(a, b) AS damerau,
       round(cdp.jaro_winkler(a, b)::numeric, 3) AS jaro_winkler,
       round(cdp.trigram_similarity(a, b)::numeric, 3) AS trigram,
       round(cdp.token_set_similarity(a, b)::numeric, 3) AS token_set
  FROM (VALUES ('Mario Rossi', 'Rossi Mario'), ('Giuseppe Verdi', 'Guiseppe Verdi'), ('Catherine', 'Kathryn'),
               ('Jon Smith', 'John Smyth'), ('José Núñez', 'Jose Nunez')) AS v(a, b);
\echo
\echo '== Phonetic codes: different spellings, same sound =='
SELECT n, cdp.soundex(n) AS soundex, cdp.metaphone(n) AS metaphone, cdp.nysiis(n) AS nysiis,
       cdp.double_metaphone(n) AS double_metaphone
  FROM (VALUES ('Smith'), ('Smyth'), ('Schmidt'), ('Catherine'), ('Kathryn'), ('Muñoz'), ('Munoz')) AS v(n);
\echo
\echo '== Bounded edit distance: cheap filter (returns max+1 as soon as it is exceeded) =='
SELECT cdp.levenshtein('Alessandro', 'Alesandro', 2) AS close, cdp.levenshtein('Alessandro', 'Alexander', 2) AS far;
