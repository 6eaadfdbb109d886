// Appending many rows to one of cdp's own tables the way COPY does it:
// heap_multi_insert in batches of 1000 with a bulk-insert buffer strategy,
// then the batch's index entries (ExecInsertIndexTuples), no planner, no
// per-row SQL, no array round trip.  Column defaults are evaluated for cells
// marked kDefault (nextval, now(), ...).  Used for the big write-backs of
// cdp.resolve_identities() (merge_log, customers).
//
// It bypasses what only the executor's ModifyTable does (triggers, foreign
// key checks, CHECK constraints, generated columns, rules, row-level
// security).  usable() is false when the table has any of these
// (core/common/table_shape.h; blocker() says which); callers then use SQL.
// NOT NULL is checked row by row, with the executor's error.
#pragma once

#include "pg/common/pg.h"

#include <string>
#include <string_view>

namespace cdp::pg {

struct BulkCell {
    enum Kind : unsigned char { kNull, kDefault, kInt8, kText, kJsonb } kind = kNull;
    int64 i = 0;
    std::string_view s;  // kText, kJsonb (JSON text; copied)
    static BulkCell null() { return {}; }
    static BulkCell def() { return {kDefault, 0, {}}; }
    static BulkCell int8(int64 v) { return {kInt8, v, {}}; }
    static BulkCell int8_or_null(int64 v) { return v == 0 ? null() : int8(v); }
    static BulkCell text(std::string_view v) { return {kText, 0, v}; }
    static BulkCell jsonb(std::string_view v) { return {kJsonb, 0, v}; }
};

class BulkInserter {
 public:
    // Opens cdp.<table> (RowExclusiveLock).
    explicit BulkInserter(const char* table);
    // Nothing is released on an error path: the transaction aborts and
    // PostgreSQL's resource owner closes what is open.
    ~BulkInserter() = default;
    BulkInserter(const BulkInserter&) = delete;
    BulkInserter& operator=(const BulkInserter&) = delete;

    bool usable() const { return usable_; }
    // Why not usable() (empty when usable).
    const std::string& blocker() const { return blocker_; }
    int natts() const { return natts_; }
    // 0-based position of a column; cdp::Error when missing.
    int column(const char* name) const;
    // One row: natts() cells in column order.
    void add(const BulkCell* row);
    // Writes what is buffered and closes the table.  Returns rows written.
    int64 finish();

 private:
    void flush();

    static constexpr int kBatch = 1000;
    bool usable_ = false;
    std::string blocker_;
    bool open_ = false;
    int natts_ = 0;
    int buffered_ = 0;
    int64 written_ = 0;
    Relation rel_ = nullptr;
    struct EState* estate_ = nullptr;
    struct ResultRelInfo* rri_ = nullptr;
    struct BulkInsertStateData* bis_ = nullptr;
    struct TupleTableSlot** slots_ = nullptr;
    struct ExprState** defaults_ = nullptr;  // per column, NULL when no default
    MemoryContext batch_cxt_ = nullptr;
    CommandId cid_ = 0;
};

}  // namespace cdp::pg
