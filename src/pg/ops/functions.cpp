// SQL-callable functions of the operations area: cdp.version() and the
// boundary self-test used by the foundation tests.
#include "pg/common/pg.h"

#include <chrono>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/common/interrupt.h"
#include "core/common/version.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/common/spi.h"

CDP_FUNCTION(cdp_version) { return cdp::pg::text_datum(cdp::kVersion); }

namespace {
void selftest_context(void* /*arg*/) noexcept { errcontext("cdp selftest context frame"); }
}  // namespace

// cdp._boundary_selftest(mode text, n bigint) -> bigint
//   'cxx_error'  throw a cdp::Error (22023) from C++
//   'std_error'  throw a plain std::exception (XX000)
//   'pg_error'   run SQL that divides by zero through the SPI guard (22012)
//   'spin'       busy-loop for n milliseconds, polling for cancel
//   'alloc'      build and free C++ containers totalling n bytes
//   'spi'        run n trivial SPI statements, return the sum
//   'context_throw' push an error-context callback in this frame and throw
//                a C++ error without popping it: the boundary must restore
//                error_context_stack (the frame is gone when the error is
//                raised), so the error carries no "selftest context" line
CDP_FUNCTION(cdp_boundary_selftest) {
    std::string mode(cdp::pg::text_arg(fcinfo, 0));
    int64 n = PG_GETARG_INT64(1);
    if (mode == "cxx_error")
        throw cdp::Error("selftest: C++ error with detail", cdp::sqlstate::kInvalidParameterValue,
                         "detail from C++", "hint from C++");
    if (mode == "std_error") throw std::runtime_error("selftest: plain std::exception");
    if (mode == "context_throw") {
        ErrorContextCallback frame;
        frame.callback = cdp::pg::pg_callback(&selftest_context);
        frame.arg = nullptr;
        frame.previous = error_context_stack;
        error_context_stack = &frame;
        throw cdp::Error("selftest: thrown with an error-context callback pushed",
                         cdp::sqlstate::kInvalidParameterValue);
    }
    if (mode == "pg_error") {
        cdp::pg::Spi spi;
        std::vector<char> guard(1024);  // a C++ object that must be destroyed
        spi.exec("SELECT 1/0", {});
        return Int64GetDatum(static_cast<int64>(guard.size()));
    }
    if ((mode == "spin" || mode == "alloc" || mode == "spi") && n < 0)
        throw cdp::Error("selftest: n must not be negative", cdp::sqlstate::kInvalidParameterValue);
    if (mode == "spin") {
        constexpr int64 kMaxSpinMs = int64{3600} * 1000;  // an hour; chrono would overflow near INT64_MAX
        if (n > kMaxSpinMs)
            throw cdp::Error("selftest: spin is limited to " + std::to_string(kMaxSpinMs) + " ms",
                             cdp::sqlstate::kProgramLimitExceeded);
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(n);
        cdp::interrupt::Ticker ticker(1024);
        volatile uint64 x = 0;
        while (std::chrono::steady_clock::now() < until) {
            ticker.tick();
            x = x + 1;
        }
        return Int64GetDatum(n);
    }
    if (mode == "alloc") {
        constexpr int64 kMaxAllocBytes = int64{1} << 30;  // 1 GiB: far below the OOM killer
        if (n > kMaxAllocBytes)
            throw cdp::Error("selftest: alloc is limited to " + std::to_string(kMaxAllocBytes) + " bytes",
                             cdp::sqlstate::kProgramLimitExceeded);
        std::vector<std::string> v;
        int64 total = 0;
        cdp::interrupt::Ticker ticker(256);
        while (total < n) {
            ticker.tick();
            v.emplace_back(1000, 'x');
            total += 1000;
        }
        return Int64GetDatum(total);
    }
    if (mode == "spi") {
        cdp::pg::Spi spi;
        int64 sum = 0;
        for (int64 i = 0; i < n; ++i) {
            cdp::interrupt::poll();
            spi.exec("SELECT 1::bigint", {}, true);
            sum += spi.get_int64(0, 0).value_or(0);
        }
        return Int64GetDatum(sum);
    }
    throw cdp::Error("unknown selftest mode \"" + mode + "\"", cdp::sqlstate::kInvalidParameterValue, {},
                     "Use one of cxx_error, std_error, pg_error, context_throw, spin, alloc, spi.");
}
