// Levenshtein (Myers / Hyyrö bit-parallel, multi-word blocks for patterns
// longer than 64) and unrestricted Damerau-Levenshtein (Zhao's linear-space
// dynamic programming).
#include <algorithm>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/common/interrupt.h"
#include "core/common/utf8.h"
#include "core/similarity/bitpar.h"
#include "core/similarity/decode_buffers.h"
#include "core/similarity/similarity.h"

namespace cdp::similarity {

namespace {

using detail::Span;

[[noreturn]] void too_big(const char* fn, std::size_t n, std::size_t m, const char* hint) {
    throw Error(std::string(fn) + ": inputs too long (" + std::to_string(n) + " and " + std::to_string(m) +
                    " characters after removing the common prefix and suffix)",
                sqlstate::kProgramLimitExceeded, {}, hint);
}

// Pattern p (m <= 64) against text t, global distance.
template <class C>
std::int64_t myers_word(Span<C> p, Span<C> t, std::int64_t max) {
    const std::size_t m = p.n, n = t.n;
    detail::PeqWord peq(p.p, m);
    const std::uint64_t last = std::uint64_t{1} << (m - 1);
    std::uint64_t vp = ~std::uint64_t{0}, vn = 0;
    std::int64_t score = static_cast<std::int64_t>(m);
    for (std::size_t j = 0; j < n; ++j) {
        const std::uint64_t eq = peq.get(static_cast<std::uint32_t>(t[j]));
        const std::uint64_t xv = eq | vn;
        const std::uint64_t xh = (((eq & vp) + vp) ^ vp) | eq;
        std::uint64_t hp = vn | ~(xh | vp);
        std::uint64_t hn = vp & xh;
        score += (hp & last) ? 1 : 0;
        score -= (hn & last) ? 1 : 0;
        hp = (hp << 1) | 1;
        hn <<= 1;
        vp = hn | ~(xv | hp);
        vn = hp & xv;
        // The last row can fall by at most one per remaining column.
        if (max >= 0 && score - static_cast<std::int64_t>(n - j - 1) > max) return max + 1;
    }
    return score;
}

// Multi-word pattern-match table for long patterns.
template <class C>
class PeqBlocks {
 public:
    PeqBlocks(Span<C> p, std::size_t words) : words_(words) {
        alpha_.build(p, Span<C>{});
        rows_.assign((alpha_.sigma() + 1) * words, 0);  // last row: absent characters
        for (std::size_t i = 0; i < p.n; ++i)
            rows_[alpha_.id(p[i]) * words + i / 64] |= std::uint64_t{1} << (i % 64);
    }
    const std::uint64_t* get(C c) const {
        if constexpr (sizeof(C) == 1) {
            return &rows_[static_cast<std::size_t>(c) * words_];
        } else {
            if (!alpha_.contains(c)) return &rows_[alpha_.sigma() * words_];
            return &rows_[alpha_.id(c) * words_];
        }
    }

 private:
    std::size_t words_;
    detail::Alphabet alpha_;
    std::vector<std::uint64_t> rows_;
};

template <class C>
std::int64_t myers_blocks(Span<C> p, Span<C> t, std::int64_t max) {
    const std::size_t m = p.n, n = t.n, words = (m + 63) / 64;
    PeqBlocks<C> peq(p, words);
    std::vector<std::uint64_t> vp(words, ~std::uint64_t{0}), vn(words, 0);
    const std::uint64_t last = std::uint64_t{1} << ((m - 1) % 64);
    std::int64_t score = static_cast<std::int64_t>(m);
    interrupt::Ticker ticker(std::max<std::uint32_t>(1, static_cast<std::uint32_t>(65536 / words)));
    for (std::size_t j = 0; j < n; ++j) {
        ticker.tick();
        const std::uint64_t* eqs = peq.get(t[j]);
        std::uint64_t hp_in = 1, hn_in = 0;  // top row: D[0][j] = j
        for (std::size_t w = 0; w < words; ++w) {
            std::uint64_t eq = eqs[w];
            const std::uint64_t pv = vp[w], mv = vn[w];
            const std::uint64_t xv = eq | mv;
            eq |= hn_in;
            const std::uint64_t xh = (((eq & pv) + pv) ^ pv) | eq;
            std::uint64_t ph = mv | ~(xh | pv);
            std::uint64_t mh = pv & xh;
            std::uint64_t hp_out, hn_out;
            if (w + 1 == words) {
                score += (ph & last) ? 1 : 0;
                score -= (mh & last) ? 1 : 0;
                hp_out = hn_out = 0;
            } else {
                hp_out = ph >> 63;
                hn_out = mh >> 63;
            }
            ph = (ph << 1) | hp_in;
            mh = (mh << 1) | hn_in;
            vp[w] = mh | ~(xv | ph);
            vn[w] = ph & xv;
            hp_in = hp_out;
            hn_in = hn_out;
        }
        if (max >= 0 && score - static_cast<std::int64_t>(n - j - 1) > max) return max + 1;
    }
    return score;
}

// Ukkonen band |i - j| <= max: plain dynamic programming, O(n * max).
template <class C>
std::int64_t banded(Span<C> p, Span<C> t, std::int64_t max) {
    const std::int64_t m = static_cast<std::int64_t>(p.n), n = static_cast<std::int64_t>(t.n), k = max;
    const std::int64_t inf = k + 1;
    std::vector<std::int64_t> prev(static_cast<std::size_t>(m + 2), inf),
        cur(static_cast<std::size_t>(m + 2), inf);
    for (std::int64_t j = 0; j <= std::min(m, k); ++j) prev[static_cast<std::size_t>(j)] = j;
    interrupt::Ticker ticker(64);
    for (std::int64_t i = 1; i <= n; ++i) {
        ticker.tick();
        const std::int64_t lo = std::max<std::int64_t>(1, i - k), hi = std::min(m, i + k);
        cur[static_cast<std::size_t>(lo - 1)] = (lo == 1 && i <= k) ? i : inf;
        std::int64_t best = cur[static_cast<std::size_t>(lo - 1)];
        const C tc = t[static_cast<std::size_t>(i - 1)];
        for (std::int64_t j = lo; j <= hi; ++j) {
            const std::size_t uj = static_cast<std::size_t>(j);
            std::int64_t v = prev[uj - 1] + (p[uj - 1] == tc ? 0 : 1);
            v = std::min(v, prev[uj] + 1);
            v = std::min(v, cur[uj - 1] + 1);
            v = std::min(v, inf);
            cur[uj] = v;
            best = std::min(best, v);
        }
        if (hi < m) cur[static_cast<std::size_t>(hi + 1)] = inf;
        if (best > k) return k + 1;
        std::swap(prev, cur);
    }
    return std::min(prev[static_cast<std::size_t>(m)], inf);
}

// Lower bound of the edit distance of a (m characters) and b (n >= m) from
// character counts: with s substitutions and i insertions/deletions
// (i >= n - m), the L1 distance D of the two histograms is at most 2s + i, so
// the distance s + i >= (D + n - m) / 2.  Characters are counted in 64
// buckets (c mod 64); merging characters into one bucket can only lower D,
// so the bound stays valid for any alphabet.
template <class C>
std::int64_t histogram_lower_bound(Span<C> a, Span<C> b) {
    std::int32_t h[64] = {};
    for (std::size_t i = 0; i < a.n; ++i) ++h[static_cast<std::uint32_t>(a[i]) & 63u];
    for (std::size_t i = 0; i < b.n; ++i) --h[static_cast<std::uint32_t>(b[i]) & 63u];
    std::int64_t d = 0;
    for (std::int32_t v : h) d += v < 0 ? -v : v;
    return (d + static_cast<std::int64_t>(b.n - a.n) + 1) / 2;
}

template <class C>
std::int64_t lev(Span<C> a, Span<C> b, std::int64_t max) {
    if (a.n > b.n) std::swap(a, b);  // a: pattern (shorter), b: text
    // The length difference is unchanged by removing common affixes.
    if (max >= 0 && static_cast<std::int64_t>(b.n - a.n) > max) return max + 1;
    detail::strip_affixes(a, b);
    const std::int64_t m = static_cast<std::int64_t>(a.n), n = static_cast<std::int64_t>(b.n);
    auto clamp = [&](std::int64_t d) { return (max >= 0 && d > max) ? max + 1 : d; };
    if (m == 0) return clamp(n);
    // Bounded form: a histogram bound (O(m + n), no table) rejects most
    // unrelated pairs before the bit-parallel core.
    if (max >= 0 && max < m && histogram_lower_bound(a, b) > max) return max + 1;
    if (m <= 64) return clamp(myers_word(a, b, max));
    const std::uint64_t words = static_cast<std::uint64_t>((m + 63) / 64) * static_cast<std::uint64_t>(n);
    if (max >= 0) {
        const std::uint64_t band = static_cast<std::uint64_t>(std::min<std::int64_t>(2 * max + 1, m)) *
                                   static_cast<std::uint64_t>(n);
        // A band cell costs about as much as a quarter of a 64-cell word.
        if (band / 4 < words) {
            if (band / 4 > kLevenshteinMaxWords)
                too_big("levenshtein", a.n, b.n, "Use a smaller max or shorter strings.");
            return banded(a, b, max);
        }
    }
    if (words > kLevenshteinMaxWords)
        too_big("levenshtein", a.n, b.n, "Use the bounded form levenshtein(a, b, max) with a small max.");
    return clamp(myers_blocks(a, b, max));
}

// Unrestricted Damerau-Levenshtein in O(|b|) memory (Zhao, Sahni).  Row i
// covers a[0..i), column j covers b[0..j); `last_row[c]` is the last row
// whose character is c, `fr[j]` the value H[k-1][j-2] remembered at the last
// match in column j, `t_diag` the value H[i-2][l-1] at the last match l in
// this row.
template <class C>
std::int64_t damerau(Span<C> a, Span<C> b) {
    detail::strip_affixes(a, b);
    const std::int64_t n = static_cast<std::int64_t>(a.n), m = static_cast<std::int64_t>(b.n);
    if (n == 0) return m;
    if (m == 0) return n;
    if (static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(m) > kDamerauMaxCells)
        too_big("damerau_levenshtein", a.n, b.n, "Compare shorter strings.");
    detail::Alphabet alpha;
    alpha.build(a, b);
    std::vector<std::uint32_t> ida(a.n), idb(b.n);
    for (std::size_t i = 0; i < a.n; ++i) ida[i] = alpha.id(a[i]);
    for (std::size_t j = 0; j < b.n; ++j) idb[j] = alpha.id(b[j]);
    const std::int64_t big = std::max(n, m) + 1;
    std::vector<std::int64_t> last_row(alpha.sigma(), -1);
    const std::size_t width = static_cast<std::size_t>(m) + 2;
    std::vector<std::int64_t> r_a(width, big), r_b(width, big), fr_v(width, big);
    // Index -1 is a sentinel column: pointers start one element in.
    std::int64_t* cur = r_a.data() + 1;
    std::int64_t* prev = r_b.data() + 1;
    std::int64_t* fr = fr_v.data() + 1;
    for (std::int64_t j = 0; j <= m; ++j) cur[j] = j;  // row 0
    interrupt::Ticker ticker(std::max<std::uint32_t>(1, static_cast<std::uint32_t>(1'000'000 / (m + 1))));
    for (std::int64_t i = 1; i <= n; ++i) {
        ticker.tick();
        std::swap(cur, prev);  // prev = row i-1, cur holds row i-2
        const std::uint32_t ca = ida[static_cast<std::size_t>(i - 1)];
        std::int64_t last_col = -1;
        std::int64_t row2_left = cur[0];  // H[i-2][j-1] as j advances
        cur[0] = i;
        std::int64_t t_diag = big;
        for (std::int64_t j = 1; j <= m; ++j) {
            const std::uint32_t cb = idb[static_cast<std::size_t>(j - 1)];
            std::int64_t v = std::min({prev[j - 1] + (ca == cb ? 0 : 1), cur[j - 1] + 1, prev[j] + 1});
            if (ca == cb) {
                last_col = j;
                fr[j] = prev[j - 2];
                t_diag = row2_left;
            } else {
                const std::int64_t k = last_row[cb];
                const std::int64_t l = last_col;
                if (j - l == 1)
                    v = std::min(v, fr[j] + (i - k));
                else if (i - k == 1)
                    v = std::min(v, t_diag + (j - l));
            }
            row2_left = cur[j];
            cur[j] = v;
        }
        last_row[ca] = i;
    }
    return cur[m];
}

}  // namespace

std::int64_t levenshtein(std::u32string_view a, std::u32string_view b, std::int64_t max) {
    return lev(Span<char32_t>{a.data(), a.size()}, Span<char32_t>{b.data(), b.size()}, max);
}

std::int64_t levenshtein_utf8(std::string_view a, std::string_view b, std::int64_t max) {
    return detail::with_spans(a, b, [&](auto x, auto y) { return lev(x, y, max); });
}

std::int64_t damerau_levenshtein(std::u32string_view a, std::u32string_view b) {
    return damerau(Span<char32_t>{a.data(), a.size()}, Span<char32_t>{b.data(), b.size()});
}

std::int64_t damerau_levenshtein_utf8(std::string_view a, std::string_view b) {
    return detail::with_spans(a, b, [&](auto x, auto y) { return damerau(x, y); });
}

}  // namespace cdp::similarity
