// FIRST CUT (foundation): plain dynamic programming.  Issue 4 replaces this
// with Myers/Hyyrö bit-parallel code.
#include <algorithm>
#include <vector>

#include "core/common/interrupt.h"
#include "core/similarity/similarity.h"

namespace cdp::similarity {

std::int64_t levenshtein(std::u32string_view a, std::u32string_view b, std::int64_t max) {
    if (a.size() < b.size()) std::swap(a, b);
    const std::int64_t n = static_cast<std::int64_t>(a.size());
    const std::int64_t m = static_cast<std::int64_t>(b.size());
    if (max >= 0 && n - m > max) return max + 1;
    std::vector<std::int64_t> row(m + 1);
    for (std::int64_t j = 0; j <= m; ++j) row[j] = j;
    interrupt::Ticker ticker(64);
    for (std::int64_t i = 1; i <= n; ++i) {
        ticker.tick();
        std::int64_t diag = row[0];
        row[0] = i;
        std::int64_t best = row[0];
        for (std::int64_t j = 1; j <= m; ++j) {
            std::int64_t up = row[j];
            std::int64_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = std::min({up + 1, row[j - 1] + 1, diag + cost});
            diag = up;
            best = std::min(best, row[j]);
        }
        if (max >= 0 && best > max) return max + 1;
    }
    std::int64_t d = row[m];
    return (max >= 0 && d > max) ? max + 1 : d;
}

}  // namespace cdp::similarity
