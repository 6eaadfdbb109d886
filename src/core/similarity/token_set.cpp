// token_set_similarity: order-insensitive similarity of two token sets.
//
// Definition (docs/similarity.md):
//   tokens(s) = distinct maximal runs of Unicode letters/digits (ICU
//               u_isalnum), lower-cased code point by code point;
//   pairs     = greedy one-to-one assignment: all pairs (x in A, y in B) in
//               descending Jaro-Winkler order (ties: A's token order, then
//               B's), a pair is taken when neither token is taken yet;
//   score     = 2 * sum(JW of taken pairs) / (|A| + |B|)  in [0,1];
//               0 when A or B is empty.
// Identical token sets give 1 whatever the order ('Rossi Mario' vs
// 'mario rossi'); a missing token lowers the score ('Mario Rossi' vs 'Rossi'
// = 2/3); typos inside tokens lower it gently.
#include <unicode/uchar.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "core/common/error.h"
#include "core/common/interrupt.h"
#include "core/common/utf8.h"
#include "core/similarity/similarity.h"

namespace cdp::similarity {

namespace {

void tokenize(std::string_view s, std::vector<std::u32string>& out) {
    out.clear();
    std::u32string cur;
    auto flush = [&] {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
    };
    if (utf8::is_ascii(s)) {
        for (unsigned char c : s) {
            if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))
                cur.push_back(c);
            else if (c >= 'A' && c <= 'Z')
                cur.push_back(static_cast<char32_t>(c + 32));
            else
                flush();
        }
    } else {
        for (char32_t c : utf8::decode(s)) {
            if (u_isalnum(static_cast<UChar32>(c)))
                cur.push_back(static_cast<char32_t>(u_tolower(static_cast<UChar32>(c))));
            else
                flush();
        }
    }
    flush();
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

}  // namespace

double token_set_similarity_utf8(std::string_view a, std::string_view b) {
    std::vector<std::u32string> ta, tb;
    tokenize(a, ta);
    tokenize(b, tb);
    if (ta.empty() || tb.empty()) return 0.0;
    const std::size_t na = ta.size(), nb = tb.size();
    std::vector<char> used_a(na, 0), used_b(nb, 0);
    double sum = 0.0;
    // Exact matches score 1, the maximum: they are always taken first.
    for (std::size_t i = 0, j = 0; i < na && j < nb;) {
        if (ta[i] < tb[j]) {
            ++i;
        } else if (tb[j] < ta[i]) {
            ++j;
        } else {
            used_a[i] = used_b[j] = 1;
            sum += 1.0;
            ++i;
            ++j;
        }
    }
    std::vector<std::size_t> ra, rb;
    for (std::size_t i = 0; i < na; ++i)
        if (!used_a[i]) ra.push_back(i);
    for (std::size_t j = 0; j < nb; ++j)
        if (!used_b[j]) rb.push_back(j);
    if (!ra.empty() && !rb.empty()) {
        if (static_cast<std::uint64_t>(ra.size()) * rb.size() > kTokenSetMaxPairs)
            throw Error("token_set_similarity: too many distinct tokens (" + std::to_string(na) + " and " +
                            std::to_string(nb) + ")",
                        sqlstate::kProgramLimitExceeded, {}, "Compare shorter texts.");
        std::vector<std::tuple<double, std::size_t, std::size_t>> pairs;
        pairs.reserve(ra.size() * rb.size());
        cdp::interrupt::Ticker ticker(1024);  // up to 4M Jaro-Winkler pairs: seconds
        for (std::size_t i : ra)
            for (std::size_t j : rb) {
                ticker.tick();
                pairs.emplace_back(jaro_winkler(ta[i], tb[j]), i, j);
            }
        std::sort(pairs.begin(), pairs.end(), [](const auto& x, const auto& y) {
            if (std::get<0>(x) != std::get<0>(y)) return std::get<0>(x) > std::get<0>(y);
            if (std::get<1>(x) != std::get<1>(y)) return std::get<1>(x) < std::get<1>(y);
            return std::get<2>(x) < std::get<2>(y);
        });
        for (const auto& [s, i, j] : pairs) {
            if (used_a[i] || used_b[j]) continue;
            used_a[i] = used_b[j] = 1;
            sum += s;
        }
    }
    double r = 2.0 * sum / static_cast<double>(na + nb);
    return std::min(1.0, r);
}

}  // namespace cdp::similarity
