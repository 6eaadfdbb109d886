# Call overhead of a cdp C++ function through the error boundary, against a
# built-in C function of the same shape (text -> text), on 1M calls.
n=$((1000000 * BENCH_SCALE))
bench_psql -c "CREATE EXTENSION IF NOT EXISTS cdp"
ours=$(time_sql "SELECT count(cdp.version()) FROM generate_series(1, $n)")
peer=$(time_sql "SELECT count(pg_catalog.version()) FROM generate_series(1, $n)")
report "boundary: ${n} calls of cdp.version()" "$ours" "pg_catalog.version()" "$peer" "call overhead"
