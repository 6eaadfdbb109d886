-- ROC AUC of cdp.name_similarity against Jaro-Winkler on the full name
-- string and pg_trgm similarity(), on labelled pairs:
--  * splink fake_1000: fake_1000_labels.csv (clerical_match_score 1 / 0),
--    names first_name || ' ' || surname;
--  * pseudopeople: census vs social security records with injected noise;
--    positives = same simulant_id, hard negatives = same last name and first
--    initial, different first name and simulant;
--  * splink historical_50k (held out: never used to choose the score's
--    constants): 3000 pairs of records of one person (same cluster) and
--    3000 hard negatives (different people sharing the first name or the
--    surname, born in the same decade), names first_name || ' ' || surname.
-- AUC by Mann-Whitney (average ranks for ties).  Jaro-Winkler is
-- cdp.jaro_winkler on the lower-cased full name strings.
SET search_path = public, cdp;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
\getenv cdp_data CDP_TEST_DATA
\set fake :cdp_data '/splink_fake_1000/fake_1000.csv'
\set labels :cdp_data '/splink_fake_1000/fake_1000_labels.csv'
\set census :cdp_data '/pseudopeople/decennial_census.csv'
\set ssa :cdp_data '/pseudopeople/social_security.csv'
\set nick :cdp_data '/pseudopeople/nicknames.csv'
\set phon :cdp_data '/pseudopeople/phonetic_variations.csv'
\set hist :cdp_data '/splink_historical_50k/historical_figures_with_errors_50k.csv'

CREATE TEMP TABLE roc_fake (unique_id int, first_name text, surname text, dob text, city text, email text, cluster int);
COPY roc_fake FROM :'fake' (FORMAT csv, HEADER true);
CREATE TEMP TABLE roc_labels (l int, ds_l text, r int, ds_r text, score float8);
COPY roc_labels FROM :'labels' (FORMAT csv, HEADER true);
CREATE TEMP TABLE roc_census (unit_number text, household_id text, copy_age text, zipcode text,
    copy_date_of_birth text, guardian_1 text, first_name text, relationship_to_reference_person text,
    state text, middle_initial text, year text, guardian_2 text, street_name text, race_ethnicity text,
    simulant_id text, city text, date_of_birth text, housing_type text, sex text, street_number text,
    age text, last_name text);
COPY roc_census FROM :'census' (FORMAT csv, HEADER true);
CREATE TEMP TABLE roc_ssa (copy_ssn text, event_date text, copy_date_of_birth text, simulant_id text,
    ssn text, first_name text, date_of_birth text, sex text, last_name text, event_type text, middle_name text);
COPY roc_ssa FROM :'ssa' (FORMAT csv, HEADER true);

CREATE TEMP TABLE roc_pairs (pair serial, dataset text, a text, b text, label boolean);
-- splink: every labelled pair whose two names are present
INSERT INTO roc_pairs (dataset, a, b, label)
SELECT 'splink_fake_1000', concat_ws(' ', x.first_name, x.surname), concat_ws(' ', y.first_name, y.surname), lb.score = 1
  FROM roc_labels lb JOIN roc_fake x ON x.unique_id = lb.l JOIN roc_fake y ON y.unique_id = lb.r
 WHERE concat_ws(' ', x.first_name, x.surname) <> '' AND concat_ws(' ', y.first_name, y.surname) <> '';
-- pseudopeople: the sample files carry no name noise (every simulant has one
-- name in all five files), so the second name of every pair gets
-- pseudopeople-style noise, chosen by hash: a nickname (nicknames.csv), a
-- phonetic variation (an unconditional rule of phonetic_variations.csv), a
-- typo (one letter replaced by the next one), swapped tokens, an initial for
-- the first name, or none.  2000 positives (same simulant_id) and 2000 hard
-- negatives (same last name and first initial, different first name and
-- simulant), census name vs noisy social-security name.
CREATE TEMP TABLE roc_nick_raw (name text, n1 text, n2 text, n3 text, n4 text, n5 text, n6 text, n7 text,
    n8 text, n9 text, n10 text, n11 text, n12 text, n13 text, n14 text, n15 text);
COPY roc_nick_raw FROM :'nick' (FORMAT csv, HEADER true);
CREATE TEMP TABLE roc_nick AS
SELECT name AS root, n AS nick FROM roc_nick_raw, unnest(ARRAY[n1,n2,n3,n4,n5,n6,n7,n8,n9,n10,n11,n12,n13,n14,n15]) n
 WHERE n ~ '^[a-z]+$';
CREATE TEMP TABLE roc_phon_raw (line text);
COPY roc_phon_raw FROM :'phon' (FORMAT text, DELIMITER E'\x01');
CREATE TEMP TABLE roc_phon AS
SELECT split_part(line, ',', 2) AS pat, replace(split_part(line, ',', 3), '@', '') AS rep
  FROM roc_phon_raw
 WHERE line LIKE 'ALL,%' AND line LIKE '%,None,None,None,None';

CREATE FUNCTION pg_temp.roc_noise(f text, l text, h text) RETURNS text LANGUAGE sql STABLE AS $$
SELECT CASE ('x' || substr(h, 1, 7))::bit(28)::int % 6
  WHEN 0 THEN coalesce((SELECT initcap(n.nick) FROM roc_nick n WHERE n.root = lower(f) ORDER BY md5(h || n.nick) LIMIT 1), f) || ' ' || l
  WHEN 1 THEN coalesce((SELECT initcap(overlay(lower(f || ' ' || l) PLACING p.rep FROM strpos(lower(f || ' ' || l), p.pat) FOR length(p.pat)))
                          FROM roc_phon p WHERE strpos(lower(f || ' ' || l), p.pat) > 0 ORDER BY md5(h || p.pat) LIMIT 1), f || ' ' || l)
  WHEN 2 THEN f || ' ' || overlay(l PLACING chr(ascii(substr(l, 2, 1)) + 1) FROM 2 FOR 1)
  WHEN 3 THEN l || ' ' || f
  WHEN 4 THEN left(f, 1) || '. ' || l
  ELSE f || ' ' || l END $$;

CREATE TEMP TABLE roc_people AS
SELECT c.simulant_id, c.first_name cf, c.last_name cl, s.first_name sf, s.last_name sl
  FROM (SELECT DISTINCT ON (simulant_id) * FROM roc_census ORDER BY simulant_id, household_id) c
  JOIN (SELECT DISTINCT ON (simulant_id) * FROM roc_ssa ORDER BY simulant_id, event_date) s USING (simulant_id)
 WHERE c.first_name ~ '^[A-Za-z]{2,}$' AND c.last_name ~ '^[A-Za-z]{2,}$'
   AND s.first_name ~ '^[A-Za-z]{2,}$' AND s.last_name ~ '^[A-Za-z]{2,}$';
INSERT INTO roc_pairs (dataset, a, b, label)
SELECT 'pseudopeople', cf || ' ' || cl, pg_temp.roc_noise(sf, sl, md5(simulant_id)), true
  FROM roc_people ORDER BY md5(simulant_id) LIMIT 2000;
INSERT INTO roc_pairs (dataset, a, b, label)
SELECT 'pseudopeople', a, pg_temp.roc_noise(bf, bl, h), false FROM (
  SELECT x.cf || ' ' || x.cl AS a, y.sf AS bf, y.sl AS bl, md5(x.simulant_id || y.simulant_id) AS h
    FROM roc_people x JOIN roc_people y
      ON lower(y.sl) = lower(x.cl) AND lower(left(y.sf, 1)) = lower(left(x.cf, 1))
     AND lower(y.sf) <> lower(x.cf) AND y.simulant_id <> x.simulant_id) n
 ORDER BY h LIMIT 2000;
CREATE TEMP TABLE roc_hist (unique_id text, cluster text, full_name text, first_and_surname text,
    first_name text, surname text, dob text, birth_place text, postcode_fake text, gender text, occupation text);
COPY roc_hist FROM :'hist' (FORMAT csv, HEADER true);
CREATE TEMP TABLE roc_hist_names AS
SELECT unique_id, cluster, concat_ws(' ', first_name, surname) AS nm, first_name, surname, left(dob, 3) AS decade
  FROM roc_hist WHERE concat_ws(' ', first_name, surname) <> '';
INSERT INTO roc_pairs (dataset, a, b, label)
SELECT 'splink_historical_50k', x.nm, y.nm, true
  FROM roc_hist_names x JOIN roc_hist_names y ON x.cluster = y.cluster AND x.unique_id < y.unique_id
 ORDER BY md5(x.unique_id || y.unique_id) LIMIT 3000;
INSERT INTO roc_pairs (dataset, a, b, label)
SELECT 'splink_historical_50k', a, b, false FROM (
  SELECT x.nm AS a, y.nm AS b, md5(x.unique_id || y.unique_id) AS h
    FROM roc_hist_names x JOIN roc_hist_names y ON x.first_name = y.first_name AND x.decade = y.decade
   WHERE x.cluster <> y.cluster AND x.unique_id < y.unique_id
  UNION
  SELECT x.nm, y.nm, md5(x.unique_id || y.unique_id)
    FROM roc_hist_names x JOIN roc_hist_names y ON x.surname = y.surname AND x.decade = y.decade
   WHERE x.cluster <> y.cluster AND x.unique_id < y.unique_id) n
 ORDER BY h LIMIT 3000;
SELECT dataset, count(*) FILTER (WHERE label) AS positives, count(*) FILTER (WHERE NOT label) AS negatives
  FROM roc_pairs GROUP BY dataset ORDER BY dataset;

CREATE TEMP TABLE roc_scores AS
SELECT pair, dataset, label, m.method, m.s
  FROM roc_pairs,
       LATERAL (VALUES ('name_similarity', cdp.name_similarity(a, b)),
                       ('jaro_winkler', cdp.jaro_winkler(lower(a), lower(b))),
                       ('pg_trgm', similarity(a, b)::float8)) m(method, s);

-- Mann-Whitney: AUC = (sum of positive ranks - P(P+1)/2) / (P N)
CREATE TEMP TABLE roc_auc AS
SELECT dataset, method,
       (sum(r) FILTER (WHERE label) - count(*) FILTER (WHERE label) * (count(*) FILTER (WHERE label) + 1) / 2.0)
       / (count(*) FILTER (WHERE label) * count(*) FILTER (WHERE NOT label)) AS auc
  FROM (SELECT dataset, method, label,
               rank() OVER w + (count(*) OVER (PARTITION BY dataset, method, s) - 1) / 2.0 AS r
          FROM roc_scores WINDOW w AS (PARTITION BY dataset, method ORDER BY s)) ranked
 GROUP BY dataset, method;
SELECT dataset, method, round(auc, 4) AS auc FROM roc_auc ORDER BY dataset, auc DESC;

-- Standard errors.  Hanley-McNeil (1982) of each AUC A with P positives and
-- N negatives: sqrt((A(1-A) + (P-1)(Q1-A^2) + (N-1)(Q2-A^2)) / (P N)),
-- Q1 = A/(2-A), Q2 = 2A^2/(1+A).  The two AUCs being compared are measured
-- on the same pairs, so the margin is tested with DeLong's (1988) paired
-- standard error of the difference: placement values V10(i) (share of
-- negatives below positive i, ties 1/2) and V01(j) (share of positives above
-- negative j), Var(A1 - A2) = Var_i(V10_1 - V10_2) / P + Var_j(V01_1 - V01_2) / N.
-- A placement value is the item's midrank among all pairs minus its midrank
-- among its own class, divided by the other class's size.
CREATE TEMP TABLE roc_counts AS
SELECT dataset, count(*) FILTER (WHERE label) AS p, count(*) FILTER (WHERE NOT label) AS q
  FROM roc_pairs GROUP BY dataset;
CREATE TEMP TABLE roc_se AS
SELECT dataset, method, auc,
       sqrt((auc * (1 - auc) + (p - 1) * (auc / (2 - auc) - auc ^ 2) + (q - 1) * (2 * auc ^ 2 / (1 + auc) - auc ^ 2))
            / (p * q)) AS se
  FROM roc_auc JOIN roc_counts USING (dataset);
SELECT dataset, method, round(auc, 4) AS auc, round(se, 4) AS hanley_mcneil_se FROM roc_se ORDER BY dataset, auc DESC;
CREATE TEMP TABLE roc_place AS
SELECT dataset, method, pair, label,
       CASE WHEN label THEN (r_all - r_own) / c.q ELSE 1 - (r_all - r_own) / c.p END AS v
  FROM (SELECT dataset, method, pair, label,
               rank() OVER (PARTITION BY dataset, method ORDER BY s)
                 + (count(*) OVER (PARTITION BY dataset, method, s) - 1) / 2.0 AS r_all,
               rank() OVER (PARTITION BY dataset, method, label ORDER BY s)
                 + (count(*) OVER (PARTITION BY dataset, method, label, s) - 1) / 2.0 AS r_own
          FROM roc_scores) r JOIN roc_counts c USING (dataset);
-- the mean placement value of the positives is the AUC itself: a check
SELECT count(*) AS placement_mismatches
  FROM (SELECT dataset, method, avg(v) AS a FROM roc_place WHERE label GROUP BY dataset, method) m
  JOIN roc_auc USING (dataset, method) WHERE abs(m.a - auc) > 1e-9;
-- name_similarity must beat both peers on every dataset by at least three
-- paired standard errors; on pseudopeople, where every kind of noise it
-- models is present, by at least five.  The splink fake_1000 ceiling is
-- about 0.978: 52 of its 1894 positives pair a record with only a first name
-- with one with only a surname, which no name score can link (they tie with
-- the unrelated negatives at 0); pg_trgm has 0.970 there.
SELECT dataset, peer, round(diff, 4) AS auc_gain, round(diff / se, 1) AS gain_in_se,
       diff / se >= CASE dataset WHEN 'pseudopeople' THEN 5 ELSE 3 END AS margin_ok
  FROM (SELECT dataset, o.method AS peer, avg(n.v - o.v) FILTER (WHERE label) AS diff,
               sqrt(var_samp(n.v - o.v) FILTER (WHERE label) / max(c.p)
                    + var_samp(n.v - o.v) FILTER (WHERE NOT label) / max(c.q)) AS se
          FROM roc_place n JOIN roc_place o USING (dataset, pair, label) JOIN roc_counts c USING (dataset)
         WHERE n.method = 'name_similarity' AND o.method <> 'name_similarity'
         GROUP BY dataset, o.method) d
 ORDER BY dataset, peer;
