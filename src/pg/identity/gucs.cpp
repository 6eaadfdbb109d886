#include "pg/common/pg.h"

extern "C" {
#include "utils/guc.h"
}

#include <climits>

#include "pg/common/init.h"
#include "pg/common/policy.h"
#include "pg/identity/gucs.h"

namespace cdp::pg::identity {

bool defer_resolution = false;
int max_cluster_records = 10000;
int bulk_rewrite_min_records = 100000;

namespace {
// Policy settings (PGC_SUSET, SET granted to cdp_admin): see pg/common/policy.h.
CDP_POLICY_SETTING("cdp.defer_resolution");
CDP_POLICY_SETTING("cdp.max_cluster_records");
CDP_POLICY_SETTING("cdp.bulk_rewrite_min_records");
void define_gucs() {
    DefineCustomBoolVariable(
        "cdp.defer_resolution",
        "Store records without resolving identities; run cdp.resolve_identities() afterwards.", nullptr,
        &defer_resolution, false, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "cdp.max_cluster_records",
        "Largest number of records one customer may hold; bigger merges are refused and logged.", nullptr,
        &max_cluster_records, 10000, 1, INT_MAX, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "cdp.bulk_rewrite_min_records",
        "cdp.resolve_identities() rewrites cdp.records in one pass (instead of updating row by row) when at "
        "least this many records, and a quarter of the table, change customer.",
        "The rewrite needs the table's ACCESS EXCLUSIVE lock at once; when another session holds a lock on "
        "cdp.records it falls back to UPDATE. 0 disables the rewrite.",
        &bulk_rewrite_min_records, 100000, 0, INT_MAX, PGC_SUSET, 0, nullptr, nullptr, nullptr);
}
CDP_MODULE_INIT(define_gucs);
}  // namespace

}  // namespace cdp::pg::identity
