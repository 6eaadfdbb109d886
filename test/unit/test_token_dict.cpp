// Unit tests of token dictionaries (src/core/namematch/token_dict.h), the
// keys of cdp.gist_name_ops: the bound lemma against the exact score on
// every token pair of a universe and on random names and groups of names,
// the encoding, the union, the order, and that bounds are tight enough to
// prune.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/namematch/namematch.h"
#include "core/namematch/token_dict.h"
#include "name_universe.h"

namespace nm = cdp::namematch;

namespace {
std::vector<std::string> universe() {
    std::vector<std::string> base = {
        "william", "bill",   "will",   "willy",   "margaret", "peggy",   "maggie",   "mario",    "maria",
        "marion",  "rossi",  "rosso",  "smith",   "smyth",    "schmidt", "john",     "jon",      "jonathan",
        "johann",  "robert", "bob",    "rob",     "alan",     "allen",   "ann",      "anna",     "al",
        "li",      "m",      "r",      "j",       "x",        "ab",      "ba",       "abc",      "josé",
        "jose",    "müller", "muller", "mueller", "łukasz",   "lukasz",  "Δημήτρης", "dimitris", "王"};
    // may be invalid UTF-8 after a byte edit: prepare() must cope
    return cdp::test::with_typo_variants(base, 5);
}

std::string dict_of(const nm::Name& n) {
    std::string d;
    EXPECT_TRUE(nm::encode_name_dict(n, d));
    return d;
}

std::vector<std::string> tokens_of(const std::string& dict) {
    std::vector<std::string> out;
    nm::DictReader r(dict);
    nm::DictEntry e;
    while (r.next(e)) out.emplace_back(e.text);
    EXPECT_TRUE(r.ok());
    return out;
}

std::string random_name(std::mt19937& rng, const std::vector<std::string>& u) {
    std::string s;
    const std::size_t n = rng() % 4;
    for (std::size_t i = 0; i < n; ++i) s += u[rng() % u.size()] + " ";
    return s;
}
}  // namespace

// Bound lemma, token by token: entry_level(x, y) >= token_score(x, y).
TEST(TokenDict, EntryLevelBoundsTokenScore) {
    std::vector<nm::Name> names;
    for (const auto& t : universe()) {
        nm::Name n = nm::prepare(t);
        if (n.tokens.size() == 1) names.push_back(std::move(n));
    }
    ASSERT_GT(names.size(), 200u);
    std::size_t related = 0;
    for (const auto& qx : names) {
        nm::DictQuery q(qx);
        for (const auto& sy : names) {
            const std::string d = dict_of(sy);
            nm::DictReader r(d);
            nm::DictEntry e;
            ASSERT_TRUE(r.next(e));
            const double s = nm::token_score(qx.tokens[0], sy.tokens[0]);
            const double l = q.entry_level(0, e);
            EXPECT_GE(std::max(l, nm::kUnkeyed) + 1e-12, s)
                << qx.tokens[0].text << " vs " << sy.tokens[0].text;
            if (s > nm::kUnkeyed) {
                ++related;
                // Related pairs are bounded exactly by the evidence level.
                EXPECT_LE(l, 1.0);
            } else if (l > nm::kUnkeyed) {
                // Levels above kUnkeyed only come from real evidence
                // (phonetic hashes may collide: allow those).
                EXPECT_TRUE(l == nm::kPhonetic || l == nm::kNickPair || l == nm::kNickRoot ||
                            l == nm::kInitial)
                    << qx.tokens[0].text << " vs " << sy.tokens[0].text << " level " << l;
            }
        }
    }
    EXPECT_GT(related, 500u);
}

// Names: score(q, d) <= upper_bound(dict(d)); groups: the union's bound is
// above every member's score.
TEST(TokenDict, ScoreWithinDictionaryBound) {
    auto u = universe();
    std::mt19937 rng(9);
    for (int it = 0; it < 3000; ++it) {
        nm::Name q = nm::prepare(random_name(rng, u));
        nm::DictQuery dq(q);
        std::vector<std::string> dicts;
        std::vector<nm::Name> group;
        std::size_t m_min = 99, m_max = 0;
        for (int g = 0; g < 5; ++g) {
            group.push_back(nm::prepare(random_name(rng, u)));
            dicts.push_back(dict_of(group.back()));
            m_min = std::min(m_min, group.back().tokens.size());
            m_max = std::max(m_max, group.back().tokens.size());
        }
        std::vector<std::string_view> views(dicts.begin(), dicts.end());
        std::string merged;
        ASSERT_TRUE(nm::merge_dicts(views, 1 << 20, merged));
        const double group_bound = dq.upper_bound(merged, m_min, m_max);
        // the ASCII fast path computes exactly the reference levels
        EXPECT_EQ(group_bound, dq.reference_upper_bound(merged, m_min, m_max));
        for (std::size_t g = 0; g < group.size(); ++g) {
            const double s = nm::score(q, group[g]);
            const std::size_t m = group[g].tokens.size();
            EXPECT_LE(s, dq.upper_bound(dicts[g], m, m));
            EXPECT_LE(s, group_bound);
            EXPECT_LE(s, dq.unknown_upper_bound(m, m));
        }
    }
}

// Bounds prune: a dictionary of unrelated names stays below the default
// threshold; one with the query's tokens reaches 1.
TEST(TokenDict, BoundsAreTight) {
    nm::DictQuery q(nm::prepare("mario rossi"));
    std::vector<std::string> dicts = {dict_of(nm::prepare("bill smith")),
                                      dict_of(nm::prepare("peggy miller")),
                                      dict_of(nm::prepare("rossi catherine"))};
    std::vector<std::string_view> views(dicts.begin(), dicts.end());
    std::string merged;
    ASSERT_TRUE(nm::merge_dicts(views, 4096, merged));
    EXPECT_LT(q.upper_bound(merged, 2, 2), 0.85);  // rossi alone: (1 + 0.55) / 2
    EXPECT_NEAR(q.upper_bound(merged, 2, 2), (1.0 + nm::kUnkeyed) / 2, 1e-6);
    EXPECT_GE(q.upper_bound(dict_of(nm::prepare("Rossi, Mario")), 2, 2), 1.0);
    // typo: jw of the one-edit pair, not 1
    const double typo = q.upper_bound(dict_of(nm::prepare("mario rosso")), 2, 2);
    EXPECT_LT(typo, 1.0);
    EXPECT_GE(typo + 1e-9, nm::name_similarity("mario rossi", "mario rosso"));
    // token count range matters: a 5-token subtree cannot score 1 against 2 tokens
    EXPECT_LT(q.upper_bound(dict_of(nm::prepare("mario rossi")), 5, 5), 0.85);
    EXPECT_GE(nm::DictQuery(nm::prepare("")).upper_bound("", 0, 0), 1.0);
    EXPECT_EQ(nm::DictQuery(nm::prepare("")).upper_bound(merged, 1, 3), 0.0);
}

// Per token count: a page of two-token "william jones" and three-token
// "s x johnson" cannot reach 0.85 for "bill smith" (william 0.9 and the
// initial s 0.8 are never in one name of one count); without the count masks
// the bound would be (0.9 + 0.8) / 2 = 0.85.
TEST(TokenDict, BoundPerTokenCount) {
    nm::DictQuery q(nm::prepare("bill smith"));
    std::vector<std::string> dicts = {dict_of(nm::prepare("william jones")),
                                      dict_of(nm::prepare("s x johnson"))};
    std::vector<std::string_view> views(dicts.begin(), dicts.end());
    std::string merged;
    ASSERT_TRUE(nm::merge_dicts(views, 4096, merged));
    EXPECT_LT(q.upper_bound(merged, 2, 3), 0.85);
    // with both in one two-token name the bound is reached
    EXPECT_GE(q.upper_bound(dict_of(nm::prepare("william s")), 2, 2), 0.85);
    // masks are OR-ed for shared tokens
    std::vector<std::string> d2 = {dict_of(nm::prepare("smith")), dict_of(nm::prepare("smith jones")),
                                   dict_of(nm::prepare("a b c d e f g h i smith"))};
    std::vector<std::string_view> v2(d2.begin(), d2.end());
    ASSERT_TRUE(nm::merge_dicts(v2, 4096, merged));
    nm::DictReader r(merged);
    nm::DictEntry e;
    bool found = false;
    while (r.next(e))
        if (e.text == "smith") {
            found = true;
            EXPECT_EQ(e.mmask, nm::token_count_bit(1) | nm::token_count_bit(2) | nm::token_count_bit(10));
        }
    EXPECT_TRUE(found);
}

TEST(TokenDict, EncodingUnionOrder) {
    auto u = universe();
    std::mt19937 rng(3);
    for (int it = 0; it < 500; ++it) {
        std::vector<std::string> dicts;
        std::set<std::string> all;
        std::size_t bytes = 0;
        for (int g = 0; g < 4; ++g) {
            nm::Name n = nm::prepare(random_name(rng, u));
            dicts.push_back(dict_of(n));
            for (const auto& t : n.tokens) all.insert(t.text);
            // tokens sorted, unique
            auto toks = tokens_of(dicts.back());
            EXPECT_TRUE(std::is_sorted(toks.begin(), toks.end()));
            EXPECT_EQ(std::set<std::string>(toks.begin(), toks.end()).size(), toks.size());
        }
        for (const auto& t : all) bytes += nm::kDictEntryHeader + t.size();
        std::vector<std::string_view> views(dicts.begin(), dicts.end());
        std::string merged;
        ASSERT_TRUE(nm::merge_dicts(views, bytes, merged));
        EXPECT_EQ(merged.size(), bytes);
        auto toks = tokens_of(merged);
        EXPECT_EQ(std::vector<std::string>(all.begin(), all.end()), toks);
        if (bytes > 0) {
            std::string small;
            EXPECT_FALSE(nm::merge_dicts(views, bytes - 1, small));
        }
        // added bytes: entries of dicts[1] missing from dicts[0]
        auto t0 = tokens_of(dicts[0]), t1 = tokens_of(dicts[1]);
        std::size_t want = 0;
        for (const auto& t : t1)
            if (!std::binary_search(t0.begin(), t0.end(), t)) want += nm::kDictEntryHeader + t.size();
        EXPECT_EQ(nm::dict_added_bytes(dicts[0], dicts[1]), want);
        // order = order of the token sequences
        const int c = nm::dict_compare(dicts[0], dicts[1]);
        EXPECT_EQ(c < 0, t0 < t1);
        EXPECT_EQ(c == 0, t0 == t1);
        EXPECT_EQ(-c < 0, nm::dict_compare(dicts[1], dicts[0]) < 0);
    }
}

TEST(TokenDict, LongTokensAreRefused) {
    nm::Name n = nm::prepare("mary " + std::string(128, 'q') + " smith");
    std::string d;
    EXPECT_FALSE(nm::encode_name_dict(n, d));
    EXPECT_TRUE(nm::encode_name_dict(nm::prepare("mary " + std::string(127, 'q') + " smith"), d));
    // truncated input is never read past its end
    std::string ok = dict_of(nm::prepare("mary smith"));
    nm::DictReader r(std::string_view(ok).substr(0, ok.size() - 1));
    nm::DictEntry e;
    while (r.next(e)) {
    }
    EXPECT_FALSE(r.ok());
    nm::DictQuery q(nm::prepare("mary smith"));
    EXPECT_GE(q.upper_bound(std::string_view(ok).substr(0, 3), 2, 2), 1.0);  // malformed: no pruning
}
