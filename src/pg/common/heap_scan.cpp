// See heap_scan.h.  PostgreSQL calls run inside pg_call(); inside, only raw
// pointers into buffers sized beforehand are written (no C++ allocation).
#include "pg/common/pg.h"

extern "C" {
#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

#include "core/common/error.h"
#include "pg/common/boundary.h"
#include "pg/common/heap_scan.h"

namespace cdp::pg {

HeapScan::HeapScan(const char* table, std::initializer_list<const char*> columns) {
    ncols_ = static_cast<int>(columns.size());
    std::vector<const char*> names(columns);
    attnum_.assign(names.size(), -1);
    is_text_.assign(names.size(), 0);
    ints_.assign(kRows * ncols_, 0);
    nulls_.assign(kRows * ncols_, 0);
    off_.assign(kRows * ncols_, 0);
    len_.assign(kRows * ncols_, 0);
    arena_.resize(8u << 20);
    int* att = attnum_.data();
    char* is_text = is_text_.data();
    const char* const* nm = names.data();
    const int n = ncols_;
    bool missing = false;
    pg_call([&]() noexcept {
        Oid relid = get_relname_relid(table, get_namespace_oid("cdp", false));
        if (!OidIsValid(relid)) elog(ERROR, "table cdp.%s does not exist", table);
        rel_ = table_open(relid, AccessShareLock);
        TupleDesc desc = RelationGetDescr(rel_);
        for (int c = 0; c < n; ++c) {
            AttrNumber a = get_attnum(relid, nm[c]);
            if (a <= 0) {
                missing = true;
                continue;
            }
            att[c] = a - 1;
            is_text[c] = TupleDescAttr(desc, a - 1)->attlen == -1;
        }
        values_ = static_cast<Datum*>(palloc(sizeof(Datum) * desc->natts));
        isnull_ = static_cast<bool*>(palloc(sizeof(bool) * desc->natts));
        cxt_ = AllocSetContextCreate(CurrentMemoryContext, "cdp heap scan", ALLOCSET_DEFAULT_SIZES);
        CommandCounterIncrement();
        snap_ = RegisterSnapshot(GetTransactionSnapshot());
        scan_ = table_beginscan(rel_, snap_, 0, nullptr);
        open_ = true;
    });
    if (missing)
        throw cdp::Error(std::string("cdp.") + table + " lacks a column", cdp::sqlstate::kInternalError);
}

bool HeapScan::next_batch() {
    rows_ = 0;
    if (done_ || !open_) return false;
    if (need_ > arena_.size()) arena_.resize(need_);
    need_ = 0;
    const int n = ncols_;
    const int* att = attnum_.data();
    const char* is_text = is_text_.data();
    int64* ints = ints_.data();
    char* nulls = nulls_.data();
    uint32_t* off = off_.data();
    uint32_t* len = len_.data();
    char* arena = arena_.data();
    const size_t cap = arena_.size();
    size_t used = 0, rows = 0, need = 0;
    bool end = false;
    pg_call([&]() noexcept {
        TupleDesc desc = RelationGetDescr(rel_);
        MemoryContext saved = MemoryContextSwitchTo(cxt_);
        while (rows < kRows) {
            HeapTuple tup = pending_ != nullptr ? pending_ : heap_getnext(scan_, ForwardScanDirection);
            pending_ = nullptr;
            if (tup == nullptr) {
                end = true;
                break;
            }
            if ((rows & 4095) == 0) CHECK_FOR_INTERRUPTS();
            heap_deform_tuple(tup, desc, values_, isnull_);
            // bytes this row needs in the arena
            size_t bytes = 0;
            for (int c = 0; c < n; ++c) {
                Datum d = values_[att[c]];
                if (!is_text[c] || isnull_[att[c]]) continue;
                struct varlena* v =
                    pg_detoast_datum_packed(reinterpret_cast<struct varlena*>(DatumGetPointer(d)));
                values_[att[c]] = PointerGetDatum(v);
                bytes += VARSIZE_ANY_EXHDR(v);
            }
            if (used + bytes > cap) {  // full: keep the tuple for the next batch
                pending_ = tup;
                need = bytes;
                break;
            }
            for (int c = 0; c < n; ++c) {
                size_t k = rows * n + c;
                bool isnull = isnull_[att[c]];
                nulls[k] = isnull;
                ints[k] = 0;
                len[k] = 0;
                off[k] = static_cast<uint32_t>(used);
                if (isnull) continue;
                Datum d = values_[att[c]];
                if (is_text[c]) {
                    auto* v = reinterpret_cast<struct varlena*>(DatumGetPointer(d));
                    size_t l = VARSIZE_ANY_EXHDR(v);
                    memcpy(arena + used, VARDATA_ANY(v), l);
                    len[k] = static_cast<uint32_t>(l);
                    used += l;
                } else {
                    ints[k] = DatumGetInt64(d);
                }
            }
            ++rows;
            if ((rows & 1023) == 0) MemoryContextReset(cxt_);
        }
        MemoryContextSwitchTo(saved);
        MemoryContextReset(cxt_);
    });
    rows_ = rows;
    if (need > 0) need_ = need;
    if (end) done_ = true;
    return rows_ > 0 || (!done_ && need_ > 0 && next_batch());
}

void HeapScan::finish() {
    if (!open_) return;
    pg_call([&]() noexcept {
        table_endscan(scan_);
        UnregisterSnapshot(snap_);
        MemoryContextDelete(cxt_);
        table_close(rel_, NoLock);
    });
    open_ = false;
}

}  // namespace cdp::pg
