#include "pg/activation/hooks.h"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
}

#include "pg/common/boundary.h"
#include "pg/common/convert.h"

namespace cdp::pg::activation {

void customers_changed(Spi& spi, const std::vector<int64>& ids) {
    if (ids.empty()) return;
    bool installed = false;
    pg_call([&]() noexcept {
        Oid nsp = get_namespace_oid("cdp", true);
        installed = OidIsValid(nsp) && OidIsValid(get_relname_relid("destinations", nsp));
    });
    if (!installed) return;
    spi.exec_prepared(
        "SELECT cdp._activation_reconcile_all($1) FROM (SELECT 1 FROM cdp.destinations LIMIT 1) x",
        {{INT8ARRAYOID, int64_array_datum(ids)}});
}

}  // namespace cdp::pg::activation
