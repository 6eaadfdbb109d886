-- Name matching indexes: cdp.gin_name_ops and cdp.gist_name_ops return
-- exactly the rows a sequential scan with %~ returns, and GiST KNN
-- (ORDER BY <~> LIMIT 10) returns the same distances as a sort of every row.
-- 100k names generated from pseudopeople with typos, swaps, nicknames,
-- initials; 50 queries; thresholds 0.6, 0.75, 0.85, 0.95.
SET temp_buffers = '128MB';
SET search_path = public, cdp;
\getenv cdp_data CDP_TEST_DATA
\set census :cdp_data '/pseudopeople/decennial_census.csv'
\set ssa :cdp_data '/pseudopeople/social_security.csv'
\set nick :cdp_data '/pseudopeople/nicknames.csv'

CREATE TEMP TABLE nm_census (unit_number text, household_id text, copy_age text, zipcode text,
    copy_date_of_birth text, guardian_1 text, first_name text, relationship_to_reference_person text,
    state text, middle_initial text, year text, guardian_2 text, street_name text, race_ethnicity text,
    simulant_id text, city text, date_of_birth text, housing_type text, sex text, street_number text,
    age text, last_name text);
COPY nm_census FROM :'census' (FORMAT csv, HEADER true);
CREATE TEMP TABLE nm_ssa (copy_ssn text, event_date text, copy_date_of_birth text, simulant_id text,
    ssn text, first_name text, date_of_birth text, sex text, last_name text, event_type text, middle_name text);
COPY nm_ssa FROM :'ssa' (FORMAT csv, HEADER true);
CREATE TEMP TABLE nm_nick_raw (name text, n1 text, n2 text, n3 text, n4 text, n5 text, n6 text, n7 text,
    n8 text, n9 text, n10 text, n11 text, n12 text, n13 text, n14 text, n15 text);
COPY nm_nick_raw FROM :'nick' (FORMAT csv, HEADER true);
CREATE TEMP TABLE nm_nick AS
SELECT name AS root, n AS nick, row_number() OVER (PARTITION BY name ORDER BY n) AS k,
       count(*) OVER (PARTITION BY name) AS cnt
  FROM nm_nick_raw, unnest(ARRAY[n1,n2,n3,n4,n5,n6,n7,n8,n9,n10,n11,n12,n13,n14,n15]) n
 WHERE n ~ '^[a-z]+$';

-- Base names, numbered deterministically.
CREATE TEMP TABLE nm_base AS
SELECT row_number() OVER (ORDER BY f, l) AS b, f, l
  FROM (SELECT DISTINCT lower(first_name) f, lower(last_name) l FROM nm_census
         WHERE first_name ~ '^[A-Za-z]{2,}$' AND last_name ~ '^[A-Za-z]{2,}$'
        UNION
        SELECT DISTINCT lower(first_name), lower(last_name) FROM nm_ssa
         WHERE first_name ~ '^[A-Za-z]{2,}$' AND last_name ~ '^[A-Za-z]{2,}$') s;

-- Variant g of a base name: exact, swapped, typos (substitution, deletion,
-- insertion, transposition), nickname, initial, middle initial, punctuation.
CREATE FUNCTION pg_temp.nm_variant(f text, l text, g bigint, nick text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE g % 12
  WHEN 0 THEN f || ' ' || l
  WHEN 1 THEN initcap(f) || ' ' || upper(l)
  WHEN 2 THEN l || ' ' || f
  WHEN 3 THEN f || ' ' || overlay(l PLACING chr(97 + (g / 12 % 26)::int) FROM 2 + (g / 7 % (length(l) - 1))::int FOR 1)
  WHEN 4 THEN overlay(f PLACING '' FROM 1 + (g / 12 % length(f))::int FOR 1) || ' ' || l
  WHEN 5 THEN f || ' ' || overlay(l PLACING chr(97 + (g / 5 % 26)::int) FROM 1 + (g / 12 % length(l))::int FOR 0)
  WHEN 6 THEN left(f, 1) || '. ' || l
  WHEN 7 THEN f || ' ' || chr(97 + (g / 12 % 26)::int) || ' ' || l
  WHEN 8 THEN l || ', ' || initcap(f)
  WHEN 9 THEN f || ' ' || left(l, 1) || substr(l, 3, 1) || substr(l, 2, 1) || substr(l, 4)
  ELSE coalesce(nick, f) || ' ' || l
END $$;

CREATE TEMP TABLE nm_names AS
SELECT g AS id, pg_temp.nm_variant(b.f, b.l, g, n.nick) AS name
  FROM generate_series(1, 100000) g
  JOIN nm_base b ON b.b = 1 + (g * 7919) % (SELECT count(*) FROM nm_base)
  LEFT JOIN nm_nick n ON n.root = b.f AND n.k = 1 + g / 12 % n.cnt;
INSERT INTO nm_names VALUES (100001, ''), (100002, 'X'), (100003, 'O''Brien-Smith, Mary-Jane Anne'),
  -- a 300-letter token (GiST stores such a name lossily) and 40 tokens
  (100004, 'Peggy ' || repeat('q', 300) || ' Miller'),
  (100005, (SELECT string_agg(w, ' ') FROM (SELECT 'smith' w UNION ALL SELECT 'bill'
                                           UNION ALL SELECT chr(97 + g % 26) || 'x' FROM generate_series(1, 38) g) s));
SELECT count(*) AS names, count(DISTINCT name) AS distinct_names FROM nm_names;

-- 50 queries: variants of base names not equal to the stored ones, plus
-- edge cases (empty, one initial, one token, many tokens, nicknames).
CREATE TEMP TABLE nm_queries AS
SELECT row_number() OVER (ORDER BY g) AS qid, query FROM (
  SELECT g, pg_temp.nm_variant(b.f, b.l, g + 5, n.nick) AS query
    FROM generate_series(1, 43) g
    JOIN nm_base b ON b.b = 1 + (g * 104729) % (SELECT count(*) FROM nm_base)
    LEFT JOIN nm_nick n ON n.root = b.f AND n.k = 1 + (g + 5) / 12 % n.cnt
  UNION ALL VALUES (101, ''), (102, 'x'), (103, 'smith'), (104, 'Bill Johnson'),
                   (105, 'Peggy Miller'), (106, 'J. R. R. Tolkien Williams'), (107, 'mary jane o brien smith')) q(g, query);
SELECT count(*) AS queries FROM nm_queries;

-- Reference: every (query, row) score, by brute force.  Keep what any
-- threshold >= 0.6 can select, plus each query's 10 nearest rows.
CREATE TEMP TABLE nm_truth (qid bigint, id bigint, s float8);
DO $$
DECLARE q record;
BEGIN
  FOR q IN SELECT * FROM nm_queries LOOP
    INSERT INTO nm_truth
    SELECT q.qid, id, s FROM (
      SELECT id, s, row_number() OVER (ORDER BY s DESC, id) AS rn
        FROM (SELECT id, cdp.name_similarity(name, q.query) AS s FROM nm_names) x) y
     WHERE s >= 0.6 OR rn <= 10;
  END LOOP;
END $$;
SELECT count(DISTINCT qid) AS queries_with_rows FROM nm_truth;

-- Index scan vs reference for every threshold and query: one nested loop
-- per threshold runs the 50 queries through the index (the plan must show
-- it); counts the (query, row) pairs where the index scan and the reference
-- differ (must be 0).
CREATE FUNCTION pg_temp.nm_compare(tbl text, idx text)
RETURNS TABLE (threshold float8, found_rows boolean, mismatches bigint, plan_uses_index boolean)
LANGUAGE plpgsql AS $$
DECLARE
  t float8; plan text; line text;
  scan text := format('SELECT q.qid, n.id FROM nm_queries q CROSS JOIN LATERAL '
                      '(SELECT id FROM %I WHERE name OPERATOR(cdp.%%~) q.query) n', tbl);
BEGIN
  SET LOCAL enable_seqscan = off;
  FOREACH t IN ARRAY ARRAY[0.6, 0.75, 0.85, 0.95] LOOP
    threshold := t;
    PERFORM set_config('cdp.similarity_threshold', t::text, true);
    plan := '';
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || scan LOOP
      plan := plan || line || E'\n';
    END LOOP;
    plan_uses_index := position(idx IN plan) > 0;
    EXECUTE 'CREATE TEMP TABLE nm_got AS ' || scan;
    SELECT count(*) > 0 INTO found_rows FROM nm_got;
    SELECT count(*) INTO mismatches
      FROM nm_got g FULL JOIN (SELECT qid, id FROM nm_truth WHERE s >= t) r USING (qid, id)
     WHERE g.qid IS NULL OR r.qid IS NULL;
    mismatches := mismatches + (SELECT count(*) - count(DISTINCT (qid, id)) FROM nm_got);
    DROP TABLE nm_got;
    RETURN NEXT;
  END LOOP;
END $$;

-- The reference equals a sequential scan with the operator (10 queries, 0.85).
SET cdp.similarity_threshold = 0.85;
SELECT count(*) AS seqscan_vs_reference_mismatches FROM (
  (SELECT q.qid, n.id FROM nm_queries q JOIN nm_names n ON n.name %~ q.query WHERE q.qid <= 10
   EXCEPT SELECT qid, id FROM nm_truth WHERE qid <= 10 AND s >= 0.85)
  UNION ALL
  (SELECT qid, id FROM nm_truth WHERE qid <= 10 AND s >= 0.85
   EXCEPT SELECT q.qid, n.id FROM nm_queries q JOIN nm_names n ON n.name %~ q.query WHERE q.qid <= 10)) d;
RESET cdp.similarity_threshold;

-- GIN
CREATE TEMP TABLE nm_names_gin AS SELECT * FROM nm_names;
CREATE INDEX nm_names_gin_idx ON nm_names_gin USING gin (name cdp.gin_name_ops);
ANALYZE nm_names_gin;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM nm_names_gin WHERE name %~ 'mario rossi';
RESET enable_seqscan;
SELECT * FROM pg_temp.nm_compare('nm_names_gin', 'nm_names_gin_idx');
-- Index maintenance: rows inserted and updated after the build are found.
INSERT INTO nm_names_gin VALUES (200001, 'Zebulon Quartermaine');
UPDATE nm_names_gin SET name = 'Quatermain, Zebulon' WHERE id = 1;
SET enable_seqscan = off;
SELECT id, name FROM nm_names_gin WHERE name %~ 'zebulon quatermaine' ORDER BY id;
RESET enable_seqscan;

-- GIN without the initial/D pair keys (operator class option pairs = false)
CREATE TEMP TABLE nm_names_gin_np AS SELECT * FROM nm_names;
CREATE INDEX nm_names_gin_np_idx ON nm_names_gin_np USING gin (name cdp.gin_name_ops (pairs = false));
ANALYZE nm_names_gin_np;
SELECT * FROM pg_temp.nm_compare('nm_names_gin_np', 'nm_names_gin_np_idx');
SELECT pg_relation_size('nm_names_gin_np_idx') < pg_relation_size('nm_names_gin_idx') AS without_pairs_smaller;

-- GiST
CREATE TEMP TABLE nm_names_gist AS SELECT * FROM nm_names;
CREATE INDEX nm_names_gist_idx ON nm_names_gist USING gist (name cdp.gist_name_ops);
ANALYZE nm_names_gist;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM nm_names_gist WHERE name %~ 'mario rossi';
EXPLAIN (COSTS OFF) SELECT id FROM nm_names_gist ORDER BY name <~> 'mario rossi' LIMIT 10;
RESET enable_seqscan;
SELECT * FROM pg_temp.nm_compare('nm_names_gist', 'nm_names_gist_idx');

-- KNN: the 10 smallest distances by the index equal the 10 smallest of the
-- brute-force reference (ids may differ among equal distances).
CREATE FUNCTION pg_temp.nm_knn(tbl text, idx text)
RETURNS TABLE (queries bigint, distance_mismatches bigint, plans_without_index bigint)
LANGUAGE plpgsql AS $$
DECLARE
  q record; got float8[]; want float8[]; plan text; line text;
BEGIN
  SET LOCAL enable_seqscan = off;
  SET LOCAL enable_sort = off;
  queries := 0; distance_mismatches := 0; plans_without_index := 0;
  FOR q IN SELECT * FROM nm_queries LOOP
    EXECUTE format('SELECT array_agg(d ORDER BY d) FROM (SELECT name OPERATOR(cdp.<~>) %L AS d FROM %I '
                   'ORDER BY name OPERATOR(cdp.<~>) %L LIMIT 10) x', q.query, tbl, q.query) INTO got;
    SELECT array_agg(1 - s ORDER BY 1 - s) INTO want FROM (
      SELECT s FROM nm_truth WHERE qid = q.qid ORDER BY s DESC LIMIT 10) y;
    queries := queries + 1;
    IF got IS DISTINCT FROM want THEN distance_mismatches := distance_mismatches + 1; END IF;
    plan := '';
    FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT id FROM %I ORDER BY name OPERATOR(cdp.<~>) %L LIMIT 10', tbl, q.query) LOOP
      plan := plan || line || E'\n';
    END LOOP;
    IF position('Index Scan using ' || idx IN plan) = 0 THEN plans_without_index := plans_without_index + 1; END IF;
  END LOOP;
  RETURN NEXT;
END $$;
SELECT * FROM pg_temp.nm_knn('nm_names_gist', 'nm_names_gist_idx');
SET enable_seqscan = off;
SELECT id, name, round((name <~> 'Bill Johnsen')::numeric, 4) AS distance
  FROM nm_names_gist ORDER BY name <~> 'Bill Johnsen', id LIMIT 5;
RESET enable_seqscan;

-- GiST built row by row (penalty and picksplit instead of the sorted build),
-- rows arriving in random order, then updated and deleted: same answers.
CREATE TEMP TABLE nm_names_gist_ins (id bigint, name text);
CREATE INDEX nm_names_gist_ins_idx ON nm_names_gist_ins USING gist (name cdp.gist_name_ops);
INSERT INTO nm_names_gist_ins SELECT * FROM nm_names ORDER BY md5(id::text);
ANALYZE nm_names_gist_ins;
SELECT * FROM pg_temp.nm_compare('nm_names_gist_ins', 'nm_names_gist_ins_idx');
SELECT * FROM pg_temp.nm_knn('nm_names_gist_ins', 'nm_names_gist_ins_idx');
UPDATE nm_names_gist_ins SET name = 'Quatermain, Zebulon' WHERE id = 1;
DELETE FROM nm_names_gist_ins WHERE id = 2;
SET enable_seqscan = off;
SELECT id, name FROM nm_names_gist_ins WHERE name %~ 'zebulon quatermaine' ORDER BY id;
-- the lossy key of a 300-letter token still finds its row
SELECT id, length(name) FROM nm_names_gist_ins WHERE name %~ ('Peggy ' || repeat('q', 300) || ' Miller') ORDER BY id;
SELECT id, length(name) FROM nm_names_gist_ins WHERE name %~ 'peggy miller' AND id > 100000 ORDER BY id;
RESET enable_seqscan;
