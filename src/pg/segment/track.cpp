// See track.h.
#include "pg/segment/track.h"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
}

#include "pg/common/boundary.h"
#include "pg/common/convert.h"

namespace cdp::pg::segment {

namespace {
// The table exists (a library newer than the schema: nothing to do).
bool installed() {
    bool ok = false;
    pg_call([&]() noexcept {
        Oid nsp = get_namespace_oid("cdp", true);
        ok = OidIsValid(nsp) && OidIsValid(get_relname_relid("segment_dirty", nsp));
    });
    return ok;
}
}  // namespace

void customers_touched(Spi& spi, const std::vector<int64>& ids) {
    if (ids.empty() || !installed()) return;
    spi.exec_prepared(
        "INSERT INTO cdp.segment_dirty (customer_id) SELECT u FROM unnest($1::int8[]) AS u "
        "WHERE EXISTS (SELECT 1 FROM cdp.segments)",
        {{INT8ARRAYOID, int64_array_datum(ids)}});
}

void everything_touched(Spi& spi) {
    if (!installed()) return;
    spi.exec_prepared(
        "INSERT INTO cdp.segment_dirty (customer_id) SELECT NULL WHERE EXISTS (SELECT 1 FROM cdp.segments)",
        {});
}

}  // namespace cdp::pg::segment
