// See bulk_insert.h.  Every PostgreSQL call runs inside pg_call(); the
// frames inside hold no C++ object with a destructor.
#include "pg/common/pg.h"

extern "C" {
#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "nodes/execnodes.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
}

#include <string>

#include "core/common/error.h"
#include "pg/common/boundary.h"
#include "pg/common/bulk_insert.h"
#include "pg/common/compat.h"
#include "pg/common/table_shape.h"

namespace cdp::pg {

BulkInserter::BulkInserter(const char* table) {
    pg_call([&]() noexcept {
        Oid relid = get_relname_relid(table, get_namespace_oid("cdp", false));
        if (!OidIsValid(relid)) elog(ERROR, "table cdp.%s does not exist", table);
        rel_ = table_open(relid, RowExclusiveLock);
        open_ = true;
        natts_ = RelationGetDescr(rel_)->natts;
    });
    if (auto why = bulk_blocker(describe_table(rel_, false), BulkWrite::kInsert)) {
        blocker_ = "cdp." + std::string(table) + " has " + *why;
        pg_call([&]() noexcept { table_close(rel_, NoLock); });  // the caller writes with SQL instead
        open_ = false;
        return;
    }
    usable_ = true;
    pg_call([&]() noexcept {
        TupleDesc desc = RelationGetDescr(rel_);
        estate_ = CreateExecutorState();
        MemoryContext old = MemoryContextSwitchTo(estate_->es_query_cxt);
        rri_ = makeNode(ResultRelInfo);
        InitResultRelInfo(rri_, rel_, 1, nullptr, 0);
        ExecOpenIndices(rri_, false);
        bis_ = GetBulkInsertState();
        slots_ = static_cast<TupleTableSlot**>(palloc0(sizeof(TupleTableSlot*) * kBatch));
        defaults_ = static_cast<ExprState**>(palloc0(sizeof(ExprState*) * natts_));
        for (int a = 0; a < natts_; ++a) {
            // Never a generated column's expression (it needs the row; such a
            // table is not usable anyway).
            if (TupleDescAttr(desc, a)->attisdropped || TupleDescAttr(desc, a)->attgenerated) continue;
            Node* expr = build_column_default(rel_, a + 1);
            if (expr != nullptr) defaults_[a] = ExecPrepareExpr(reinterpret_cast<Expr*>(expr), estate_);
        }
        // A child of the executor state's context: freed with it.
        batch_cxt_ = AllocSetContextCreate(CurrentMemoryContext, "cdp bulk insert", ALLOCSET_DEFAULT_SIZES);
        MemoryContextSwitchTo(old);
        cid_ = GetCurrentCommandId(true);
    });
}

int BulkInserter::column(const char* name) const {
    TupleDesc desc = RelationGetDescr(rel_);
    for (int a = 0; a < natts_; ++a)
        if (!TupleDescAttr(desc, a)->attisdropped &&
            std::string(NameStr(TupleDescAttr(desc, a)->attname)) == name)
            return a;
    throw cdp::Error(std::string("column \"") + name + "\" is missing", cdp::sqlstate::kInternalError);
}

void BulkInserter::add(const BulkCell* row) {
    if (!usable_)
        throw cdp::Error("bulk insert into a table with user triggers", cdp::sqlstate::kInternalError);
    pg_call([&]() noexcept {
        if (slots_[buffered_] == nullptr) {  // made on first use: small writes stay cheap
            MemoryContext q = MemoryContextSwitchTo(estate_->es_query_cxt);
            slots_[buffered_] = MakeSingleTupleTableSlot(RelationGetDescr(rel_), &TTSOpsVirtual);
            MemoryContextSwitchTo(q);
        }
        MemoryContext old = MemoryContextSwitchTo(batch_cxt_);
        TupleTableSlot* slot = slots_[buffered_];
        ExecClearTuple(slot);
        ExprContext* econtext = GetPerTupleExprContext(estate_);
        for (int a = 0; a < natts_; ++a) {
            const BulkCell& c = row[a];
            bool isnull = false;
            Datum d = 0;
            switch (c.kind) {
                case BulkCell::kNull:
                    isnull = true;
                    break;
                case BulkCell::kDefault:
                    if (defaults_[a] == nullptr)
                        isnull = true;
                    else
                        d = ExecEvalExpr(defaults_[a], econtext, &isnull);
                    break;
                case BulkCell::kInt8:
                    d = Int64GetDatum(c.i);
                    break;
                case BulkCell::kText:
                    d = PointerGetDatum(cstring_to_text_with_len(c.s.data(), static_cast<int>(c.s.size())));
                    break;
                case BulkCell::kJsonb:
                    d = DirectFunctionCall1(jsonb_in, CStringGetDatum(pnstrdup(c.s.data(), c.s.size())));
                    break;
            }
            slot->tts_values[a] = d;
            slot->tts_isnull[a] = isnull;
            if (isnull && TupleDescAttr(slot->tts_tupleDescriptor, a)->attnotnull)
                ereport(ERROR,
                        (errcode(ERRCODE_NOT_NULL_VIOLATION),
                         errmsg("null value in column \"%s\" of relation \"%s\" violates not-null constraint",
                                NameStr(TupleDescAttr(slot->tts_tupleDescriptor, a)->attname),
                                RelationGetRelationName(rel_)),
                         errtablecol(rel_, a + 1)));
        }
        ExecStoreVirtualTuple(slot);
        MemoryContextSwitchTo(old);
    });
    if (++buffered_ == kBatch) flush();
}

void BulkInserter::flush() {
    if (buffered_ == 0) return;
    pg_call([&]() noexcept {
        CHECK_FOR_INTERRUPTS();
        table_multi_insert(rel_, slots_, buffered_, cid_, 0, bis_);
        for (int k = 0; k < buffered_; ++k) {
            if (rri_->ri_NumIndices > 0) {
                List* recheck = compat::insert_index_tuples(rri_, slots_[k], estate_);
                list_free(recheck);
            }
            ExecClearTuple(slots_[k]);
        }
        ResetPerTupleExprContext(estate_);
        MemoryContextReset(batch_cxt_);
    });
    written_ += buffered_;
    buffered_ = 0;
}

int64 BulkInserter::finish() {
    if (!open_) return written_;
    flush();
    pg_call([&]() noexcept {
        for (int k = 0; k < kBatch && slots_[k] != nullptr; ++k) ExecDropSingleTupleTableSlot(slots_[k]);
        FreeBulkInsertState(bis_);
        table_finish_bulk_insert(rel_, 0);
        ExecCloseIndices(rri_);
        FreeExecutorState(estate_);  // also frees batch_cxt_, its child
        table_close(rel_, NoLock);
    });
    open_ = false;
    return written_;
}

}  // namespace cdp::pg
