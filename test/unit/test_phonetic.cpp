// Phonetic codes: known values (jellyfish vectors, fuzzystrmatch outputs) and
// robustness on odd input.  The full conformance and peer checks are in the
// regress tests sql/similarity_*.sql.
#include <gtest/gtest.h>

#include <string>

#include "core/common/error.h"
#include "core/phonetic/phonetic.h"

namespace ph = cdp::phonetic;

TEST(Soundex, FuzzystrmatchValues) {
    EXPECT_EQ(ph::soundex("hello world!"), "H464");
    EXPECT_EQ(ph::soundex("Andrew"), "A536");
    EXPECT_EQ(ph::soundex("Ashcroft"), "A226");  // fuzzystrmatch H/W rule
    EXPECT_EQ(ph::soundex(""), "");
    EXPECT_EQ(ph::soundex("123"), "");
    EXPECT_EQ(ph::soundex("Tymczak"), "T522");
}

TEST(Soundex, FoldsAccentedLatinLetters) {
    EXPECT_EQ(ph::soundex("\xC3\x87\xC3\xA1\xC5\x95\xE1\xBA\x97\xC3\xA9\xC5\x99"), "C636");  // Çáŕẗéř
    EXPECT_EQ(ph::soundex("\xC3\x89mile"), "E540");                                          // Émile
}

TEST(Metaphone, JellyfishValues) {
    EXPECT_EQ(ph::metaphone("this is a difficult string"), "0S IS A TFKLT STRNK");
    EXPECT_EQ(ph::metaphone("Antidisestablishmentarianism"), "ANTTSSTBLXMNTRNSM");
    EXPECT_EQ(ph::metaphone("Xhot"), "XHT");
    EXPECT_EQ(ph::metaphone("\xC3\x87\xC3\xA1\xC5\x95\xE1\xBA\x97\xC3\xA9\xC5\x99"), "KRTR");
    EXPECT_EQ(ph::metaphone(""), "");
}

TEST(Nysiis, JellyfishValues) {
    EXPECT_EQ(ph::nysiis("montgomery"), "MANTGANARY");
    EXPECT_EQ(ph::nysiis("Knaqze"), "NAGS");
    EXPECT_EQ(ph::nysiis("MacArthur"), "MCARTAR");
    EXPECT_EQ(ph::nysiis("\xC3\xA7"), "\xC3\x87");  // ç -> Ç
    EXPECT_EQ(ph::nysiis(""), "");
}

TEST(DoubleMetaphone, FuzzystrmatchValues) {
    auto dm = [](const char* s) {
        auto r = ph::double_metaphone(s);
        return r.primary + "|" + r.alternate;
    };
    EXPECT_EQ(dm("gumbo"), "KMP|KMP");
    EXPECT_EQ(dm("Schmidt"), "XMT|SMT");
    EXPECT_EQ(dm("michael"), "MKL|MXL");
    EXPECT_EQ(dm("Xavier"), "SF|SFR");
    EXPECT_EQ(dm(""), "|");
    EXPECT_EQ(dm("Mu\xC3\xB1oz"), "MNS|MNS");  // Muñoz: Ñ coded N
}

TEST(Phonetic, InvalidUtf8IsAnError) {
    EXPECT_THROW(ph::soundex("a\xC3"), cdp::Error);
    EXPECT_THROW(ph::metaphone("\xFF"), cdp::Error);
    EXPECT_THROW(ph::nysiis("\xC0\x80"), cdp::Error);
    EXPECT_THROW(ph::double_metaphone("\xED\xA0\x80"), cdp::Error);
}
