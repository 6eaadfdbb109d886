# Similarity functions against their peers, side by side in one run:
#   full scans over a 1M-row table of name pairs built from the FEBRL and
#   pseudopeople data: cdp.jaro_winkler vs pg_similarity jarowinkler,
#   cdp.levenshtein vs fuzzystrmatch levenshtein, cdp.trigram_similarity vs
#   pg_trgm similarity (plus the phonetic codes vs fuzzystrmatch);
#   then the cost per call as strings grow (8 .. 10000 characters).
# Parallel query is off in the bench database so that both sides run on one
# core (pg_similarity's functions are not marked parallel safe).
rows=$(awk -v s="$BENCH_SCALE" 'BEGIN { printf "%d", 1000000 * s }')
scaled() { awk -v s="$BENCH_SCALE" -v n="$1" 'BEGIN { r = int(n * s); if (r < 5) r = 5; print r }'; }
bench_psql -c "CREATE EXTENSION IF NOT EXISTS cdp" -c "CREATE EXTENSION IF NOT EXISTS fuzzystrmatch" \
  -c "CREATE EXTENSION IF NOT EXISTS pg_trgm" -c "CREATE EXTENSION IF NOT EXISTS pg_similarity" \
  -c "ALTER DATABASE $BENCH_DB SET max_parallel_workers_per_gather = 0"
bench_psql <<SQL
DROP TABLE IF EXISTS sim_bench_src, sim_bench_names, sim_bench_pairs;
CREATE TABLE sim_bench_src (rec_id text, given_name text, surname text, street_number text, address_1 text,
    address_2 text, suburb text, postcode text, state text, date_of_birth text, soc_sec_id text);
COPY sim_bench_src FROM '$BENCH_DATA/febrl3/dataset3.csv' WITH (FORMAT csv, HEADER true);
COPY sim_bench_src FROM '$BENCH_DATA/febrl2/dataset2.csv' WITH (FORMAT csv, HEADER true);
CREATE TEMP TABLE ssa (copy_ssn text, event_date text, copy_date_of_birth text, simulant_id text, ssn text,
    first_name text, date_of_birth text, sex text, last_name text, event_type text, middle_name text);
COPY ssa FROM '$BENCH_DATA/pseudopeople/social_security.csv' WITH (FORMAT csv, HEADER true);
CREATE TABLE sim_bench_names AS
  SELECT row_number() OVER (ORDER BY md5(n)) AS id, n AS name FROM (
    SELECT DISTINCT n FROM (
      SELECT trim(given_name) FROM sim_bench_src UNION ALL SELECT trim(surname) FROM sim_bench_src
      UNION ALL SELECT trim(given_name) || ' ' || trim(surname) FROM sim_bench_src
      UNION ALL SELECT first_name FROM ssa UNION ALL SELECT last_name FROM ssa
      UNION ALL SELECT first_name || ' ' || last_name FROM ssa) s(n)
    WHERE n <> '') d;
CREATE TABLE sim_bench_pairs AS
  SELECT a.name AS a, b.name AS b
    FROM generate_series(1, $rows) g,
         LATERAL (SELECT count(*) AS c FROM sim_bench_names) n
    JOIN sim_bench_names a ON true JOIN sim_bench_names b ON true
   WHERE a.id = 1 + g % n.c AND b.id = 1 + (g::bigint * 7919) % n.c;
VACUUM ANALYZE sim_bench_pairs;
SQL
echo "  ($rows pairs, $(bench_psql -At -c "SELECT round(avg(length(a)), 1) FROM sim_bench_pairs") characters on average)"

ours=$(time_sql "SELECT sum(cdp.jaro_winkler(a, b)) FROM sim_bench_pairs")
peer=$(time_sql "SELECT sum(jarowinkler(a, b)) FROM sim_bench_pairs")
report "full scan: jaro_winkler, $rows name pairs" "$ours" "pg_similarity jarowinkler" "$peer"
ours=$(time_sql "SELECT sum(cdp.levenshtein(a, b)) FROM sim_bench_pairs")
peer=$(time_sql "SELECT sum(levenshtein(a, b)) FROM sim_bench_pairs")
report "full scan: levenshtein, $rows name pairs" "$ours" "fuzzystrmatch levenshtein" "$peer"
ours=$(time_sql "SELECT sum(cdp.levenshtein(a, b, 2)) FROM sim_bench_pairs")
peer=$(time_sql "SELECT sum(levenshtein_less_equal(a, b, 2)) FROM sim_bench_pairs")
report "full scan: levenshtein max 2, $rows pairs" "$ours" "fuzzystrmatch lev_less_equal" "$peer"
ours=$(time_sql "SELECT sum(cdp.trigram_similarity(a, b)) FROM sim_bench_pairs")
peer=$(time_sql "SELECT sum(similarity(a, b)) FROM sim_bench_pairs")
report "full scan: trigram_similarity, $rows pairs" "$ours" "pg_trgm similarity" "$peer"
ours=$(time_sql "SELECT count(DISTINCT cdp.soundex(a)) FROM sim_bench_pairs")
peer=$(time_sql "SELECT count(DISTINCT soundex(a)) FROM sim_bench_pairs")
report "full scan: soundex, $rows names" "$ours" "fuzzystrmatch soundex" "$peer"
ours=$(time_sql "SELECT count(cdp.double_metaphone(a)) FROM sim_bench_pairs")
peer=$(time_sql "SELECT count(ARRAY[dmetaphone(a), dmetaphone_alt(a)]) FROM sim_bench_pairs")
report "full scan: double_metaphone, $rows names" "$ours" "fuzzystrmatch dmetaphone+alt" "$peer"
ours=$(time_sql "SELECT sum(cdp.damerau_levenshtein(a, b)) FROM sim_bench_pairs")
report "full scan: damerau_levenshtein, $rows pairs" "$ours" "(no peer)" 0
ours=$(time_sql "SELECT sum(cdp.token_set_similarity(a, b)) FROM sim_bench_pairs")
report "full scan: token_set_similarity, $rows pairs" "$ours" "(no peer)" 0

# Cost per call as the strings grow: random strings over a 16-letter alphabet,
# each pair differs (independent strings).  Reported in microseconds per call.
echo "  cost per call (µs) by string length; fuzzystrmatch refuses > 255 characters, pg_similarity > 1024 bytes"
for len in 8 32 128 1024 10000; do
  case $len in 8) n=$(scaled 200000) ;; 32) n=$(scaled 100000) ;; 128) n=$(scaled 20000) ;;
               1024) n=$(scaled 2000) ;; *) n=$(scaled 50) ;; esac
  bench_psql <<SQL
DROP TABLE IF EXISTS sim_bench_len;
CREATE TABLE sim_bench_len AS
  SELECT left(repeat(translate(md5(g::text), '0123456789', 'ghijklmnop'), $len / 32 + 1), $len) AS a,
         left(repeat(translate(md5((g + 1)::text), '0123456789', 'ghijklmnop'), $len / 32 + 1), $len) AS b
    FROM generate_series(1, $n) g;
VACUUM ANALYZE sim_bench_len;
SQL
  per() { awk -v ms="$1" -v n="$n" 'BEGIN { printf "%.3f", ms * 1000 / n }'; }
  o=$(per "$(time_sql "SELECT sum(cdp.levenshtein(a, b)) FROM sim_bench_len")")
  if [ "$len" -le 255 ]; then p=$(per "$(time_sql "SELECT sum(levenshtein(a, b)) FROM sim_bench_len")"); pn="fuzzystrmatch levenshtein"
  else p=0; pn="(fuzzystrmatch: > 255 chars)"; fi
  report "len $len: levenshtein (µs/call, $n calls)" "$o" "$pn" "$p" "µs/call"
  o=$(per "$(time_sql "SELECT sum(cdp.jaro_winkler(a, b)) FROM sim_bench_len")")
  if [ "$len" -le 1024 ]; then p=$(per "$(time_sql "SELECT sum(jarowinkler(a, b)) FROM sim_bench_len" 1)"); pn="pg_similarity jarowinkler"
  else p=0; pn="(pg_similarity: > 1024 bytes)"; fi
  report "len $len: jaro_winkler (µs/call)" "$o" "$pn" "$p" "µs/call"
  o=$(per "$(time_sql "SELECT sum(cdp.trigram_similarity(a, b)) FROM sim_bench_len")")
  p=$(per "$(time_sql "SELECT sum(similarity(a, b)) FROM sim_bench_len")")
  report "len $len: trigram_similarity (µs/call)" "$o" "pg_trgm similarity" "$p" "µs/call"
  dn=$n; [ "$len" -ge 10000 ] && dn=5
  o=$(awk -v ms="$(time_sql "SELECT sum(cdp.damerau_levenshtein(a, b)) FROM (SELECT * FROM sim_bench_len LIMIT $dn) s" 1)" -v n="$dn" 'BEGIN { printf "%.3f", ms * 1000 / n }')
  report "len $len: damerau_levenshtein (µs/call)" "$o" "(no peer)" 0 "µs/call"
done
bench_psql -c "DROP TABLE IF EXISTS sim_bench_src, sim_bench_names, sim_bench_pairs, sim_bench_len"
