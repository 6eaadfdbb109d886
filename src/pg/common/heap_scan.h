// Reading one of cdp's own tables with a plain sequential heap scan, in
// batches, for the batch resolver: no executor, no SPI tuple copies, the
// column bytes copied once into a C++ arena.  The snapshot is taken after a
// command-counter increment (the caller's own earlier writes are seen).
//
//   HeapScan scan("identifiers", {"record_id", "id_type", "id_value"});
//   while (scan.next_batch())
//       for (size_t i = 0; i < scan.rows(); ++i) use(scan.int8(i, 0), scan.text(i, 1));
//   scan.finish();
//
// int8 columns are read with int8(), text-like columns (text, varchar,
// bytea: any varlena) with text().  NULL reads as 0 / empty; is_null() tells.
#pragma once

#include "pg/common/pg.h"

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace cdp::pg {

class HeapScan {
 public:
    HeapScan(const char* table, std::initializer_list<const char*> columns);
    ~HeapScan() = default;  // on an error path the transaction's cleanup ends the scan
    HeapScan(const HeapScan&) = delete;
    HeapScan& operator=(const HeapScan&) = delete;

    bool next_batch();
    size_t rows() const { return rows_; }
    int64 int8(size_t row, int col) const { return ints_[row * ncols_ + col]; }
    bool is_null(size_t row, int col) const { return nulls_[row * ncols_ + col] != 0; }
    std::string_view text(size_t row, int col) const {
        size_t k = row * ncols_ + col;
        return std::string_view(arena_.data() + off_[k], len_[k]);
    }
    void finish();

 private:
    static constexpr size_t kRows = 65536;
    int ncols_ = 0;
    std::vector<int> attnum_;    // 0-based attribute numbers of the columns
    std::vector<char> is_text_;  // varlena column?
    std::vector<int64> ints_;    // rows x cols
    std::vector<char> nulls_;    // rows x cols
    std::vector<uint32_t> off_;  // rows x cols (text)
    std::vector<uint32_t> len_;  // rows x cols (text)
    std::string arena_;
    size_t rows_ = 0;
    size_t need_ = 0;  // arena bytes the pending row needs (grow before the next batch)
    bool open_ = false, done_ = false;
    Relation rel_ = nullptr;
    struct TableScanDescData* scan_ = nullptr;
    Snapshot snap_ = nullptr;
    HeapTuple pending_ = nullptr;  // tuple read but not yet stored (arena was full)
    Datum* values_ = nullptr;
    bool* isnull_ = nullptr;
    MemoryContext cxt_ = nullptr;
};

}  // namespace cdp::pg
