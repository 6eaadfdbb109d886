// Similarity functions against brute-force references written here (plain
// dynamic programming, jellyfish's textbook Jaro), on random Unicode strings
// (fixed seed) including non-BMP code points and lengths crossing 64.
#include <gtest/gtest.h>

#include <algorithm>
#include <clocale>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/common/utf8.h"
#include "core/similarity/similarity.h"

namespace sim = cdp::similarity;

namespace {

std::int64_t ref_levenshtein(const std::u32string& a, const std::u32string& b) {
    std::vector<std::vector<std::int64_t>> d(a.size() + 1, std::vector<std::int64_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = static_cast<std::int64_t>(i);
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = static_cast<std::int64_t>(j);
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j)
            d[i][j] = std::min(
                {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    return d[a.size()][b.size()];
}

// Lowrance-Wagner unrestricted Damerau-Levenshtein with the full matrix.
std::int64_t ref_damerau(const std::u32string& a, const std::u32string& b) {
    const std::int64_t n = static_cast<std::int64_t>(a.size()), m = static_cast<std::int64_t>(b.size());
    const std::int64_t inf = n + m;
    std::map<char32_t, std::int64_t> da;
    std::vector<std::vector<std::int64_t>> s(n + 2, std::vector<std::int64_t>(m + 2, 0));
    s[0][0] = inf;
    for (std::int64_t i = 0; i <= n; ++i) {
        s[i + 1][0] = inf;
        s[i + 1][1] = i;
    }
    for (std::int64_t j = 0; j <= m; ++j) {
        s[0][j + 1] = inf;
        s[1][j + 1] = j;
    }
    for (std::int64_t i = 1; i <= n; ++i) {
        std::int64_t db = 0;
        for (std::int64_t j = 1; j <= m; ++j) {
            const std::int64_t i1 = da.count(b[j - 1]) ? da[b[j - 1]] : 0;
            const std::int64_t j1 = db;
            std::int64_t cost = 1;
            if (a[i - 1] == b[j - 1]) {
                cost = 0;
                db = j;
            }
            s[i + 1][j + 1] = std::min({s[i][j] + cost, s[i + 1][j] + 1, s[i][j + 1] + 1,
                                        s[i1][j1] + (i - i1 - 1) + 1 + (j - j1 - 1)});
        }
        da[a[i - 1]] = i;
    }
    return s[n + 1][m + 1];
}

double ref_jaro(const std::u32string& a, const std::u32string& b) {
    if (a.empty() || b.empty()) return 0.0;
    std::int64_t range = static_cast<std::int64_t>(std::max(a.size(), b.size())) / 2 - 1;
    if (range < 0) range = 0;
    std::vector<bool> fa(a.size()), fb(b.size());
    double common = 0;
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(a.size()); ++i) {
        const std::int64_t lo = std::max<std::int64_t>(0, i - range);
        const std::int64_t hi = std::min<std::int64_t>(i + range, static_cast<std::int64_t>(b.size()) - 1);
        for (std::int64_t j = lo; j <= hi; ++j) {
            if (!fb[j] && b[j] == a[i]) {
                fa[i] = fb[j] = true;
                ++common;
                break;
            }
        }
    }
    if (common == 0) return 0.0;
    std::size_t k = 0, trans = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!fa[i]) continue;
        while (!fb[k]) ++k;
        if (a[i] != b[k]) ++trans;
        ++k;
    }
    const double t = static_cast<double>(trans / 2);
    return (common / a.size() + common / b.size() + (common - t) / common) / 3.0;
}

double ref_jaro_winkler(const std::u32string& a, const std::u32string& b) {
    double j = ref_jaro(a, b);
    if (j <= 0.7) return j;
    std::size_t p = 0;
    while (p < std::min<std::size_t>({4, a.size(), b.size()}) && a[p] == b[p]) ++p;
    return j + p * 0.1 * (1 - j);
}

// Random strings over a small alphabet (so that matches happen) mixing ASCII,
// Latin-1, BMP and non-BMP code points.
class Gen {
 public:
    explicit Gen(unsigned seed) : rng_(seed) {}
    std::u32string str(std::size_t max_len) {
        static const char32_t alphabet[] = {U'a',      U'b',          U'c',          U'd',
                                            U'e',      U'\u00E9',     U'\u00DF',     U'\u4E2D',
                                            U'\u0416', U'\U0001F600', U'\U0001F601', U'\U00010348'};
        std::uniform_int_distribution<std::size_t> len(0, max_len);
        const std::size_t k = std::uniform_int_distribution<std::size_t>(2, 12)(rng_);  // alphabet size
        std::uniform_int_distribution<std::size_t> pick(0, k - 1);
        std::u32string s(len(rng_), U' ');
        for (auto& c : s) c = alphabet[pick(rng_)];
        return s;
    }
    // b derived from a by a few random edits (so distances are small too)
    std::u32string mutate(std::u32string a, int edits) {
        for (int e = 0; e < edits; ++e) {
            std::uniform_int_distribution<int> op(0, 3);
            const std::size_t pos =
                a.empty() ? 0 : std::uniform_int_distribution<std::size_t>(0, a.size() - 1)(rng_);
            switch (op(rng_)) {
                case 0:
                    a.insert(a.begin() + static_cast<std::ptrdiff_t>(pos), U'x');
                    break;
                case 1:
                    if (!a.empty()) a.erase(pos, 1);
                    break;
                case 2:
                    if (!a.empty()) a[pos] = U'\U0001F602';
                    break;
                default:
                    if (pos + 1 < a.size()) std::swap(a[pos], a[pos + 1]);
            }
        }
        return a;
    }
    int number(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

 private:
    std::mt19937 rng_;
};

}  // namespace

TEST(Levenshtein, MatchesDynamicProgrammingOnRandomUnicode) {
    Gen g(20261123);
    for (int iter = 0; iter < 3000; ++iter) {
        const std::u32string a = g.str(iter % 3 == 0 ? 200 : 70);
        const std::u32string b = iter % 2 ? g.str(iter % 3 == 0 ? 200 : 70) : g.mutate(a, g.number(0, 8));
        ASSERT_EQ(sim::levenshtein(a, b), ref_levenshtein(a, b))
            << "case " << iter << ": " << cdp::utf8::encode(a) << " / " << cdp::utf8::encode(b);
    }
}

TEST(Levenshtein, BoundedEqualsClampedDistance) {
    Gen g(7);
    for (int iter = 0; iter < 3000; ++iter) {
        const std::u32string a = g.str(iter % 4 == 0 ? 300 : 90);
        const std::u32string b = g.mutate(a, g.number(0, 40));
        const std::int64_t d = ref_levenshtein(a, b);
        const std::int64_t k = g.number(0, 45);
        ASSERT_EQ(sim::levenshtein(a, b, k), std::min(d, k + 1)) << "case " << iter << " max " << k;
    }
}

// Short strings and small bounds, where the histogram lower bound decides
// most pairs: ASCII through the UTF-8 entry point (byte spans) and code
// points chosen to collide in the bound's 64 buckets (c and c + 64).
TEST(Levenshtein, BoundedShortStringsHistogramBound) {
    std::mt19937 rng(4242);
    const char32_t colliding[] = {U'a', U'a' + 64, U'b', U'b' + 128, U'\u4E2D', U'\u4E2D' + 64};
    const char ascii[] = "abcdeab";
    for (int iter = 0; iter < 20000; ++iter) {
        const bool uni = iter % 2 != 0;
        auto make = [&] {
            std::u32string s(std::uniform_int_distribution<std::size_t>(0, 12)(rng), U' ');
            for (auto& c : s)
                c = uni ? colliding[std::uniform_int_distribution<int>(0, 5)(rng)]
                        : static_cast<char32_t>(ascii[std::uniform_int_distribution<int>(0, 6)(rng)]);
            return s;
        };
        const std::u32string a = make(), b = make();
        const std::int64_t d = ref_levenshtein(a, b);
        for (std::int64_t k = 0; k <= 4; ++k) {
            ASSERT_EQ(sim::levenshtein(a, b, k), std::min(d, k + 1)) << "case " << iter << " max " << k;
            ASSERT_EQ(sim::levenshtein_utf8(cdp::utf8::encode(a), cdp::utf8::encode(b), k),
                      std::min(d, k + 1))
                << "case " << iter << " max " << k;
        }
    }
}

TEST(Levenshtein, Utf8EntryPointEqualsCodePointForm) {
    Gen g(99);
    for (int iter = 0; iter < 1000; ++iter) {
        const std::u32string a = g.str(100), b = g.str(100);
        ASSERT_EQ(sim::levenshtein_utf8(cdp::utf8::encode(a), cdp::utf8::encode(b)), sim::levenshtein(a, b));
    }
    EXPECT_EQ(sim::levenshtein_utf8("kitten", "sitting"), 3);
    EXPECT_EQ(sim::levenshtein_utf8("", "abc"), 3);
}

TEST(DamerauLevenshtein, MatchesFullMatrixOnRandomUnicode) {
    Gen g(4242);
    for (int iter = 0; iter < 3000; ++iter) {
        const std::u32string a = g.str(iter % 5 == 0 ? 150 : 40);
        const std::u32string b = iter % 2 ? g.str(iter % 5 == 0 ? 150 : 40) : g.mutate(a, g.number(0, 10));
        ASSERT_EQ(sim::damerau_levenshtein(a, b), ref_damerau(a, b))
            << "case " << iter << ": " << cdp::utf8::encode(a) << " / " << cdp::utf8::encode(b);
    }
}

TEST(DamerauLevenshtein, UnrestrictedTransposition) {
    EXPECT_EQ(sim::damerau_levenshtein(U"ca", U"abc"), 2);  // OSA would say 3
    EXPECT_EQ(sim::damerau_levenshtein_utf8("jellyifhs", "jellyfish"), 2);
}

TEST(Jaro, MatchesTextbookOnRandomUnicode) {
    Gen g(314159);
    for (int iter = 0; iter < 4000; ++iter) {
        const std::u32string a = g.str(iter % 3 == 0 ? 300 : 64);
        const std::u32string b = iter % 2 ? g.str(iter % 3 == 0 ? 300 : 64) : g.mutate(a, g.number(0, 6));
        ASSERT_DOUBLE_EQ(sim::jaro(a, b), ref_jaro(a, b)) << "case " << iter;
        ASSERT_DOUBLE_EQ(sim::jaro_winkler(a, b), ref_jaro_winkler(a, b)) << "case " << iter;
    }
}

TEST(Jaro, Utf8AsciiFastPathEqualsCodePointForm) {
    Gen g(1);
    for (int iter = 0; iter < 500; ++iter) {
        std::u32string a = g.str(120), b = g.str(120);
        for (auto* s : {&a, &b})
            for (auto& c : *s) c = U'a' + (c % 5);
        ASSERT_DOUBLE_EQ(sim::jaro_winkler_utf8(cdp::utf8::encode(a), cdp::utf8::encode(b)),
                         sim::jaro_winkler(a, b));
    }
}

TEST(Jaro, JellyfishExamples) {
    EXPECT_NEAR(sim::jaro_utf8("dixon", "dicksonx"), 0.767, 0.001);
    EXPECT_NEAR(sim::jaro_winkler_utf8("martha", "marhta"), 0.961, 0.001);
    EXPECT_NEAR(sim::jaro_winkler_utf8("a", "ab"), 0.85, 0.001);
    EXPECT_EQ(sim::jaro_winkler_utf8("", "foo"), 0.0);
}

TEST(Trigram, PgTrgmExamples) {
    ASSERT_NE(std::setlocale(LC_CTYPE, "C.UTF-8"), nullptr);
    EXPECT_FLOAT_EQ(sim::trigram_similarity_utf8("wow", "WOWa "), 0.5f);
    EXPECT_FLOAT_EQ(sim::trigram_similarity_utf8("wow", " WOW "), 1.0f);
    EXPECT_FLOAT_EQ(sim::trigram_similarity_utf8("---", "####---"), 0.0f);
    EXPECT_FLOAT_EQ(sim::trigram_similarity_utf8("Szczecin", "Warsaw"), 0.0f);
    EXPECT_FLOAT_EQ(sim::trigram_similarity_utf8("José", "jose"), 0.42857143f);  // value of pg_trgm
    std::setlocale(LC_CTYPE, "C");
}

TEST(TokenSet, OrderInsensitiveAndBounded) {
    EXPECT_DOUBLE_EQ(sim::token_set_similarity_utf8("Rossi Mario", "mario rossi"), 1.0);
    EXPECT_NEAR(sim::token_set_similarity_utf8("Mario Rossi", "Rossi"), 2.0 / 3.0, 1e-12);
    EXPECT_DOUBLE_EQ(sim::token_set_similarity_utf8("", "x"), 0.0);
    EXPECT_DOUBLE_EQ(sim::token_set_similarity_utf8("José Núñez", "NÚÑEZ josé"), 1.0);
    const double s = sim::token_set_similarity_utf8("Mario Rossi", "Maria Rossi");
    EXPECT_GT(s, 0.9);
    EXPECT_LT(s, 1.0);
}

TEST(Limits, HugeInputsThrowProgramLimitExceeded) {
    const std::string a(1'000'000, 'a'), b(1'000'000, 'b');
    try {
        sim::levenshtein_utf8(a, b);
        FAIL() << "no error";
    } catch (const cdp::Error& e) {
        EXPECT_STREQ(e.sqlstate(), "54000");
    }
    EXPECT_EQ(sim::levenshtein_utf8(a, b, 3), 4);  // bounded form is cheap
    EXPECT_EQ(sim::levenshtein_utf8(a, a), 0);     // common affix removed first
    try {
        sim::damerau_levenshtein_utf8(a.substr(0, 100000), b.substr(0, 100000));
        FAIL() << "no error";
    } catch (const cdp::Error& e) {
        EXPECT_STREQ(e.sqlstate(), "54000");
    }
}
