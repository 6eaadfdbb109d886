// cdp.name_similarity: token scores and the optimal token assignment.
// Definition (also in docs/namematch.md):
//
//   token_score(x, y), x and y normalised tokens:
//     1                          x == y
//     if x or y has one code point (an initial):
//       kInitial                 the other token starts with it
//       0                        otherwise
//     else the largest of
//       kNickRoot                one is the canonical name of a nickname-table
//                                row and the other a nickname in that row
//       kNickPair                both are nicknames in one row
//       kPhonetic                double metaphone codes agree (primary or
//                                alternate, non-empty)
//       jw(x, y)                 x and y are one edit apart (insert, delete,
//                                substitute, transpose adjacent), both at most
//                                kMaxTypoLen code points
//       unkeyed_score(jw(x, y))  otherwise (both at most kMaxTypoLen):
//                                0.55 * clamp((jw - 0.65) / 0.30, 0, 1)
//
//   score(A, B) for token lists A (n tokens) and B (m tokens), n <= m:
//     1 if both empty, 0 if one is empty, otherwise
//     2 * max_assignment / (2 * n + kUnmatchedWeight * (m - n))
//   where max_assignment is the largest sum of token_score over a one-to-one
//   assignment of A's tokens to distinct tokens of B.
#include <algorithm>
#include <limits>

#include "core/common/utf8.h"
#include "core/namematch/namematch.h"
#include "core/normalize/normalize.h"
#include "core/phonetic/phonetic.h"
#include "core/similarity/similarity.h"

namespace cdp::namematch {

namespace {
bool intersects(const std::vector<int>& a, const std::vector<int>& b) {
    auto i = a.begin(), j = b.begin();
    while (i != a.end() && j != b.end()) {
        if (*i == *j) return true;
        if (*i < *j)
            ++i;
        else
            ++j;
    }
    return false;
}

// Rows shared by x and y where one of them is the canonical name.
bool root_relation(const Token& x, const Token& y) {
    return intersects(x.nick->roots, y.nick->groups) || intersects(y.nick->roots, x.nick->groups);
}

bool phonetic_agree(const Token& x, const Token& y) {
    const std::string* cx[2] = {&x.dm_primary, &x.dm_alternate};
    const std::string* cy[2] = {&y.dm_primary, &y.dm_alternate};
    for (auto* a : cx)
        for (auto* b : cy)
            if (!a->empty() && *a == *b) return true;
    return false;
}

// Double metaphone codes (cdp::phonetic, fuzzystrmatch semantics); an
// alternate equal to the primary is dropped.
void phonetic_codes(Token& t) {
    auto dm = phonetic::double_metaphone(t.text);
    t.dm_primary = std::move(dm.primary);
    if (dm.alternate != t.dm_primary) t.dm_alternate = std::move(dm.alternate);
}

// Maximum-weight assignment of rows (n) to distinct columns (m >= n) of the
// n x m score matrix w (row-major): Hungarian algorithm on cost 1 - w.
double max_assignment(const std::vector<double>& w, std::size_t n, std::size_t m) {
    if (n == 1) return *std::max_element(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(m));
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0);
    std::vector<std::size_t> p(m + 1, 0), way(m + 1, 0);
    for (std::size_t i = 1; i <= n; ++i) {
        p[0] = i;
        std::size_t j0 = 0;
        std::vector<double> minv(m + 1, inf);
        std::vector<char> used(m + 1, 0);
        do {
            used[j0] = 1;
            std::size_t i0 = p[j0], j1 = 0;
            double delta = inf;
            for (std::size_t j = 1; j <= m; ++j) {
                if (used[j]) continue;
                double cur = (1.0 - w[(i0 - 1) * m + (j - 1)]) - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (std::size_t j = 0; j <= m; ++j) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            std::size_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0 != 0);
    }
    // Sum in column order: deterministic for a given input.
    double sum = 0.0;
    for (std::size_t j = 1; j <= m; ++j)
        if (p[j] != 0) sum += w[(p[j] - 1) * m + (j - 1)];
    return sum;
}
}  // namespace

double unkeyed_score(double jw) {
    const double x = (jw - kUnkeyedFloor) / (kUnkeyedFull - kUnkeyedFloor);
    return kUnkeyed * std::min(1.0, std::max(0.0, x));
}

Name prepare(std::string_view raw) {
    Name name;
    std::string norm = normalize::name(raw);
    std::size_t pos = 0;
    while (pos < norm.size() && name.tokens.size() < kMaxTokens) {
        std::size_t sp = norm.find(' ', pos);
        if (sp == std::string::npos) sp = norm.size();
        if (sp > pos) {
            Token t;
            t.text = norm.substr(pos, sp - pos);
            t.cps = utf8::decode(t.text);
            if (t.cps.size() >= 2) {
                t.nick = nickname_rows(t.text);
                phonetic_codes(t);
            }
            name.tokens.push_back(std::move(t));
        }
        pos = sp + 1;
    }
    return name;
}

double token_score(const Token& x0, const Token& y0) {
    // Canonical argument order makes the score symmetric bit for bit.
    const bool swap = y0.cps < x0.cps;
    const Token& x = swap ? y0 : x0;
    const Token& y = swap ? x0 : y0;
    if (x.cps == y.cps) return 1.0;
    const std::size_t lx = x.cps.size(), ly = y.cps.size();
    if (lx == 0 || ly == 0) return 0.0;
    if (lx == 1 || ly == 1) {
        if (lx == 1 && ly > 1 && y.cps[0] == x.cps[0]) return kInitial;
        if (ly == 1 && lx > 1 && x.cps[0] == y.cps[0]) return kInitial;
        return 0.0;
    }
    double s = 0.0;
    if (x.nick && y.nick && intersects(x.nick->groups, y.nick->groups))
        s = root_relation(x, y) ? kNickRoot : kNickPair;
    if (phonetic_agree(x, y)) s = std::max(s, kPhonetic);
    if (lx <= kMaxTypoLen && ly <= kMaxTypoLen) {
        double jw = similarity::jaro_winkler(x.cps, y.cps);
        s = std::max(s, within_one_edit(x.cps, y.cps) ? jw : unkeyed_score(jw));
    }
    return std::min(1.0, std::max(0.0, s));
}

double score(const Name& a0, const Name& b0) {
    // Canonical order of the two names (by token texts) for exact symmetry.
    auto less = [](const Name& p, const Name& q) {
        return std::lexicographical_compare(p.tokens.begin(), p.tokens.end(), q.tokens.begin(),
                                            q.tokens.end(),
                                            [](const Token& s, const Token& t) { return s.cps < t.cps; });
    };
    const Name* a = &a0;
    const Name* b = &b0;
    if (less(*b, *a)) std::swap(a, b);
    if (a->tokens.size() > b->tokens.size()) std::swap(a, b);
    const std::size_t n = a->tokens.size(), m = b->tokens.size();
    if (n == 0) return m == 0 ? 1.0 : 0.0;
    std::vector<double> w(n * m);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j) w[i * m + j] = token_score(a->tokens[i], b->tokens[j]);
    const double best = max_assignment(w, n, m);
    const double denom = 2.0 * static_cast<double>(n) + kUnmatchedWeight * static_cast<double>(m - n);
    return std::min(1.0, std::max(0.0, 2.0 * best / denom));
}

double name_similarity(std::string_view a, std::string_view b) { return score(prepare(a), prepare(b)); }

}  // namespace cdp::namematch
