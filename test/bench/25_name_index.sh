# Person-name indexes against pg_trgm on a table of 1M names (BENCH_SCALE
# scales it): build time and size of cdp.gin_name_ops / cdp.gist_name_ops vs
# gin_trgm_ops / gist_trgm_ops, indexed `%~` vs `%` latency (median of 7 runs
# per query name), and KNN top-10 `<~>` vs `<->` on GiST.
# Threshold semantics: `%~` uses cdp.similarity_threshold = 0.85 (its
# default); `%` uses pg_trgm.similarity_threshold = 0.3 (its default), and a
# second line at 0.5.  The two scores are different functions, so result
# counts differ; both numbers are printed in the note.
n=$((1000000 * BENCH_SCALE))
bench_psql -c "CREATE EXTENSION IF NOT EXISTS cdp" -c "CREATE EXTENSION IF NOT EXISTS pg_trgm"
bench_psql <<SQL
SET search_path = public, cdp;
CREATE TEMP TABLE c (unit_number text, household_id text, copy_age text, zipcode text,
    copy_date_of_birth text, guardian_1 text, first_name text, relationship_to_reference_person text,
    state text, middle_initial text, year text, guardian_2 text, street_name text, race_ethnicity text,
    simulant_id text, city text, date_of_birth text, housing_type text, sex text, street_number text,
    age text, last_name text);
COPY c FROM '$BENCH_DATA/pseudopeople/decennial_census.csv' (FORMAT csv, HEADER true);
CREATE TEMP TABLE base AS
SELECT row_number() OVER (ORDER BY f, l) AS b, f, l FROM (
  SELECT DISTINCT lower(first_name) f, lower(last_name) l FROM c
   WHERE first_name ~ '^[A-Za-z]{2,}$' AND last_name ~ '^[A-Za-z]{2,}$') s;
DROP TABLE IF EXISTS bench_names;
CREATE TABLE bench_names AS
SELECT g AS id,
       CASE g % 6 WHEN 0 THEN b.f || ' ' || b.l
                  WHEN 1 THEN b.l || ' ' || b.f
                  WHEN 2 THEN b.f || ' ' || overlay(b.l PLACING chr(97 + (g / 6 % 26)::int) FROM 2 FOR 1)
                  WHEN 3 THEN left(b.f, 1) || '. ' || b.l
                  WHEN 4 THEN overlay(b.f PLACING '' FROM 2 FOR 1) || ' ' || b.l
                  ELSE initcap(b.f) || ' ' || chr(97 + (g / 6 % 26)::int) || ' ' || upper(b.l) END AS name
  FROM generate_series(1, $n) g
  JOIN base b ON b.b = 1 + (g::bigint * 7919) % (SELECT count(*) FROM base);
ANALYZE bench_names;
ALTER DATABASE $BENCH_DB SET search_path = public, cdp;
ALTER DATABASE $BENCH_DB SET enable_seqscan = off;
SQL
size() { bench_psql -At -c "SELECT pg_relation_size('$1') / 1048576.0"; }
sizes() { echo "size $(size "$1" | xargs printf '%.0f') MB vs $(size "$2" | xargs printf '%.0f') MB"; }
QUERIES=('mary johnson' 'Bill Smith' 'Rossi, Mario' 'j. williams')
# match_sql OP Q: rows matching `name OP 'Q'`; knn_sql OP Q: 10 nearest by `name OP 'Q'`.
match_sql() { echo "SELECT count(*) FROM bench_names WHERE name $1 '${2//\'/\'\'}'"; }
knn_sql() {
  local q="'${2//\'/\'\'}'"
  echo "SELECT name $1 $q FROM bench_names ORDER BY name $1 $q LIMIT 10"
}

ours=$(time_sql "CREATE INDEX bench_cdp_gin ON bench_names USING gin (name cdp.gin_name_ops)" 1)
peer=$(time_sql "CREATE INDEX bench_trgm_gin ON bench_names USING gin (name gin_trgm_ops)" 1)
trgm_build=$peer
report "name GIN build, ${n} names" "$ours" "gin_trgm_ops build" "$peer" \
  "$(sizes bench_cdp_gin bench_trgm_gin)"

for q in "${QUERIES[@]}"; do
  ours=$(time_sql "$(match_sql %~ "$q")" 7)
  peer=$(time_sql "$(match_sql % "$q")" 7)
  nours=$(bench_psql -At -c "$(match_sql %~ "$q")")
  npeer=$(bench_psql -At -c "$(match_sql % "$q")")
  bench_psql -c "ALTER DATABASE $BENCH_DB SET pg_trgm.similarity_threshold = 0.5"
  peer5=$(time_sql "$(match_sql % "$q")" 7)
  npeer5=$(bench_psql -At -c "$(match_sql % "$q")")
  bench_psql -c "ALTER DATABASE $BENCH_DB RESET pg_trgm.similarity_threshold"
  report "GIN %~ '$q' (0.85)" "$ours" "GIN % (pg_trgm 0.3)" "$peer" "rows $nours vs $npeer"
  report "GIN %~ '$q' (0.85)" "$ours" "GIN % (pg_trgm 0.5)" "$peer5" "rows $nours vs $npeer5"
done
# The same without the initial/D pair keys (smaller index, slower on names
# whose tokens are frequent).
bench_psql -c "DROP INDEX bench_cdp_gin"
ours=$(time_sql "CREATE INDEX bench_cdp_gin ON bench_names USING gin (name cdp.gin_name_ops (pairs = false))" 1)
report "name GIN (pairs = false) build" "$ours" "gin_trgm_ops build" "$trgm_build" \
  "$(sizes bench_cdp_gin bench_trgm_gin)"
for q in "${QUERIES[@]}"; do
  ours=$(time_sql "$(match_sql %~ "$q")" 7)
  peer=$(time_sql "$(match_sql % "$q")" 7)
  report "GIN (pairs = false) %~ '$q' (0.85)" "$ours" "GIN % (pg_trgm 0.3)" "$peer"
done
bench_psql -c "DROP INDEX bench_cdp_gin" -c "DROP INDEX bench_trgm_gin"

ours=$(time_sql "CREATE INDEX bench_cdp_gist ON bench_names USING gist (name cdp.gist_name_ops)" 1)
peer=$(time_sql "CREATE INDEX bench_trgm_gist ON bench_names USING gist (name gist_trgm_ops)" 1)
report "name GiST build, ${n} names" "$ours" "gist_trgm_ops build" "$peer" \
  "$(sizes bench_cdp_gist bench_trgm_gist)"
for q in "${QUERIES[@]}"; do
  ours=$(time_sql "$(knn_sql '<~>' "$q")" 7)
  peer=$(time_sql "$(knn_sql '<->' "$q")" 7)
  report "GiST KNN top-10 <~> '$q'" "$ours" "GiST KNN <-> (pg_trgm)" "$peer"
  ours=$(time_sql "$(match_sql %~ "$q")" 7)
  peer=$(time_sql "$(match_sql % "$q")" 7)
  report "GiST %~ '$q' (0.85)" "$ours" "GiST % (pg_trgm 0.3)" "$peer"
done
bench_psql -c "DROP TABLE bench_names" -c "ALTER DATABASE $BENCH_DB RESET ALL"
