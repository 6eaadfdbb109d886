// SPI from C++, through the error boundary.  Use for set-oriented
// statements (one statement per batch, never one per row in a hot loop).
//
//   cdp::pg::Spi spi;                       // SPI_connect
//   spi.exec("SELECT count(*) FROM cdp.records", {});
//   int64 n = spi.get_int64(0, 0);
//
// The destructor calls SPI_finish.  Result values are copied into C++
// containers or read while the Spi object is alive.
#pragma once

#include "pg/common/pg.h"

extern "C" {
#include "executor/spi.h"
}

#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

namespace cdp::pg {

struct SpiArg {
    Oid type;
    Datum value;
    bool isnull = false;
};

class Spi {
 public:
    Spi();
    ~Spi();
    Spi(const Spi&) = delete;
    Spi& operator=(const Spi&) = delete;

    // Run a statement with $1..$n parameters.  Returns SPI_processed.
    uint64 exec(const char* sql, const std::vector<SpiArg>& args, bool read_only = false, long limit = 0);

    // Same, through a generic plan prepared once per backend and kept
    // (SPI_keepplan), keyed by the statement text and argument types.  For statements run
    // on every call of a hot function; the plan cache revalidates it after
    // DDL.
    uint64 exec_prepared(const char* sql, const std::vector<SpiArg>& args, bool read_only = false);

    uint64 rows() const;
    bool is_null(uint64 row, int col) const;
    std::optional<int64> get_int64(uint64 row, int col) const;
    std::optional<std::string> get_text(uint64 row, int col) const;  // any type, via its output function
    // Bytes of a text/varchar column without a copy (valid until the next
    // statement or fetch); nullopt for NULL.  For big scans.
    std::optional<std::string_view> get_text_view(uint64 row, int col) const;

    // Run a query through a cursor and call `on_batch` after each fetch of
    // up to `batch` rows (read them with rows()/get_*); memory stays bounded.
    void stream(const char* sql, const std::vector<SpiArg>& args, long batch,
                const std::function<void()>& on_batch, bool read_only = true);

 private:
    bool connected_ = false;
};

}  // namespace cdp::pg
