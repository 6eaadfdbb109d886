// Person-name matching (docs/namematch.md): cdp.name_similarity, the key
// sets behind the GIN operator class and the score upper bounds its
// consistent functions rely on (the GiST operator class uses token
// dictionaries instead: token_dict.h).  Pure C++; no PostgreSQL headers.
//
// The score and the keys are designed together; docs/namematch.md
// states the definition, this header the contract the index code relies on:
//
//   Key lemma.  For a query token x and a stored token y, if
//   token_score(x, y) > kUnkeyed then at least one of x's query keys with
//   level >= token_score(x, y) is among y's index keys.
//
// Hence, for a stored name whose index keys are known, every query token x_i
// has best(x_i) = max_y token_score(x_i, y) <= ub_i, where ub_i is the
// largest level of x_i's keys present (kUnkeyed if none), and
// name_score <= upper_bound(ub, m) (see upper_bound()).  The GIN consistent
// functions evaluate exactly that bound, so an index scan never drops a row
// the operator accepts.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdp::namematch {

// ---- score levels (docs/namematch.md) --------------------------------
inline constexpr double kNickRoot = 0.90;      // name <-> one of its nicknames (william ~ bill)
inline constexpr double kNickPair = 0.80;      // two nicknames of one name (bill ~ will)
inline constexpr double kPhonetic = 0.85;      // double metaphone codes agree
inline constexpr double kInitial = 0.80;       // "m" ~ "mario"
inline constexpr double kUnkeyed = 0.55;       // cap of the score of unrelated tokens (unkeyed_score)
inline constexpr double kUnkeyedFloor = 0.65;  // Jaro-Winkler at or below this gives unrelated tokens 0
inline constexpr double kUnkeyedFull = 0.95;  // Jaro-Winkler at or above this gives unrelated tokens kUnkeyed
inline constexpr double kUnmatchedWeight = 0.5;  // weight of a token left without a partner
inline constexpr std::size_t kMaxTokens = 32;    // tokens beyond the 32nd are ignored
inline constexpr std::size_t kMaxTypoLen = 64;   // longer tokens only match exactly / by nickname / phonetics
// Slack for floating-point comparisons of bounds against thresholds: bounds
// are made larger by this much, so rounding never drops a row.
inline constexpr double kBoundSlack = 1e-9;

// ---- nickname table (data/nicknames.csv, Apache-2.0, carltonnorthern/nicknames)
struct NicknameInfo {
    std::vector<int> groups;  // rows containing the token (sorted)
    std::vector<int> roots;   // rows whose canonical name is the token (sorted)
    // Every other entry sharing a row with the token, with the token score of
    // the pair: kNickRoot when one of the two is the canonical name of a
    // shared row, else kNickPair (the query keys of the nickname relation).
    std::vector<std::pair<std::string, double>> related;
};
// Rows of the table that contain the normalised token; nullptr when none.
// The table lives for the whole process.
const NicknameInfo* nickname_rows(std::string_view token);
std::size_t nickname_row_count();

// One normalised token with everything the score needs precomputed.
struct Token {
    std::u32string cps;                  // code points
    std::string text;                    // UTF-8
    const NicknameInfo* nick = nullptr;  // nickname table rows (nullptr: none)
    std::string dm_primary;              // double metaphone (empty: no code)
    std::string dm_alternate;
};

struct Name {
    std::vector<Token> tokens;  // in input order, at most kMaxTokens
};

// Normalise (cdp::normalize::name), split on spaces, precompute.
Name prepare(std::string_view raw);

// Token score in [0,1], symmetric.
double token_score(const Token& x, const Token& y);

// Name score in [0,1], symmetric; 1 for names with equal token multisets.
double score(const Name& a, const Name& b);
double name_similarity(std::string_view a, std::string_view b);

// Score of two tokens related by nothing but their letters:
// kUnkeyed * clamp((jw - kUnkeyedFloor) / (kUnkeyedFull - kUnkeyedFloor), 0, 1),
// never above kUnkeyed.  Two unrelated short names often reach a Jaro-Winkler
// of 0.6-0.7 by chance (dean/erin 0.67), so credit starts at 0.65: names that
// share no related token score (almost) 0 instead of a noisy 0.1-0.3, and two
// tokens two or more edits apart (kiirk/kik) still get graded credit.
double unkeyed_score(double jw);

// True when a and b are at most one edit apart (insertion, deletion,
// substitution or transposition of adjacent code points).
// The same on any sequence of code units (token_dict.cpp runs it on ASCII
// bytes, which are code points, without decoding).
template <class C>
bool within_one_edit_units(std::basic_string_view<C> a, std::basic_string_view<C> b) {
    if (a.size() > b.size()) std::swap(a, b);
    const std::size_t la = a.size(), lb = b.size();
    if (lb - la > 1) return false;
    std::size_t i = 0;
    while (i < la && a[i] == b[i]) ++i;
    if (i == la) return true;  // equal, or b = a + one unit
    if (la == lb) {
        // substitution at i, or transposition of i, i+1
        if (a.substr(i + 1) == b.substr(i + 1)) return true;
        return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && a.substr(i + 2) == b.substr(i + 2);
    }
    return a.substr(i) == b.substr(i + 1);  // b has one extra unit at i
}
inline bool within_one_edit(std::u32string_view a, std::u32string_view b) {
    return within_one_edit_units(a, b);
}

// ---- index keys -------------------------------------------------------------
// Keys are 32-bit hashes of (kind, string).  Equal keys hash equally, so a
// collision can only add candidates (removed by the recheck), never lose one.
enum class KeyKind : char {
    kDeletion = 'D',  // the token and every string one code point shorter (len >= 2); a query
                      // token also looks up, as D keys, the names related to it by the nickname table
    kPhonetic = 'P',  // a double metaphone code
    kFirst = 'F',     // first code point of a token of length >= 2 (index side)
    kInitial = 'I',   // a one-code-point token (index side)
    kEmpty = 'E',     // the name has no token
    kPair = 'J',      // an initial of the stored name with a D key of another of its tokens
};
std::uint32_t key_hash(KeyKind kind, std::string_view s);

// Keys of a stored name (GIN extractValue), sorted and unique.
// `pairs`: include the pair keys (kPair, see QueryPlan); the GIN option
// pairs = false leaves them out.  The query plan must be built with the same
// choice.
std::vector<std::uint32_t> index_keys(const Name& name, bool pairs = true);

// Keys of a query name with, for every key and query token, the level the
// key proves (0: not a key of that token), in two matrices, one per case of
// the best assignment of the query's tokens to the stored name's tokens:
//  A. no query token of 2+ code points is matched to a stored initial by its
//     first letter: `levels` holds every evidence except that initial one
//     (the I:<first letter> key of such a token);
//  B. some query token x is: then every other query token z matched through
//     a D key k (typo, equality, nickname) has the pair key
//     J:<first letter of x>|k in the stored name (index_keys emits
//     J:<initial>|k for every D key k of its other tokens).  `levels_b`
//     holds every evidence except the D keys themselves: the initial one,
//     phonetic, F/I keys of one-letter query tokens, and pair keys (which
//     prove kInitial for x and the level of k for z).
// The score is at most the larger of the two bounds.  A plan built without
// pair keys puts the D-key evidence in `levels_b` too.  Without pair keys a
// frequent initial key (I:j) would make GIN read every D key of the other
// tokens: with them, only the rare pair key.
struct QueryPlan {
    std::size_t n_tokens = 0;
    std::vector<std::uint32_t> keys;  // sorted, unique
    std::vector<double> levels;       // case A, keys.size() * n_tokens, row-major by key
    std::vector<double> levels_b;     // case B, same shape
};
QueryPlan query_plan(const Name& query, bool pairs = true);

// Upper bound of score(query, stored) for a stored name with m tokens,
// m in [m_min, m_max], given ub[i] >= best score of query token i.
// n = number of query tokens, 1 <= n <= kMaxTokens; ub is reordered.  A
// stored name with m = 0 tokens scores 0.
double upper_bound(double* ub, std::size_t n, std::size_t m_min = 0, std::size_t m_max = kMaxTokens);

// Bound from key presence: present(k) says whether key k of the plan (whose
// levels are `levels` and `levels_b`, n_keys * n_tokens, row-major) may be
// among the stored name's keys: the larger of the case A and case B bounds.
// For an empty query (n_tokens == 0) the bound is 1 when a key (the kEmpty
// key) is present and 0 otherwise.
template <class Present>
double levels_upper_bound(std::size_t n, std::size_t n_keys, const double* levels, const double* levels_b,
                          Present present, std::size_t m_min = 0, std::size_t m_max = kMaxTokens) {
    if (n == 0) {
        for (std::size_t k = 0; k < n_keys; ++k)
            if (present(k)) return 1.0;
        return 0.0;
    }
    double ua[kMaxTokens], ub[kMaxTokens];
    for (std::size_t i = 0; i < n; ++i) ua[i] = ub[i] = kUnkeyed;
    for (std::size_t k = 0; k < n_keys; ++k) {
        if (!present(k)) continue;
        const double* la = levels + k * n;
        const double* lb = levels_b + k * n;
        for (std::size_t i = 0; i < n; ++i) {
            if (la[i] > ua[i]) ua[i] = la[i];
            if (lb[i] > ub[i]) ub[i] = lb[i];
        }
    }
    return std::max(upper_bound(ua, n, m_min, m_max), upper_bound(ub, n, m_min, m_max));
}

template <class Present>
double plan_upper_bound(const QueryPlan& plan, Present present, std::size_t m_min = 0,
                        std::size_t m_max = kMaxTokens) {
    return levels_upper_bound(plan.n_tokens, plan.keys.size(), plan.levels.data(), plan.levels_b.data(),
                              present, m_min, m_max);
}

// Bound when no key at all is present: if it reaches the threshold, an index
// cannot narrow the search and must visit every entry.
double unkeyed_upper_bound(const QueryPlan& plan);

}  // namespace cdp::namematch
