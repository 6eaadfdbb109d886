-- cdp demo, part 20: fuzzy lookup of people by name.  A small bundled sample
-- of contacts (demo/data/contacts.csv: names from the pseudopeople sample
-- census, BSD-3-Clause, with nicknames, swapped order, initials and typos
-- added) searched with cdp.name_similarity, the %~ operator (GIN index) and
-- KNN ordering by <~> (GiST index).
\set QUIET on
\pset footer off
SET search_path = public, cdp;
DROP TABLE IF EXISTS demo_people;
CREATE TABLE demo_people (contact_id int PRIMARY KEY, full_name text NOT NULL, source text);
\copy demo_people FROM 'data/contacts.csv' WITH (FORMAT csv, HEADER)
SELECT count(*) AS contacts FROM demo_people;

\echo
\echo '== name_similarity: order, nicknames, initials, typos =='
SELECT a, b, round(cdp.name_similarity(a, b)::numeric, 3) AS score
  FROM (VALUES ('Rossi Mario', 'Mario Rossi'), ('Bill Smith', 'William Smith'),
               ('Peggy Jones', 'Margaret Jones'), ('M. Rossi', 'Mario Rossi'),
               ('Jon Smith', 'John Smith'), ('Mario Rossi', 'Anna Bianchi')) v(a, b);

CREATE INDEX demo_people_name_gin ON demo_people USING gin (full_name cdp.gin_name_ops);
ANALYZE demo_people;

\echo
\echo '== %~ : everyone whose name matches "polly wikstrom" (threshold cdp.similarity_threshold = 0.85) =='
SELECT contact_id, full_name, source, round(cdp.name_similarity(full_name, 'polly wikstrom')::numeric, 3) AS score
  FROM demo_people WHERE full_name %~ 'polly wikstrom' ORDER BY score DESC, contact_id;

\echo
\echo '== the same lookup uses the GIN index (the sample is small: seq scans are switched off to show the plan) =='
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT contact_id FROM demo_people WHERE full_name %~ 'polly wikstrom';

CREATE INDEX demo_people_name_gist ON demo_people USING gist (full_name cdp.gist_name_ops);

\echo
\echo '== KNN: the 5 nearest names to "Carrilo, S." (GiST, ORDER BY <~>) =='
SELECT contact_id, full_name, round((full_name <~> 'Carrilo, S.')::numeric, 3) AS distance
  FROM demo_people ORDER BY full_name <~> 'Carrilo, S.' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT contact_id FROM demo_people ORDER BY full_name <~> 'Carrilo, S.' LIMIT 5;
RESET enable_seqscan;

\echo
\echo '== probable duplicates inside the sample: pairs scoring >= 0.85 (index nested loop) =='
SELECT a.contact_id AS id_a, a.full_name AS name_a, b.contact_id AS id_b, b.full_name AS name_b,
       round(cdp.name_similarity(a.full_name, b.full_name)::numeric, 3) AS score
  FROM demo_people a JOIN demo_people b ON b.full_name %~ a.full_name AND b.contact_id > a.contact_id
 ORDER BY score, id_a LIMIT 12;
