# Activation: the pull feed read and acknowledged in batches of 1,000
# (changes/s) versus a hand-written keyset read + DELETE over a plain queue
# table with the same rows; a new destination's initial enters (reconcile of
# the whole membership) versus a hand-written INSERT ... SELECT of the same
# payloads; a (simulated) refresh appending 10% exits to
# cdp.segment_membership_log with three destinations attached versus none.
# Sizes: 200k members at BENCH_SCALE=1.  (No webhook worker yet: no webhook
# figures.)
members=$(awk -v s="${BENCH_SCALE:-1}" 'BEGIN { n = int(200000 * s); print (n < 1000 ? 1000 : n) }')
bench_psql <<SQL
CREATE EXTENSION IF NOT EXISTS cdp;
DO \$\$ BEGIN
  PERFORM cdp.drop_destination(name) FROM cdp.destinations WHERE name LIKE 'ab\_%';
END \$\$;
DELETE FROM cdp.segments WHERE name = 'ab_seg';
DELETE FROM cdp.profiles WHERE customer_id >= 900000000;
DELETE FROM cdp.consents WHERE customer_id >= 900000000;
INSERT INTO cdp.consent_purposes (purpose) VALUES ('ab_email') ON CONFLICT DO NOTHING;
INSERT INTO cdp.profiles (customer_id, traits, computed)
SELECT 900000000 + g, jsonb_build_object('first_name', 'n' || g, 'city', 'c' || (g % 50)), jsonb_build_object('rfm_monetary', g % 997)
  FROM generate_series(1, $members) g;
INSERT INTO cdp.consents (customer_id, purpose, granted) SELECT 900000000 + g, 'ab_email', g % 10 <> 0 FROM generate_series(1, $members) g;
INSERT INTO cdp.segments (name, definition) VALUES ('ab_seg', '{}');
INSERT INTO cdp.segment_members (segment_id, customer_id)
SELECT (SELECT segment_id FROM cdp.segments WHERE name = 'ab_seg'), 900000000 + g FROM generate_series(1, $members) g;
VACUUM ANALYZE;
SQL
spec='{"segment":"ab_seg","purpose":"ab_email","fields":["first_name","city","computed.rfm_monetary"]}'
ours=$(time_sql "SELECT cdp.create_destination('ab_pull', '$spec')" 1)
peer=$(time_sql "DROP TABLE IF EXISTS ab_plain; CREATE TABLE ab_plain AS SELECT row_number() OVER (ORDER BY p.customer_id) AS seq, p.customer_id, 'enter'::text AS change, now() AS at, jsonb_build_object('first_name', p.traits -> 'first_name', 'city', p.traits -> 'city', 'computed.rfm_monetary', p.computed -> 'rfm_monetary', 'cdp_key', encode(sha256('x'::bytea || int8send(p.customer_id)), 'hex')) AS payload FROM cdp.segment_members m JOIN cdp.segments s ON s.segment_id = m.segment_id AND s.name = 'ab_seg' JOIN cdp.profiles p ON p.customer_id = m.customer_id JOIN cdp.consents k ON k.customer_id = p.customer_id AND k.purpose = 'ab_email' AND k.granted; ALTER TABLE ab_plain ADD PRIMARY KEY (seq)" 1)
report "activation: initial enters ($members members)" "$ours" "INSERT ... SELECT" "$peer"
n=$(bench_psql -At -c "SELECT last_seq FROM cdp.destinations WHERE name = 'ab_pull'")
ours=$(time_sql "DO \$\$ DECLARE last bigint; k bigint; BEGIN LOOP SELECT max(seq), count(*) INTO last, k FROM cdp.destination_changes('ab_pull', 1000); EXIT WHEN k = 0; PERFORM cdp.ack_destination('ab_pull', last); END LOOP; END \$\$" 1)
peer=$(time_sql "DO \$\$ DECLARE pos bigint := 0; last bigint; k bigint; BEGIN LOOP SELECT max(seq), count(*) INTO last, k FROM (SELECT * FROM ab_plain WHERE seq > pos ORDER BY seq LIMIT 1000) x; EXIT WHEN k = 0; DELETE FROM ab_plain WHERE seq <= last; pos := last; END LOOP; END \$\$" 1)
rate=$(awk -v n="$n" -v ms="$ours" 'BEGIN { printf "%d", (ms > 0) ? n / (ms / 1000) : 0 }')
report "activation: pull feed read+ack ($n changes, batches of 1000)" "$ours" "keyset read + DELETE" "$peer" "$rate changes/s (target >= 100000)"
# Refresh: 10% of the members exit (a different tenth each time), one log
# INSERT plus the segment_members DELETE, with 0 and then 3 destinations.
refresh() {
  echo "INSERT INTO cdp.segment_membership_log (segment_id, customer_id, change, run_id) SELECT m.segment_id, m.customer_id, 'exit', 1 FROM cdp.segment_members m JOIN cdp.segments s ON s.segment_id = m.segment_id AND s.name = 'ab_seg' WHERE m.customer_id % 10 = $1; DELETE FROM cdp.segment_members m USING cdp.segments s WHERE s.segment_id = m.segment_id AND s.name = 'ab_seg' AND m.customer_id % 10 = $1"
}
bench_psql -c "SELECT cdp.drop_destination('ab_pull')" >/dev/null
none=$(time_sql "DO \$\$ BEGIN $(refresh 3); END \$\$" 1)
bench_psql -c "SELECT cdp.create_destination('ab_d' || i, '$spec') FROM generate_series(1, 3) i" >/dev/null
three=$(time_sql "DO \$\$ BEGIN $(refresh 4); END \$\$" 1)
report "activation: refresh (10% exit), 3 destinations vs none" "$three" "same refresh, no destination" "$none" "target ratio >= 0.8"
bench_psql -c "SELECT cdp.drop_destination(name) FROM cdp.destinations WHERE name LIKE 'ab\_%'" >/dev/null
