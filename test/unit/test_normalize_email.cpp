// cdp::normalize::email (docs/normalize.md).
#include <gtest/gtest.h>

#include <string>

#include "core/normalize/normalize.h"

namespace {
using cdp::normalize::email;
using cdp::normalize::EmailOptions;

std::string norm(const std::string& s, bool rules = true) {
    EmailOptions o;
    o.provider_rules = rules;
    auto r = email(s, o);
    return r ? *r : std::string("<null>");
}
}  // namespace

TEST(NormalizeEmail, TrimsAndLowerCases) {
    EXPECT_EQ(norm("  John.Doe@Example.COM  "), "john.doe@example.com");
    EXPECT_EQ(norm("\tMARIO.ROSSI@LIBERO.IT\n"), "mario.rossi@libero.it");
}

TEST(NormalizeEmail, TrimsUnicodeWhiteSpace) {
    EXPECT_EQ(norm("\u00A0anna@example.org\u3000"), "anna@example.org");  // NBSP, ideographic space
}

TEST(NormalizeEmail, IdnDomainToPunycode) {
    EXPECT_EQ(norm("info@Bücher.de"), "info@xn--bcher-kva.de");
    EXPECT_EQ(norm("x@例え.テスト"), "x@xn--r8jz45g.xn--zckzah");
    EXPECT_EQ(norm("a@xn--bcher-kva.de"), "a@xn--bcher-kva.de");  // already ASCII: unchanged
}

TEST(NormalizeEmail, NonAsciiLocalPartKeptCaseFolded) {
    // RFC 6531: the local part stays UTF-8; it is case-folded, not transliterated.
    EXPECT_EQ(norm("Ünïcödé@Bücher.de"), "ünïcödé@xn--bcher-kva.de");
    EXPECT_EQ(norm("ΣΩΚΡΆΤΗΣ@example.gr"),
              "σωκράτησ@example.gr");                            // full case folding: final sigma folds to σ
    EXPECT_EQ(norm("Straße@example.de"), "strasse@example.de");  // ß folds to ss in the local part
}

TEST(NormalizeEmail, ComposedAndDecomposedAgree) {
    // "é" precomposed vs "e" + combining acute.
    EXPECT_EQ(norm("Ren\u00E9@example.fr"), norm("Rene\u0301@example.fr"));
    EXPECT_EQ(norm("Ren\u00E9@example.fr"), "ren\u00E9@example.fr");
}

TEST(NormalizeEmail, NonTransitionalIdna) {
    // UTS #46 non-transitional: ß is kept in the domain (not mapped to ss).
    EXPECT_EQ(norm("a@faß.de"), "a@xn--fa-hia.de");
}

TEST(NormalizeEmail, FullwidthFormsMapped) {
    EXPECT_EQ(norm("ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ"), "john@example.com");
    EXPECT_EQ(norm("john\uFE6Bexample.com"), "john@example.com");  // small commercial at
}

TEST(NormalizeEmail, GmailRulesOn) {
    EXPECT_EQ(norm("J.o.h.n.Doe+newsletter@gmail.com"), "johndoe@gmail.com");
    EXPECT_EQ(norm("john.doe+a+b@GoogleMail.com"), "johndoe@gmail.com");
    EXPECT_EQ(norm("johndoe@googlemail.com"), "johndoe@gmail.com");
}

TEST(NormalizeEmail, GmailRulesOff) {
    EXPECT_EQ(norm("J.o.h.n.Doe+newsletter@gmail.com", false), "j.o.h.n.doe+newsletter@gmail.com");
    EXPECT_EQ(norm("johndoe@googlemail.com", false), "johndoe@googlemail.com");
}

TEST(NormalizeEmail, ProviderRulesOnlyForGmail) {
    EXPECT_EQ(norm("john.doe+tag@outlook.com"), "john.doe+tag@outlook.com");
    EXPECT_EQ(norm("john.doe+tag@gmail.co.uk"), "john.doe+tag@gmail.co.uk");
    EXPECT_EQ(norm("john.doe+tag@mail.gmail.com"), "john.doe+tag@mail.gmail.com");
}

TEST(NormalizeEmail, GmailEmptyLocalAfterRulesIsNull) {
    EXPECT_EQ(norm("+tag@gmail.com"), "<null>");
    EXPECT_EQ(norm("+tag@gmail.com", false), "+tag@gmail.com");
}

TEST(NormalizeEmail, AtextCharactersAllowed) {
    EXPECT_EQ(norm("o'brien@example.ie"), "o'brien@example.ie");
    EXPECT_EQ(norm("a!#$%&*+/=?^_`{|}~-z@example.com"), "a!#$%&*+/=?^_`{|}~-z@example.com");
}

TEST(NormalizeEmail, NotOneAtSignIsNull) {
    EXPECT_EQ(norm("john.example.com"), "<null>");
    EXPECT_EQ(norm("john@doe@example.com"), "<null>");
    EXPECT_EQ(norm("john@@example.com"), "<null>");
    EXPECT_EQ(norm("john＠doe@example.com"), "<null>");
}

TEST(NormalizeEmail, EmptyPartsAreNull) {
    EXPECT_EQ(norm(""), "<null>");
    EXPECT_EQ(norm("   "), "<null>");
    EXPECT_EQ(norm("@example.com"), "<null>");
    EXPECT_EQ(norm("john@"), "<null>");
}

TEST(NormalizeEmail, SpacesAndControlsAreNull) {
    EXPECT_EQ(norm("john doe@example.com"), "<null>");
    EXPECT_EQ(norm("john@exa mple.com"), "<null>");
    EXPECT_EQ(norm(std::string("jo\x01hn@example.com")), "<null>");
    EXPECT_EQ(norm("john\u00A0doe@example.com"), "<null>");
    EXPECT_EQ(norm("jo\uE000hn@example.com"), "<null>");  // private use
}

TEST(NormalizeEmail, DotAtomRulesInLocalPart) {
    EXPECT_EQ(norm(".john@example.com"), "<null>");
    EXPECT_EQ(norm("john.@example.com"), "<null>");
    EXPECT_EQ(norm("jo..hn@example.com"), "<null>");
    EXPECT_EQ(norm("\"john doe\"@example.com"), "<null>");  // quoted local parts are not supported
    EXPECT_EQ(norm("john(comment)@example.com"), "<null>");
    EXPECT_EQ(norm("<john@example.com>"), "<null>");
    EXPECT_EQ(norm("john,doe@example.com"), "<null>");
}

TEST(NormalizeEmail, DomainNeedsADotAndValidLabels) {
    EXPECT_EQ(norm("john@localhost"), "<null>");
    EXPECT_EQ(norm("john@example..com"), "<null>");
    EXPECT_EQ(norm("john@.example.com"), "<null>");
    EXPECT_EQ(norm("john@example.com."), "<null>");
    EXPECT_EQ(norm("john@-example.com"), "<null>");
    EXPECT_EQ(norm("john@example-.com"), "<null>");
    EXPECT_EQ(norm("john@exa_mple.com"), "<null>");
    EXPECT_EQ(norm("john@ab--cd.com"), "<null>");     // hyphens in positions 3-4 (UTS #46)
    EXPECT_EQ(norm("john@xn--abc.com"), "<null>");    // bad punycode
    EXPECT_EQ(norm("john@[192.168.0.1]"), "<null>");  // address literals are not supported
    EXPECT_EQ(norm("john@192.168.0.1"), "<null>");    // numeric top-level label
    EXPECT_EQ(norm("john@example.c0m"), "john@example.c0m");
}

TEST(NormalizeEmail, LengthLimits) {
    const std::string local64(64, 'a'), local65(65, 'a');
    EXPECT_EQ(norm(local64 + "@example.com"), local64 + "@example.com");
    EXPECT_EQ(norm(local65 + "@example.com"), "<null>");
    const std::string label63(63, 'b'), label64(64, 'b');
    EXPECT_EQ(norm("a@" + label63 + ".com"), "a@" + label63 + ".com");
    EXPECT_EQ(norm("a@" + label64 + ".com"), "<null>");
    // 254 octets in all is the longest address (RFC 5321 path minus "<>").
    std::string domain = label63 + "." + label63 + "." + label63 + "." + std::string(57, 'c');  // 249
    EXPECT_EQ(norm("abc@" + domain), "abc@" + domain);                                          // 253
    EXPECT_EQ(norm("abcd@" + domain), "abcd@" + domain);                                        // 254
    EXPECT_EQ(norm("abcde@" + domain), "<null>");                                               // 255
}

TEST(NormalizeEmail, MegabyteInputIsNull) {
    std::string big(1 << 20, 'a');
    EXPECT_EQ(norm(big + "@example.com"), "<null>");
    EXPECT_EQ(norm(std::string(1 << 20, ' ') + "a@example.com" + std::string(1 << 20, ' ')), "a@example.com");
}

TEST(NormalizeEmail, Idempotent) {
    for (const char* s : {"J.o.h.n+x@GoogleMail.com", "Ünïcödé@Bücher.de", "ΣΩΚΡΆΤΗΣ@example.gr",
                          "x@例え.テスト", "o'brien@example.ie"}) {
        auto once = email(s);
        ASSERT_TRUE(once.has_value()) << s;
        EXPECT_EQ(email(*once), once) << s;
    }
}

TEST(NormalizeEmail, DefaultIgnorablesAndIdeographicDots) {
    EXPECT_EQ(norm("jo\u200Bhn@exam\u00ADple.com"), "john@example.com");  // zero-width space, soft hyphen
    EXPECT_EQ(norm("a@example\u3002com"), "a@example.com");               // ideographic full stop
    EXPECT_EQ(norm("a@example\uFF0Ecom"), "a@example.com");               // fullwidth full stop
}

TEST(NormalizeEmail, NonAsciiDomainLabelsMustBeValid) {
    EXPECT_EQ(norm("a@مثال.إختبار"),
              "a@xn--mgbh0fb.xn--kgbechtv");       // IANA's Arabic test domain
    EXPECT_EQ(norm("a@١٢.com"), "<null>");         // a label of Arabic digits only: CheckBidi
    EXPECT_EQ(norm("a@a١.com"), "<null>");         // Latin + Arabic digit: CheckBidi
    EXPECT_EQ(norm("a@‍.com"), "<null>");        // ZWJ outside its context: CheckJoiners
    EXPECT_EQ(norm("a@😀.com"), "a@xn--e28h.com");  // UTS #46 (unlike IDNA2008) allows emoji
}

TEST(NormalizeEmail, NonAsciiLocalPartMustBeLettersOrDigits) {
    // Documented rule: non-ASCII code points of the local part are letters
    // or digits; combining marks only after a letter or digit.
    EXPECT_EQ(norm("\u0301\u0301@example.com"), "<null>");                    // only combining marks
    EXPECT_EQ(norm("\U0001F600@example.com"), "<null>");                      // emoji
    EXPECT_EQ(norm("a.\u0301@example.com"), "<null>");                        // mark starting an atom
    EXPECT_EQ(norm("mario\u2603@example.com"), "<null>");                     // symbol (snowman)
    EXPECT_EQ(norm("\u0661\u0662@example.com"), "\u0661\u0662@example.com");  // Arabic-Indic digits
    EXPECT_EQ(norm("q\u0307\u0323@example.com"),
              "q\u0323\u0307@example.com");  // letter + marks (canonical order)
}
