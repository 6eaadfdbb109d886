// Index keys of names and the score upper bounds built on them.
//
// Proof of the key lemma (namematch.h), case by case on the definition of
// token_score(x, y) (score.cpp), x a query token, y a stored token:
//  * x == y, one code point: both carry key I:x (level 1).
//  * x == y, two or more: both carry D:x (level 1).
//  * x one code point, y starts with it (kInitial): the query has F:x
//    (level kInitial); y carries F:<first code point of y>.
//  * y one code point, x starts with it (kInitial): the query has
//    I:<first of x> (level kInitial); y carries I:y.
//  * nickname (kNickRoot or kNickPair): x and y lie in a common row, so y is
//    in x's related list with exactly that level; the query has D:y at that
//    level and y carries D:y (its own text).  (Keying the stored token by
//    its text rather than by its rows keeps a common name such as "mary", in
//    ten rows, out of ten posting lists.)
//  * phonetic (kPhonetic): a code c of x equals a code of y; both carry P:c.
//  * one edit apart, score jw <= 1: if x == y see above; a substitution or a
//    transposition at i becomes equal after deleting position i from both; an
//    insertion/deletion makes the shorter token a one-deletion of the longer.
//    Both carry every D:<token with at most one code point deleted>, so they
//    share a D key (level 1 >= jw).
//  * otherwise token_score = unkeyed_score(jw) <= kUnkeyed: nothing to prove.
// Tokens longer than kMaxTypoLen get no typo score and only D:<token>.
// Pair keys (QueryPlan case B): if query token x (2+ code points) is matched
// to a stored initial t = x[0] and another query token z shares a D key k
// with stored token u != t, the stored name carries J:t|k (index_keys pairs
// every initial with every D key of its other tokens) and the query carries
// J:x[0]|k with level kInitial for x and k's level for z.
// Keys are hashes: equal strings give equal hashes, so sharing survives
// hashing; a collision only adds a candidate, which the recheck removes.
#include <algorithm>
#include <cstring>
#include <string>

#include "core/common/utf8.h"
#include "core/namematch/namematch.h"

namespace cdp::namematch {

std::uint32_t key_hash(KeyKind kind, std::string_view s) {
    std::uint32_t h = 2166136261u;  // FNV-1a
    auto mix = [&h](unsigned char c) {
        h ^= c;
        h *= 16777619u;
    };
    mix(static_cast<unsigned char>(kind));
    for (unsigned char c : s) mix(c);
    // Final avalanche (murmur3 fmix32) so that signature bits spread evenly.
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

namespace {
// Evidence classes of a (key, query token) level; see QueryPlan.
enum Evidence { kTypoNick, kOtherEvidence, kInitialOf };

template <class Emit>
void deletion_keys(const Token& t, Emit emit) {
    emit(KeyKind::kDeletion, t.text, 1.0, kTypoNick);
    if (t.cps.size() > kMaxTypoLen) return;
    std::u32string d;
    for (std::size_t i = 0; i < t.cps.size(); ++i) {
        if (i > 0 && t.cps[i] == t.cps[i - 1]) continue;  // same string as deleting i-1
        d.assign(t.cps, 0, i);
        d.append(t.cps, i + 1, std::u32string::npos);
        emit(KeyKind::kDeletion, utf8::encode(d), 1.0, kTypoNick);
    }
}

// D-kind key strings of a token of 2+ code points with their levels: the
// deletion keys and, for a query token, the names related by the nickname
// table.
template <class Emit>
void typo_nick_keys(const Token& t, bool query, Emit emit) {
    deletion_keys(t, emit);
    if (query && t.nick)
        for (const auto& [other, level] : t.nick->related) emit(KeyKind::kDeletion, other, level, kTypoNick);
}

template <class Emit>
void token_keys(const Token& t, bool query, Emit emit) {
    const std::string first = utf8::encode(t.cps.substr(0, 1));
    if (t.cps.size() == 1) {
        emit(KeyKind::kInitial, t.text, 1.0, kOtherEvidence);
        if (query) emit(KeyKind::kFirst, t.text, kInitial, kOtherEvidence);
        return;
    }
    typo_nick_keys(t, query, emit);
    if (!t.dm_primary.empty()) emit(KeyKind::kPhonetic, t.dm_primary, kPhonetic, kOtherEvidence);
    if (!t.dm_alternate.empty()) emit(KeyKind::kPhonetic, t.dm_alternate, kPhonetic, kOtherEvidence);
    if (query)
        emit(KeyKind::kInitial, first, kInitial, kInitialOf);
    else
        emit(KeyKind::kFirst, first, 1.0, kOtherEvidence);
}

// Pair key J:<initial>|<D-kind key string of another token>.
std::uint32_t pair_hash(std::string_view initial, std::string_view key) {
    std::string s;
    s.reserve(initial.size() + 1 + key.size());
    s.append(initial);
    s.push_back('\x1f');
    s.append(key);
    return key_hash(KeyKind::kPair, s);
}
}  // namespace

std::vector<std::uint32_t> index_keys(const Name& name, bool pairs) {
    std::vector<std::uint32_t> keys;
    if (name.tokens.empty()) keys.push_back(key_hash(KeyKind::kEmpty, {}));
    for (const auto& t : name.tokens)
        token_keys(t, false,
                   [&](KeyKind k, std::string_view s, double, int) { keys.push_back(key_hash(k, s)); });
    // Pair keys: every initial with every D key of every longer token.
    for (const auto& t : name.tokens) {
        if (!pairs) break;
        if (t.cps.size() != 1) continue;
        for (const auto& u : name.tokens)
            if (u.cps.size() >= 2)
                typo_nick_keys(u, false, [&](KeyKind, std::string_view s, double, int) {
                    keys.push_back(pair_hash(t.text, s));
                });
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

QueryPlan query_plan(const Name& query, bool pairs) {
    QueryPlan plan;
    const std::size_t n = query.tokens.size();
    plan.n_tokens = n;
    if (n == 0) {
        plan.keys.push_back(key_hash(KeyKind::kEmpty, {}));
        return plan;
    }
    struct Entry {
        std::uint32_t hash;
        std::size_t token;
        double level;
        int evidence;
    };
    std::vector<Entry> entries;
    for (std::size_t i = 0; i < n; ++i)
        token_keys(query.tokens[i], true, [&](KeyKind k, std::string_view s, double level, int ev) {
            entries.push_back({key_hash(k, s), i, level, ev});
        });
    // Pair keys: token x matched to a stored initial (its first letter) and
    // token z matched to another stored token through a D key.
    for (std::size_t x = 0; x < n && pairs; ++x) {
        const Token& tx = query.tokens[x];
        if (tx.cps.size() < 2) continue;
        const std::string first = utf8::encode(tx.cps.substr(0, 1));
        for (std::size_t z = 0; z < n; ++z) {
            if (z == x || query.tokens[z].cps.size() < 2) continue;
            typo_nick_keys(query.tokens[z], true, [&](KeyKind, std::string_view s, double level, int) {
                const std::uint32_t h = pair_hash(first, s);
                entries.push_back({h, x, kInitial, kOtherEvidence});
                entries.push_back({h, z, level, kOtherEvidence});
            });
        }
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.hash < b.hash; });
    for (const auto& e : entries) {
        if (plan.keys.empty() || plan.keys.back() != e.hash) {
            plan.keys.push_back(e.hash);
            plan.levels.resize(plan.levels.size() + n, 0.0);
            plan.levels_b.resize(plan.levels_b.size() + n, 0.0);
        }
        const std::size_t at = (plan.keys.size() - 1) * n + e.token;
        if (e.evidence != kInitialOf) plan.levels[at] = std::max(plan.levels[at], e.level);
        // Without pair keys, case B keeps the D-key evidence (the bound is
        // then the single-matrix bound of all evidence).
        if (e.evidence != kTypoNick || !pairs) plan.levels_b[at] = std::max(plan.levels_b[at], e.level);
    }
    return plan;
}

double upper_bound(double* ub, std::size_t n, std::size_t m_min, std::size_t m_max) {
    if (n == 0) return 1.0;
    std::sort(ub, ub + n, [](double a, double b) { return a > b; });
    double best = 0.0;  // m = 0: score 0
    double prefix = 0.0;
    for (std::size_t m = 1; m <= n; ++m) {
        prefix += ub[m - 1];
        if (m >= m_min && m <= m_max)
            best = std::max(best, 2.0 * prefix / (2.0 * m + kUnmatchedWeight * static_cast<double>(n - m)));
    }
    if (m_max > n) {  // m > n: every query token matched, the denominator grows with m
        const std::size_t m = std::max(m_min, n + 1);
        best = std::max(best, 2.0 * prefix / (2.0 * n + kUnmatchedWeight * static_cast<double>(m - n)));
    }
    return std::min(1.0, best) + kBoundSlack;
}

double unkeyed_upper_bound(const QueryPlan& plan) {
    if (plan.n_tokens == 0) return 0.0;
    double ub[kMaxTokens];
    for (std::size_t i = 0; i < plan.n_tokens; ++i) ub[i] = kUnkeyed;
    return upper_bound(ub, plan.n_tokens);
}

}  // namespace cdp::namematch
