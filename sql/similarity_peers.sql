-- Similarity and phonetics: equality with the peers (fuzzystrmatch, pg_trgm)
-- over every distinct name of the FEBRL and pseudopeople data sets (given
-- names, surnames, middle names, full names), each paired with two shifted
-- neighbours and a pseudo-random partner.  Expected: 0 mismatches.
\set SHOW_CONTEXT never
\getenv cdp_data CDP_TEST_DATA
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
RESET client_min_messages;

CREATE TEMP TABLE sim_febrl (rec_id text, given_name text, surname text, street_number text, address_1 text,
    address_2 text, suburb text, postcode text, state text, date_of_birth text, soc_sec_id text);
\set path :cdp_data '/febrl1/dataset1.csv'
COPY sim_febrl FROM :'path' WITH (FORMAT csv, HEADER true);
\set path :cdp_data '/febrl2/dataset2.csv'
COPY sim_febrl FROM :'path' WITH (FORMAT csv, HEADER true);
\set path :cdp_data '/febrl3/dataset3.csv'
COPY sim_febrl FROM :'path' WITH (FORMAT csv, HEADER true);

CREATE TEMP TABLE sim_acs (unit_number text, household_id text, copy_age text, zipcode text, survey_date text,
    copy_date_of_birth text, guardian_1 text, first_name text, relationship_to_reference_person text, state text,
    middle_initial text, guardian_2 text, street_name text, race_ethnicity text, simulant_id text, city text,
    date_of_birth text, housing_type text, sex text, street_number text, age text, last_name text);
\set path :cdp_data '/pseudopeople/american_community_survey.csv'
COPY sim_acs FROM :'path' WITH (FORMAT csv, HEADER true);
CREATE TEMP TABLE sim_cps (unit_number text, household_id text, copy_age text, zipcode text, survey_date text,
    copy_date_of_birth text, guardian_1 text, first_name text, state text, middle_initial text, guardian_2 text,
    street_name text, race_ethnicity text, simulant_id text, city text, date_of_birth text, housing_type text,
    sex text, street_number text, age text, last_name text);
\set path :cdp_data '/pseudopeople/current_population_survey.csv'
COPY sim_cps FROM :'path' WITH (FORMAT csv, HEADER true);
CREATE TEMP TABLE sim_census (unit_number text, household_id text, copy_age text, zipcode text,
    copy_date_of_birth text, guardian_1 text, first_name text, relationship_to_reference_person text, state text,
    middle_initial text, year text, guardian_2 text, street_name text, race_ethnicity text, simulant_id text,
    city text, date_of_birth text, housing_type text, sex text, street_number text, age text, last_name text);
\set path :cdp_data '/pseudopeople/decennial_census.csv'
COPY sim_census FROM :'path' WITH (FORMAT csv, HEADER true);
CREATE TEMP TABLE sim_ssa (copy_ssn text, event_date text, copy_date_of_birth text, simulant_id text, ssn text,
    first_name text, date_of_birth text, sex text, last_name text, event_type text, middle_name text);
\set path :cdp_data '/pseudopeople/social_security.csv'
COPY sim_ssa FROM :'path' WITH (FORMAT csv, HEADER true);
CREATE TEMP TABLE sim_wic (unit_number text, household_id text, zipcode text, copy_date_of_birth text,
    guardian_1 text, first_name text, relationship_to_reference_person text, state text, middle_initial text,
    year text, guardian_2 text, street_name text, race_ethnicity text, simulant_id text, city text,
    date_of_birth text, housing_type text, sex text, street_number text, last_name text);
\set path :cdp_data '/pseudopeople/women_infants_and_children.csv'
COPY sim_wic FROM :'path' WITH (FORMAT csv, HEADER true);

CREATE TEMP TABLE sim_names AS
SELECT DISTINCT n AS name FROM (
    SELECT trim(given_name) FROM sim_febrl UNION ALL SELECT trim(surname) FROM sim_febrl
    UNION ALL SELECT trim(given_name) || ' ' || trim(surname) FROM sim_febrl
    UNION ALL SELECT first_name FROM sim_acs UNION ALL SELECT last_name FROM sim_acs
    UNION ALL SELECT first_name || ' ' || last_name FROM sim_acs
    UNION ALL SELECT first_name FROM sim_cps UNION ALL SELECT last_name FROM sim_cps
    UNION ALL SELECT first_name || ' ' || last_name FROM sim_cps
    UNION ALL SELECT first_name FROM sim_census UNION ALL SELECT last_name FROM sim_census
    UNION ALL SELECT first_name || ' ' || last_name FROM sim_census
    UNION ALL SELECT first_name FROM sim_ssa UNION ALL SELECT last_name FROM sim_ssa
    UNION ALL SELECT middle_name FROM sim_ssa
    UNION ALL SELECT first_name || ' ' || middle_name || ' ' || last_name FROM sim_ssa
    UNION ALL SELECT first_name FROM sim_wic UNION ALL SELECT last_name FROM sim_wic
    UNION ALL SELECT first_name || ' ' || last_name FROM sim_wic
) AS s(n)
WHERE n IS NOT NULL AND n <> '';
SELECT count(*) > 50000 AS many_names, count(*) FILTER (WHERE name ~ ' ') > 20000 AS many_full_names,
       max(length(name)) < 255 AS within_fuzzystrmatch_limit
  FROM sim_names;

-- Pairs: neighbour in sort order, the 7th neighbour, and a pseudo-random partner.
CREATE TEMP TABLE sim_pairs AS
WITH o AS (SELECT name, row_number() OVER (ORDER BY name) AS i,
                  row_number() OVER (ORDER BY md5(name)) AS r FROM sim_names),
     n AS (SELECT count(*) AS c FROM o)
SELECT a.name AS a, b.name AS b FROM o a, n, o b WHERE b.i = a.i % n.c + 1
UNION ALL
SELECT a.name, b.name FROM o a, n, o b WHERE b.i = (a.i + 6) % n.c + 1
UNION ALL
SELECT a.name, b.name FROM o a, o b WHERE b.r = a.i;
SELECT count(*) > 150000 AS many_pairs FROM sim_pairs;

-- levenshtein (unbounded and bounded) = fuzzystrmatch
SELECT count(*) FILTER (WHERE cdp.levenshtein(a, b) <> levenshtein(a, b)) AS levenshtein_mismatches,
       count(*) FILTER (WHERE cdp.levenshtein(a, b, 2) <> least(levenshtein_less_equal(a, b, 2), 3))
           AS bounded_mismatches,
       count(DISTINCT levenshtein(a, b)) > 10 AS varied
  FROM sim_pairs;

-- trigram_similarity = pg_trgm similarity
SELECT count(*) FILTER (WHERE cdp.trigram_similarity(a, b) IS DISTINCT FROM similarity(a, b)) AS trigram_mismatches,
       count(*) FILTER (WHERE similarity(a, b) > 0.3) > 1000 AS many_similar
  FROM sim_pairs;

-- soundex and double metaphone, per name
SELECT count(*) FILTER (WHERE cdp.soundex(name) <> soundex(name)) AS soundex_mismatches,
       count(*) FILTER (WHERE cdp.double_metaphone(name) <> ARRAY[dmetaphone(name), dmetaphone_alt(name)])
           AS double_metaphone_mismatches,
       count(*) FILTER (WHERE dmetaphone(name) <> dmetaphone_alt(name)) > 1000 AS many_alternates
  FROM sim_names;

-- a few readable examples
SELECT name, cdp.soundex(name) AS soundex, cdp.double_metaphone(name) AS double_metaphone,
       ARRAY[dmetaphone(name), dmetaphone_alt(name)] AS fuzzystrmatch
  FROM sim_names WHERE name IN ('michael', 'Schmidt', 'Xavier', 'gallegos', 'Thomas', 'Wasserman', 'caesar')
 ORDER BY name;
SELECT a, b, cdp.levenshtein(a, b) AS cdp_lev, levenshtein(a, b) AS fsm_lev,
       cdp.trigram_similarity(a, b) AS cdp_trgm, similarity(a, b) AS pg_trgm
  FROM sim_pairs WHERE a IN ('michael', 'Schmidt', 'gallegos') ORDER BY a, b;

DROP TABLE sim_febrl, sim_acs, sim_cps, sim_census, sim_ssa, sim_wic, sim_names, sim_pairs;
