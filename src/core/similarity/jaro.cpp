// Jaro and Jaro-Winkler with jellyfish semantics.
//
// Matching rule (jellyfish): for each a[i] in order, the first unmatched b[j]
// with the same character and |i - j| <= max(|a|,|b|)/2 - 1 is its match.
// Short strings (|b| <= 64): one machine word of match candidates per
// character, so each a[i] costs a few bit operations.  Longer strings: the
// chosen positions of one character in b are increasing in i, so a cursor per
// character over its sorted positions finds each match in amortised O(1):
// O((|a| + |b|) log sigma) overall.
#include <algorithm>
#include <numeric>
#include <vector>

#include "core/common/interrupt.h"
#include "core/common/utf8.h"
#include "core/similarity/bitpar.h"
#include "core/similarity/decode_buffers.h"
#include "core/similarity/similarity.h"

namespace cdp::similarity {

namespace {

using detail::Span;

double finish(double m, double la, double lb, double half_trans) {
    return (m / la + m / lb + (m - half_trans) / m) / 3.0;
}

template <class C>
double jaro_word(Span<C> a, Span<C> b, std::size_t range) {
    detail::PeqWord peq(b.p, b.n);
    std::uint64_t flagged_b = 0, flagged_a = 0;  // flagged_a only used when |a| <= 64
    const std::size_t la = a.n, lb = b.n;
    std::size_t common = 0;
    // a may be longer than 64 only when b is tiny; its flags then go to a vector.
    std::vector<char> fa_long;
    if (la > 64) fa_long.assign(la, 0);
    for (std::size_t i = 0; i < la; ++i) {
        const std::size_t lo = i > range ? i - range : 0;
        const std::size_t hi = std::min(i + range, lb - 1);
        if (lo > hi) break;  // lo only grows
        const std::uint64_t width = hi - lo + 1;
        const std::uint64_t window = (width >= 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << width) - 1))
                                     << lo;
        const std::uint64_t cand = peq.get(static_cast<std::uint32_t>(a[i])) & ~flagged_b & window;
        if (cand) {
            flagged_b |= cand & (~cand + 1);
            if (la > 64)
                fa_long[i] = 1;
            else
                flagged_a |= std::uint64_t{1} << i;
            ++common;
        }
    }
    if (common == 0) return 0.0;
    std::size_t trans = 0;
    std::uint64_t fb = flagged_b;
    for (std::size_t i = 0; i < la; ++i) {
        const bool f = la > 64 ? fa_long[i] != 0 : ((flagged_a >> i) & 1) != 0;
        if (!f) continue;
        const unsigned j = static_cast<unsigned>(__builtin_ctzll(fb));
        fb &= fb - 1;
        if (a[i] != b[j]) ++trans;
    }
    const auto half_trans = trans / 2;  // jellyfish halves the count with integer division
    return finish(static_cast<double>(common), static_cast<double>(la), static_cast<double>(lb),
                  static_cast<double>(half_trans));
}

template <class C>
double jaro_long(Span<C> a, Span<C> b, std::size_t range) {
    const std::size_t la = a.n, lb = b.n;
    // Positions of b sorted by (character, position).
    std::vector<std::uint32_t> order(lb);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t x, std::uint32_t y) { return b[x] < b[y]; });
    // Group starts: distinct characters of b in sorted order.
    std::vector<C> chars;
    std::vector<std::uint32_t> start;
    for (std::size_t k = 0; k < lb; ++k) {
        if (k == 0 || b[order[k]] != b[order[k - 1]]) {
            chars.push_back(b[order[k]]);
            start.push_back(static_cast<std::uint32_t>(k));
        }
    }
    start.push_back(static_cast<std::uint32_t>(lb));
    std::vector<std::uint32_t> cursor(start.begin(), start.end() - 1);
    std::vector<char> fa(la, 0), fb(lb, 0);
    std::size_t common = 0;
    interrupt::Ticker ticker(1 << 16);
    for (std::size_t i = 0; i < la; ++i) {
        ticker.tick();
        const std::size_t lo = i > range ? i - range : 0;
        const std::size_t hi = std::min(i + range, lb - 1);
        if (lo > hi) break;
        auto it = std::lower_bound(chars.begin(), chars.end(), a[i]);
        if (it == chars.end() || *it != a[i]) continue;
        const std::size_t g = static_cast<std::size_t>(it - chars.begin());
        std::uint32_t& c = cursor[g];
        while (c < start[g + 1] && order[c] < lo) ++c;
        if (c < start[g + 1] && order[c] <= hi) {
            fa[i] = 1;
            fb[order[c]] = 1;
            ++c;
            ++common;
        }
    }
    if (common == 0) return 0.0;
    std::size_t trans = 0, k = 0;
    for (std::size_t i = 0; i < la; ++i) {
        if (!fa[i]) continue;
        while (!fb[k]) ++k;
        if (a[i] != b[k]) ++trans;
        ++k;
    }
    const auto half_trans = trans / 2;  // jellyfish halves the count with integer division
    return finish(static_cast<double>(common), static_cast<double>(la), static_cast<double>(lb),
                  static_cast<double>(half_trans));
}

template <class C>
double jaro_t(Span<C> a, Span<C> b) {
    if (a.empty() || b.empty()) return 0.0;
    std::size_t range = std::max(a.n, b.n) / 2;
    range = range > 0 ? range - 1 : 0;
    if (b.n <= 64) return jaro_word(a, b, range);
    return jaro_long(a, b, range);
}

template <class C>
double jw_t(Span<C> a, Span<C> b) {
    double j = jaro_t(a, b);
    if (j <= 0.7) return j;
    const std::size_t lim = std::min<std::size_t>({4, a.n, b.n});
    std::size_t prefix = 0;
    while (prefix < lim && a[prefix] == b[prefix]) ++prefix;
    return j + static_cast<double>(prefix) * 0.1 * (1.0 - j);
}

}  // namespace

double jaro(std::u32string_view a, std::u32string_view b) {
    return jaro_t(Span<char32_t>{a.data(), a.size()}, Span<char32_t>{b.data(), b.size()});
}

double jaro_winkler(std::u32string_view a, std::u32string_view b) {
    return jw_t(Span<char32_t>{a.data(), a.size()}, Span<char32_t>{b.data(), b.size()});
}

double jaro_utf8(std::string_view a, std::string_view b) {
    return detail::with_spans(a, b, [](auto x, auto y) { return jaro_t(x, y); });
}

double jaro_winkler_utf8(std::string_view a, std::string_view b) {
    return detail::with_spans(a, b, [](auto x, auto y) { return jw_t(x, y); });
}

}  // namespace cdp::similarity
