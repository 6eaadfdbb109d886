// See identity_rewrite.h.  The whole rewrite is plain PostgreSQL code run in
// one pg_call(): no C++ object lives in that frame, the inputs are raw
// arrays, and the lookup is a hinted binary search that cannot throw.
#include "pg/common/pg.h"

extern "C" {
#include "access/heapam.h"
#include "access/multixact.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/cluster.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

#include <chrono>
#include <optional>
#include <string>

#include "pg/common/boundary.h"
#include "pg/common/compat.h"
#include "pg/common/table_shape.h"
#include "pg/identity/rewrite.h"

namespace cdp::pg::identity {

namespace {

// Index of `rid` in the ascending array R[0..n), or n.  `hint` is where the
// previous lookup ended: heap order is usually record_id order.
size_t find_record(const int64* R, size_t n, int64 rid, size_t hint) noexcept {
    if (hint < n && R[hint] == rid) return hint;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (R[mid] < rid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && R[lo] == rid ? lo : n;
}

}  // namespace

bool rewrite_records_customer_ids(const std::vector<int64>& rids, const std::vector<int64>& cids,
                                  RewriteStats* stats) {
    const int64* R = rids.data();
    const int64* C = cids.data();
    const size_t n = rids.size();
    bool done = false;
    int64 written = 0;
    auto t0 = std::chrono::steady_clock::now(), t1 = t0, t2 = t0;
    Oid relid = InvalidOid;
    Relation old_rel = nullptr;
    bool locked = false, in_use = false;
    pg_call([&]() noexcept {
        relid = get_relname_relid("records", get_namespace_oid("cdp", false));
        if (!OidIsValid(relid)) elog(ERROR, "cdp.records is missing");
        if (!ConditionalLockRelationOid(relid, AccessExclusiveLock)) return;
        locked = true;
        old_rel = table_open(relid, NoLock);
        // A scan of cdp.records still open in this session (the call sits in a
        // query reading the table, or a cursor is open): the files must not
        // be swapped under it, as ALTER TABLE's CheckTableNotInUse() says.
        in_use = old_rel->rd_refcnt > 1;
    });
    std::optional<std::string> blocker;
    if (!locked)
        blocker = "cdp.records is locked by another session";
    else if (in_use)
        blocker = "a scan of cdp.records is open in this session";
    else if (auto why = bulk_blocker(describe_table(old_rel, true), BulkWrite::kRewriteColumn, "customer_id"))
        blocker = "cdp.records has " + *why;
    if (blocker) {
        if (stats) stats->fallback = *blocker;
        // The lock stays until commit, harmlessly.
        if (old_rel != nullptr) pg_call([&]() noexcept { table_close(old_rel, NoLock); });
        return false;
    }
    pg_call([&]() noexcept {
        TupleDesc desc = RelationGetDescr(old_rel);
        AttrNumber a_rid = get_attnum(relid, "record_id");
        AttrNumber a_cid = get_attnum(relid, "customer_id");
        if (a_rid == InvalidAttrNumber || a_cid == InvalidAttrNumber)
            elog(ERROR, "cdp.records lacks record_id or customer_id");
        char persistence = old_rel->rd_rel->relpersistence;
        Oid new_oid = compat::make_new_heap(relid, old_rel->rd_rel->reltablespace, old_rel->rd_rel->relam,
                                            persistence, AccessExclusiveLock);
        Relation new_rel = table_open(new_oid, NoLock);

        CommandCounterIncrement();  // our own earlier writes are part of the copy
        Snapshot snap = RegisterSnapshot(GetLatestSnapshot());
        TableScanDesc scan = table_beginscan(old_rel, snap, 0, nullptr);
        BulkInsertState bis = GetBulkInsertState();
        CommandId cid = GetCurrentCommandId(true);
        auto* values = static_cast<Datum*>(palloc(sizeof(Datum) * desc->natts));
        auto* nulls = static_cast<bool*>(palloc(sizeof(bool) * desc->natts));
        MemoryContext per_row =
            AllocSetContextCreate(CurrentMemoryContext, "cdp records rewrite", ALLOCSET_DEFAULT_SIZES);
        size_t hint = 0;
        HeapTuple tup;
        while ((tup = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
            CHECK_FOR_INTERRUPTS();
            MemoryContext saved = MemoryContextSwitchTo(per_row);
            heap_deform_tuple(tup, desc, values, nulls);
            size_t k = find_record(R, n, DatumGetInt64(values[a_rid - 1]), hint);
            if (k < n) {
                values[a_cid - 1] = Int64GetDatum(C[k]);
                nulls[a_cid - 1] = C[k] == 0;
                hint = k + 1;
                if (nulls[a_cid - 1] && TupleDescAttr(desc, a_cid - 1)->attnotnull)
                    ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
                                    errmsg("null value in column \"%s\" of relation \"%s\" violates not-null "
                                           "constraint",
                                           "customer_id", RelationGetRelationName(old_rel)),
                                    errtablecol(old_rel, a_cid)));
            }
            // heap_insert toasts afresh into the new heap's TOAST table
            // (external values of the old tuple are fetched, not shared).
            HeapTuple copy = heap_form_tuple(desc, values, nulls);
            heap_insert(new_rel, copy, cid, HEAP_INSERT_SKIP_FSM, bis);
            MemoryContextSwitchTo(saved);
            MemoryContextReset(per_row);
            ++written;
        }
        table_endscan(scan);
        UnregisterSnapshot(snap);
        FreeBulkInsertState(bis);
        table_finish_bulk_insert(new_rel, HEAP_INSERT_SKIP_FSM);
        MemoryContextDelete(per_row);
        pfree(values);
        pfree(nulls);
        table_close(new_rel, NoLock);
        table_close(old_rel, NoLock);
        t1 = std::chrono::steady_clock::now();
        // Swap the files, rebuild every index of cdp.records (sorted bulk
        // builds, unique constraints checked) and drop the transient heap.
        compat::finish_heap_swap(relid, new_oid, false, false, true, true, RecentXmin, ReadNextMultiXactId(),
                                 persistence);
        t2 = std::chrono::steady_clock::now();
        done = true;
    });
    if (stats) {
        stats->rows = written;
        stats->copy_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        stats->index_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
    }
    return done;
}

}  // namespace cdp::pg::identity
