// PostgreSQL-version-specific calls, in one place.
//
// cdp is built and tested against PostgreSQL 15 only.  The calls below are
// the ones whose signature or existence differs between major versions, so
// that a port to 16/17 is a change to this file (plus a build and the full
// test run), not a search through src/pg:
//   - ExecInsertIndexTuples: PostgreSQL 16 adds `bool onlySummarizing`;
//   - make_new_heap / finish_heap_swap (ALTER TABLE's rewrite machinery,
//     internal API; make_new_heap took no access method before 15);
//   - MarkGUCPrefixReserved (15+; EmitWarningsOnPlaceholders before).
// Calls used elsewhere in src/pg (table_open, table_beginscan, heap_getnext,
// heap_insert, table_multi_insert, DefineCustom*Variable, the GIN/GiST
// support function signatures) have kept their signatures from 15 to 17 as
// far as the release notes say; a port re-checks them by building.
#pragma once

#include "pg/common/pg.h"

extern "C" {
#include "commands/cluster.h"
#include "executor/executor.h"
#include "utils/guc.h"
}

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 160000
#error "cdp supports PostgreSQL 15; for another version adapt src/pg/common/compat.h first"
#endif

namespace cdp::pg::compat {

// Index entries for a tuple just inserted (not an UPDATE, no arbiter
// indexes); returns the list of indexes needing a recheck.
inline List* insert_index_tuples(ResultRelInfo* rri, TupleTableSlot* slot, EState* estate) {
    return ExecInsertIndexTuples(rri, slot, estate, false, false, nullptr, NIL);
}

// A transient heap for rewriting relid (as ALTER TABLE does).
inline Oid make_new_heap(Oid relid, Oid tablespace, Oid access_method, char persistence, LOCKMODE lockmode) {
    return ::make_new_heap(relid, tablespace, access_method, persistence, lockmode);
}

// Swap relid's files with new_oid's, rebuild its indexes, drop the transient heap.
inline void finish_heap_swap(Oid relid, Oid new_oid, bool is_system_catalog, bool swap_toast_by_content,
                             bool check_constraints, bool is_internal, TransactionId frozen_xid,
                             MultiXactId cutoff_multi, char persistence) {
    ::finish_heap_swap(relid, new_oid, is_system_catalog, swap_toast_by_content, check_constraints,
                       is_internal, frozen_xid, cutoff_multi, persistence);
}

// Reserve the "cdp." prefix for this module's settings.
inline void reserve_guc_prefix(const char* prefix) { MarkGUCPrefixReserved(prefix); }

}  // namespace cdp::pg::compat
