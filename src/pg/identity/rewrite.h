// Bulk write-back of records.customer_id for cdp.resolve_identities().
//
// After a bulk load (cdp.defer_resolution) every record changes customer, and
// an UPDATE of a million rows costs a new tuple version plus one insertion
// into every index per row.  rewrite_records_customer_ids() instead writes a
// new heap in one sequential pass (the old one's live rows, customer_id
// replaced) and rebuilds the indexes with sorted bulk builds: the same
// machinery ALTER TABLE uses when it rewrites a table (make_new_heap /
// finish_heap_swap), so it is transactional (a rollback keeps the old file).
//
// It needs cdp.records' ACCESS EXCLUSIVE lock and only takes it when it is
// free at once (ConditionalLockRelationOid): it never waits, so it can never
// deadlock with a session that reads cdp.records and then waits for the
// graph lock; the caller falls back to an UPDATE when it returns false
// (also when cdp.records has anything only an UPDATE honours: triggers,
// rules, a CHECK, a foreign key on customer_id, a stored generated column,
// row-level security, inheritance children, a publication of its updates
// (core/common/table_shape.h); or when a scan of it is open in this
// session).  A NOT NULL on customer_id is checked row by row.  As
// with any table rewrite, a transaction whose snapshot predates the commit
// sees the table as empty if it first touches it afterwards (see docs/identity.md).
#pragma once

#include "pg/common/pg.h"

#include <string>
#include <vector>

namespace cdp::pg::identity {

// `rids` ascending, `cids[i]` the customer of rids[i] (0 = NULL).  Rows whose
// record_id is not in `rids` keep their customer_id.  Returns false, having
// changed nothing, when the lock is not free.
struct RewriteStats {
    int64 rows = 0;        // rows copied
    double copy_ms = 0;    // writing the new heap
    double index_ms = 0;   // swapping files and rebuilding the indexes
    std::string fallback;  // why not rewritten (empty when rewritten)
};
bool rewrite_records_customer_ids(const std::vector<int64>& rids, const std::vector<int64>& cids,
                                  RewriteStats* stats);

}  // namespace cdp::pg::identity
