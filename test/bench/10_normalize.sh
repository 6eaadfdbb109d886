# Normalisers: per-call cost of each cdp.normalize_* on 100k rows, beside the
# closest thing a user would write without cdp (same table, same scan):
#   email   vs lower(btrim(x))                         (no validation, no IDN, no gmail rules)
#   phone   vs regexp_replace(x, '[^0-9+]', '', 'g')   (digits only, no validation/E.164)
#   name    vs lower(x)                                (no accents/scripts/punctuation)
#   name    vs btrim(regexp_replace(lower(unaccent(x)), '[^a-z0-9]+', ' ', 'g'))  (Latin only)
#   address vs btrim(regexp_replace(lower(x), '[^a-z0-9]+', ' ', 'g'))           (no abbreviations)
# Names are 30% non-ASCII (Latin with accents, Cyrillic, Greek, CJK).  Phones
# are measured twice: all distinct (libphonenumber every call) and repeating
# (5k distinct numbers in 100k rows, as in an event stream: the per-backend
# memo of recent results answers most calls).
n=$((100000 * BENCH_SCALE))
bench_psql <<SQL
CREATE EXTENSION IF NOT EXISTS cdp;
CREATE EXTENSION IF NOT EXISTS unaccent;
DROP TABLE IF EXISTS bench_norm;
CREATE TABLE bench_norm AS
SELECT i,
       CASE i % 4 WHEN 0 THEN format('  Mario.Rossi%s+promo@GoogleMail.com ', i)
                  WHEN 1 THEN format('Anna.Bianchi%s@Example.IT', i)
                  WHEN 2 THEN format('user%s@bücher%s.de', i, i % 10)
                  ELSE format('J.Smith%s@Outlook.COM', i) END AS email,
       CASE i % 3 WHEN 0 THEN format('02 %s', 10000000 + i)
                  WHEN 1 THEN format('+39 3%s%s', 20 + i % 80, 1000000 + i)
                  ELSE format('0039 06-%s', 10000000 + i) END AS phone,
       CASE i % 5000 % 3 WHEN 0 THEN format('02 %s', 10000000 + i % 5000)
                         WHEN 1 THEN format('+39 3%s%s', 20 + i % 5000 % 80, 1000000 + i % 5000)
                         ELSE format('0039 06-%s', 10000000 + i % 5000) END AS phone_repeat,
       (ARRAY['  José  O''Brien-Smith ', 'MARY-JANE watson', 'Giuseppe Verdi', 'Müller, Hans',
              'Anna Maria Rossi', 'Игорь Стравинский', 'Renée Lefèvre', 'John Smith Jr.',
              'Σωκράτης Παπαδόπουλος', '张伟'])[1 + i % 10] || ' ' || i AS name,
       (ARRAY['V. Roma, ', 'P.zza Garibaldi n. ', 'C.so Vittorio Emanuele II ', 'Main St Apt ',
              'St James Rd ', 'Via dell''Orso '])[1 + i % 6] || i AS address
  FROM generate_series(1, $n) AS i;
ANALYZE bench_norm;
SQL

per_call() { awk -v ms="$1" -v n="$n" 'BEGIN { printf "%.2f us/call", ms * 1000 / n }'; }

ours=$(time_sql "SELECT count(cdp.normalize_email(email)) FROM bench_norm")
peer=$(time_sql "SELECT count(lower(btrim(email))) FROM bench_norm")
report "normalize_email, ${n} rows" "$ours" "lower(btrim(x))" "$peer" "$(per_call "$ours")"

ours=$(time_sql "SELECT count(cdp.normalize_phone(phone, 'IT')) FROM bench_norm")
peer=$(time_sql "SELECT count(regexp_replace(phone, '[^0-9+]', '', 'g')) FROM bench_norm")
report "normalize_phone, ${n} distinct" "$ours" "regexp_replace digits" "$peer" "$(per_call "$ours")"
ours=$(time_sql "SELECT count(cdp.normalize_phone(phone_repeat, 'IT')) FROM bench_norm")
peer=$(time_sql "SELECT count(regexp_replace(phone_repeat, '[^0-9+]', '', 'g')) FROM bench_norm")
report "normalize_phone, ${n} rows, 5k distinct" "$ours" "regexp_replace digits" "$peer" "$(per_call "$ours")"

ours=$(time_sql "SELECT count(cdp.normalize_name(name)) FROM bench_norm")
peer=$(time_sql "SELECT count(lower(name)) FROM bench_norm")
report "normalize_name, ${n} rows" "$ours" "lower(x)" "$peer" "$(per_call "$ours")"
peer=$(time_sql "SELECT count(btrim(regexp_replace(lower(unaccent(name)), '[^a-z0-9]+', ' ', 'g'))) FROM bench_norm")
report "normalize_name, ${n} rows" "$ours" "unaccent+lower+regexp" "$peer" "$(per_call "$ours")"

ours=$(time_sql "SELECT count(cdp.normalize_address(address)) FROM bench_norm")
peer=$(time_sql "SELECT count(btrim(regexp_replace(lower(address), '[^a-z0-9]+', ' ', 'g'))) FROM bench_norm")
report "normalize_address, ${n} rows" "$ours" "lower+regexp clean-up" "$peer" "$(per_call "$ours")"

bench_psql -c "DROP TABLE bench_norm"
