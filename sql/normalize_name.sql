-- cdp.normalize_name / cdp.normalize_address over every distinct name and
-- street of the bundled data sets (pseudopeople, FEBRL, Splink historical
-- 50k with accented names): outputs are lower-case ASCII words separated by
-- one space (violations: expected 0), normalisation is idempotent (expected
-- 0), and names agree with an independent reference built from PostgreSQL's
-- lower() + unaccent + regexp (expected 0 mismatches).
\getenv cdp_data CDP_TEST_DATA
\pset null '<null>'
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEMP TABLE nm_corpus (source text, kind text, value text);

CREATE TEMP TABLE nm_acs (unit_number text, household_id text, copy_age text, zipcode text, survey_date text,
    copy_date_of_birth text, guardian_1 text, first_name text, relationship_to_reference_person text,
    state text, middle_initial text, guardian_2 text, street_name text, race_ethnicity text,
    simulant_id text, city text, date_of_birth text, housing_type text, sex text, street_number text,
    age text, last_name text);
\set f :cdp_data '/pseudopeople/american_community_survey.csv'
COPY nm_acs FROM :'f' WITH (FORMAT csv, HEADER);
INSERT INTO nm_corpus SELECT 'acs', 'name', v FROM nm_acs, LATERAL (VALUES (first_name), (last_name),
    (first_name || ' ' || middle_initial || '. ' || last_name)) AS x(v);
INSERT INTO nm_corpus SELECT 'acs', 'address', street_number || ' ' || street_name FROM nm_acs;

CREATE TEMP TABLE nm_cps (unit_number text, household_id text, copy_age text, zipcode text, survey_date text,
    copy_date_of_birth text, guardian_1 text, first_name text, state text, middle_initial text,
    guardian_2 text, street_name text, race_ethnicity text, simulant_id text, city text,
    date_of_birth text, housing_type text, sex text, street_number text, age text, last_name text);
\set f :cdp_data '/pseudopeople/current_population_survey.csv'
COPY nm_cps FROM :'f' WITH (FORMAT csv, HEADER);
INSERT INTO nm_corpus SELECT 'cps', 'name', v FROM nm_cps, LATERAL (VALUES (first_name), (last_name),
    (first_name || ' ' || middle_initial || '. ' || last_name)) AS x(v);
INSERT INTO nm_corpus SELECT 'cps', 'address', street_number || ' ' || street_name FROM nm_cps;

CREATE TEMP TABLE nm_census (unit_number text, household_id text, copy_age text, zipcode text,
    copy_date_of_birth text, guardian_1 text, first_name text, relationship_to_reference_person text,
    state text, middle_initial text, year text, guardian_2 text, street_name text, race_ethnicity text,
    simulant_id text, city text, date_of_birth text, housing_type text, sex text, street_number text,
    age text, last_name text);
\set f :cdp_data '/pseudopeople/decennial_census.csv'
COPY nm_census FROM :'f' WITH (FORMAT csv, HEADER);
INSERT INTO nm_corpus SELECT 'census', 'name', v FROM nm_census, LATERAL (VALUES (first_name), (last_name),
    (first_name || ' ' || middle_initial || '. ' || last_name)) AS x(v);
INSERT INTO nm_corpus SELECT 'census', 'address', street_number || ' ' || street_name || ', ' || unit_number
  FROM nm_census;

CREATE TEMP TABLE nm_ssa (copy_ssn text, event_date text, copy_date_of_birth text, simulant_id text, ssn text,
    first_name text, date_of_birth text, sex text, last_name text, event_type text, middle_name text);
\set f :cdp_data '/pseudopeople/social_security.csv'
COPY nm_ssa FROM :'f' WITH (FORMAT csv, HEADER);
INSERT INTO nm_corpus SELECT 'ssa', 'name', v FROM nm_ssa, LATERAL (VALUES (first_name), (last_name),
    (middle_name), (last_name || ', ' || first_name || ' ' || middle_name)) AS x(v);

CREATE TEMP TABLE nm_wic (unit_number text, household_id text, zipcode text, copy_date_of_birth text,
    guardian_1 text, first_name text, relationship_to_reference_person text, state text,
    middle_initial text, year text, guardian_2 text, street_name text, race_ethnicity text,
    simulant_id text, city text, date_of_birth text, housing_type text, sex text, street_number text,
    last_name text);
\set f :cdp_data '/pseudopeople/women_infants_and_children.csv'
COPY nm_wic FROM :'f' WITH (FORMAT csv, HEADER);
INSERT INTO nm_corpus SELECT 'wic', 'name', v FROM nm_wic, LATERAL (VALUES (first_name), (last_name)) AS x(v);
INSERT INTO nm_corpus SELECT 'wic', 'address', street_number || ' ' || street_name FROM nm_wic;

CREATE TEMP TABLE nm_nick (name text, n1 text, n2 text, n3 text, n4 text, n5 text, n6 text, n7 text, n8 text,
    n9 text, n10 text, n11 text, n12 text, n13 text, n14 text, n15 text);
\set f :cdp_data '/pseudopeople/nicknames.csv'
COPY nm_nick FROM :'f' WITH (FORMAT csv, HEADER);
INSERT INTO nm_corpus SELECT 'nicknames', 'name', v FROM nm_nick, LATERAL (VALUES (name), (n1), (n2), (n3), (n4),
    (n5), (n6), (n7), (n8), (n9), (n10), (n11), (n12), (n13), (n14), (n15)) AS x(v);

CREATE TEMP TABLE nm_febrl (rec_id text, given_name text, surname text, street_number text, address_1 text,
    address_2 text, suburb text, postcode text, state text, date_of_birth text, soc_sec_id text);
\set f :cdp_data '/febrl1/dataset1.csv'
COPY nm_febrl FROM :'f' WITH (FORMAT csv, HEADER);
\set f :cdp_data '/febrl2/dataset2.csv'
COPY nm_febrl FROM :'f' WITH (FORMAT csv, HEADER);
\set f :cdp_data '/febrl3/dataset3.csv'
COPY nm_febrl FROM :'f' WITH (FORMAT csv, HEADER);
INSERT INTO nm_corpus SELECT 'febrl', 'name', v FROM nm_febrl, LATERAL (VALUES (given_name), (surname),
    (given_name || ' ' || surname)) AS x(v);
INSERT INTO nm_corpus SELECT 'febrl', 'address', street_number || ' ' || address_1 || ', ' || address_2
  FROM nm_febrl;

CREATE TEMP TABLE nm_hist (unique_id text, cluster text, full_name text, first_and_surname text,
    first_name text, surname text, dob text, birth_place text, postcode_fake text, gender text,
    occupation text);
\set f :cdp_data '/splink_historical_50k/historical_figures_with_errors_50k.csv'
COPY nm_hist FROM :'f' WITH (FORMAT csv, HEADER);
INSERT INTO nm_corpus SELECT 'historical', 'name', v FROM nm_hist, LATERAL (VALUES (full_name), (first_name),
    (surname)) AS x(v);

DELETE FROM nm_corpus WHERE value IS NULL;
CREATE TEMP TABLE nm_distinct AS
SELECT source, kind, value,
       CASE kind WHEN 'name' THEN cdp.normalize_name(value) ELSE cdp.normalize_address(value) END AS norm
  FROM (SELECT DISTINCT source, kind, value FROM nm_corpus) d;

-- Invariants per source: non-empty corpora, no output outside
-- ^[a-z0-9]+( [a-z0-9]+)*$ (or empty), idempotent.
SELECT source, kind, count(*) > 100 AS many_values,
       count(*) FILTER (WHERE value ~ '[^\x01-\x7f]') > 0 AS has_non_ascii_input,
       count(*) FILTER (WHERE norm !~ '^([a-z0-9]+( [a-z0-9]+)*)?$') AS format_violations,
       count(*) FILTER (WHERE CASE kind WHEN 'name' THEN cdp.normalize_name(norm)
                                        ELSE cdp.normalize_address(norm) END <> norm) AS not_idempotent
  FROM nm_distinct GROUP BY source, kind ORDER BY kind, source;

-- Reference for names: lower(unaccent(x)), apostrophes dropped, every other
-- non-alphanumeric run to one space.  Compared where unaccent yields ASCII.
CREATE TEMP TABLE nm_ref AS
SELECT value, norm,
       btrim(regexp_replace(regexp_replace(lower(unaccent(value)), '[''`’]', '', 'g'), '[^a-z0-9]+', ' ', 'g'))
           AS reference
  FROM (SELECT DISTINCT value, norm FROM nm_distinct WHERE kind = 'name') n
 WHERE unaccent(value) !~ '[^\x01-\x7f]';
SELECT count(*) AS names_compared, count(*) FILTER (WHERE value ~ '[^\x01-\x7f]') AS with_accents,
       count(*) FILTER (WHERE norm <> reference) AS mismatches
  FROM nm_ref;
SELECT value, norm, reference FROM nm_ref WHERE norm <> reference ORDER BY value LIMIT 20;

-- Names unaccent cannot take to ASCII (other scripts, ligatures): shown.
SELECT value, norm FROM (SELECT DISTINCT value, norm FROM nm_distinct WHERE kind = 'name') n
 WHERE unaccent(value) ~ '[^\x01-\x7f]' ORDER BY value LIMIT 20;

-- A sample of accented names and of addresses.
SELECT DISTINCT value, norm FROM nm_distinct
 WHERE kind = 'name' AND value ~ '[^\x01-\x7f]' ORDER BY value LIMIT 12;
SELECT source, value, norm
  FROM (SELECT source, value, norm, row_number() OVER (PARTITION BY source ORDER BY value) AS k
          FROM (SELECT DISTINCT source, value, norm FROM nm_distinct
                 WHERE kind = 'address' AND value ~ '(^| )(st|rd|ave|dr|n|nº|ln|ct|pl)( |,|$)') a) s
 WHERE k <= 3 ORDER BY source, value;

DROP TABLE nm_corpus, nm_acs, nm_cps, nm_census, nm_ssa, nm_wic, nm_nick, nm_febrl, nm_hist, nm_distinct, nm_ref;
