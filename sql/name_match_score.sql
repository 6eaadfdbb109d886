-- cdp.name_similarity and the %~ / <~> operators: definition checks.
SET search_path = public, cdp;
\getenv cdp_data CDP_TEST_DATA
\set nick :cdp_data '/pseudopeople/nicknames.csv'

-- The contract's examples (docs/namematch.md gives the arithmetic).
SELECT a, b, round(cdp.name_similarity(a, b)::numeric, 4) AS score
  FROM (VALUES ('Rossi Mario', 'Mario Rossi'),
               ('  José  O''Brien-Smith ', 'jose obrien smith'),
               ('Bill Smith', 'William Smith'),
               ('Peggy Jones', 'Margaret Jones'),
               ('M. Rossi', 'Mario Rossi'),
               ('Jon Smith', 'John Smith'),
               ('Robert Alan', 'Robert Allen'),
               ('Catherine', 'Kathryn'),
               ('Mario Rossi', 'Mario L. Rossi'),
               ('Rossi', 'Mario Rossi'),
               ('Mario Rossi', 'Luigi Rossi'),
               ('Mario Rossi', 'Anna Bianchi'),
               ('', ''),
               ('', 'Mario')) v(a, b);

-- Range, symmetry, identity over many pairs of real names.
CREATE TEMP TABLE nm_pairs AS
SELECT x.n AS a, y.n AS b
  FROM (VALUES ('mario rossi'), ('Rossi, Mario'), ('M Rossi'), ('bill smith'), ('William SMITH'),
               ('will smyth'), ('Peggy Sue Jones'), ('margaret jones'), ('x'), (''), ('a b c d e f'),
               ('jonathan'), ('john'), ('jon'), ('catherine zeta jones'), ('katherine jones')) x(n),
       (VALUES ('mario rossi'), ('Rossi, Mario'), ('M Rossi'), ('bill smith'), ('William SMITH'),
               ('will smyth'), ('Peggy Sue Jones'), ('margaret jones'), ('x'), (''), ('a b c d e f'),
               ('jonathan'), ('john'), ('jon'), ('catherine zeta jones'), ('katherine jones')) y(n);
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE cdp.name_similarity(a, b) NOT BETWEEN 0 AND 1) AS out_of_range,
       count(*) FILTER (WHERE cdp.name_similarity(a, b) <> cdp.name_similarity(b, a)) AS asymmetric,
       count(*) FILTER (WHERE a = b AND cdp.name_similarity(a, b) <> 1) AS self_not_one,
       count(*) FILTER (WHERE (a <~> b) <> 1 - cdp.name_similarity(a, b)) AS distance_mismatch,
       count(*) FILTER (WHERE (a %~ b) <> (cdp.name_similarity(a, b) >= 0.85)) AS operator_mismatch
  FROM nm_pairs;

-- The operator follows the GUC.
SET cdp.similarity_threshold = 0.95;
SELECT 'Bill Smith' %~ 'William Smith' AS at_095, 'Mario Rossi' %~ 'Rossi Mario' AS swapped_at_095;
SET cdp.similarity_threshold = 0.5;
SELECT 'Mario Rossi' %~ 'Luigi Rossi' AS at_05;
RESET cdp.similarity_threshold;
SELECT count(*) FILTER (WHERE (a %~ b) <> (cdp.name_similarity(a, b) >= current_setting('cdp.similarity_threshold')::float8))
       AS operator_mismatch_default FROM nm_pairs;

-- NULL in, NULL out (STRICT).
SELECT cdp.name_similarity(NULL, 'x') IS NULL AS null_sim, (NULL::text %~ 'x') IS NULL AS null_op;

-- Nickname oracle: every canonical name / nickname pair of the shipped table
-- (read here from the test data copy) scores at least 0.9, as first names
-- and in full names.
CREATE TEMP TABLE nm_nick_raw (name text, n1 text, n2 text, n3 text, n4 text, n5 text, n6 text, n7 text,
    n8 text, n9 text, n10 text, n11 text, n12 text, n13 text, n14 text, n15 text);
COPY nm_nick_raw FROM :'nick' (FORMAT csv, HEADER true);
SELECT count(*) AS nickname_pairs,
       count(*) FILTER (WHERE cdp.name_similarity(name, n) < 0.9) AS below_090,
       count(*) FILTER (WHERE cdp.name_similarity(initcap(n) || ' Smith', 'SMITH, ' || name) < 0.95) AS full_below_095
  FROM nm_nick_raw, unnest(ARRAY[n1,n2,n3,n4,n5,n6,n7,n8,n9,n10,n11,n12,n13,n14,n15]) n
 WHERE n ~ '^[a-z]+$';
-- Names never listed together are not nicknames of each other.
SELECT cdp.name_similarity('bill', 'margaret') < 0.5 AS bill_is_not_margaret;

-- Long input: tokens beyond the 32nd are ignored, long tokens do not break.
SELECT cdp.name_similarity(repeat('abc ', 40), repeat('abc ', 32)) AS first_32_tokens,
       round(cdp.name_similarity(repeat('x', 5000), repeat('x', 4999) || 'y')::numeric, 4) AS long_token;
