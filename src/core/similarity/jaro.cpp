// FIRST CUT (foundation): textbook Jaro / Jaro-Winkler (jellyfish semantics).
// Issue 4 replaces it with a bit-vector implementation.
#include <algorithm>
#include <vector>

#include "core/similarity/similarity.h"

namespace cdp::similarity {

double jaro(std::u32string_view a, std::u32string_view b) {
    if (a.empty() || b.empty()) return 0.0;
    const std::size_t la = a.size(), lb = b.size();
    std::size_t range = std::max(la, lb) / 2;
    range = range > 0 ? range - 1 : 0;
    std::vector<char> fa(la, 0), fb(lb, 0);
    std::size_t common = 0;
    for (std::size_t i = 0; i < la; ++i) {
        std::size_t lo = i > range ? i - range : 0;
        std::size_t hi = std::min(i + range + 1, lb);
        for (std::size_t j = lo; j < hi; ++j) {
            if (!fb[j] && a[i] == b[j]) {
                fa[i] = fb[j] = 1;
                ++common;
                break;
            }
        }
    }
    if (common == 0) return 0.0;
    std::size_t k = 0, trans = 0;
    for (std::size_t i = 0; i < la; ++i) {
        if (!fa[i]) continue;
        while (!fb[k]) ++k;
        if (a[i] != b[k]) ++trans;
        ++k;
    }
    double m = static_cast<double>(common);
    const std::size_t half = trans / 2;  // jellyfish halves the count with integer division
    const double half_trans = static_cast<double>(half);
    return (m / la + m / lb + (m - half_trans) / m) / 3.0;
}

double jaro_winkler(std::u32string_view a, std::u32string_view b) {
    double j = jaro(a, b);
    std::size_t prefix = 0;
    std::size_t lim = std::min<std::size_t>({4, a.size(), b.size()});
    while (prefix < lim && a[prefix] == b[prefix]) ++prefix;
    return j + prefix * 0.1 * (1.0 - j);
}

}  // namespace cdp::similarity
