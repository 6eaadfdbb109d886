// cdp::normalize::name (docs/normalize.md).
#include <gtest/gtest.h>
#include <unicode/uscript.h>

#include <string>

#include "core/common/error.h"
#include "core/common/interrupt.h"
#include "core/common/utf8.h"
#include "core/normalize/fold.h"
#include "core/normalize/normalize.h"

using cdp::normalize::name;

TEST(NormalizeName, DesignExample) { EXPECT_EQ(name("  José  O'Brien-Smith "), "jose obrien smith"); }

TEST(NormalizeName, Diacritics) {
    EXPECT_EQ(name("Müller"), "muller");
    EXPECT_EQ(name("Nguyễn Văn Anh"), "nguyen van anh");
    EXPECT_EQ(name("Łukasz Żółć"), "lukasz zolc");
    EXPECT_EQ(name("Ærø Straße"), "aero strasse");
    EXPECT_EQ(name("François Lefèvre"), "francois lefevre");
}

TEST(NormalizeName, DecomposedInputSameAsComposed) {
    EXPECT_EQ(name("Jose\u0301"), name("Jos\u00E9"));
    EXPECT_EQ(name("Jose\u0301"), "jose");
}

TEST(NormalizeName, Apostrophes) {
    for (const char* s : {"O'Brien", "O’Brien", "Oʼbrien", "O`Brien", "O‘Brien", "O´Brien", "O＇Brien"})
        EXPECT_EQ(name(s), "obrien") << s;
    EXPECT_EQ(name("D'Angelo"), "dangelo");
}

TEST(NormalizeName, PunctuationAndSpaceRuns) {
    EXPECT_EQ(name("Mary-Jane  Watson"), "mary jane watson");
    EXPECT_EQ(name("Smith, John (Jr.)"), "smith john jr");
    EXPECT_EQ(name("\tAnna\u00A0Maria\u2003Rossi\n"), "anna maria rossi");
    EXPECT_EQ(name("J.R.R. Tolkien"), "j r r tolkien");
    EXPECT_EQ(name("Anna–Maria"), "anna maria");  // en dash
}

TEST(NormalizeName, Cyrillic) {
    EXPECT_EQ(name("Игорь Стравинский"), "igor stravinskij");
    EXPECT_EQ(name("Пётр Чайковский"), "petr cajkovskij");
}

TEST(NormalizeName, Greek) { EXPECT_EQ(name("Σωκράτης Παπαδόπουλος"), "sokrates papadopoulos"); }

TEST(NormalizeName, Cjk) {
    EXPECT_EQ(name("张伟"), "zhang wei");
    EXPECT_EQ(name("やまだ たろう"), "yamada tarou");
    EXPECT_EQ(name("김민준"), "gimminjun");
}

TEST(NormalizeName, OtherScriptsToAscii) {
    EXPECT_EQ(name("דוד כהן"), "dwd khn");
    EXPECT_EQ(name("राम"), "rama");
    EXPECT_EQ(name("محمد علي"), "mhmd ly");
}

TEST(NormalizeName, CompatibilityForms) {
    EXPECT_EQ(name("ＪＯＨＮ　ＳＭＩＴＨ"), "john smith");  // fullwidth
    EXPECT_EQ(name("Ǆemal"), "dzemal");
    EXPECT_EQ(name("Louis Ⅻ"), "louis xii");
}

TEST(NormalizeName, SymbolsBecomeSpaces) {
    EXPECT_EQ(name("John★Smith"), "john smith");
    EXPECT_EQ(name("Anna 😀 Rossi"), "anna rossi");
    EXPECT_EQ(name("☃"), "");
}

TEST(NormalizeName, EmptyAndBlank) {
    EXPECT_EQ(name(""), "");
    EXPECT_EQ(name("   "), "");
    EXPECT_EQ(name("'-.,"), "");
}

TEST(NormalizeName, DigitsKept) { EXPECT_EQ(name("John Smith 3rd"), "john smith 3rd"); }

TEST(NormalizeName, MegabyteInputBounded) {
    std::string big;
    for (int i = 0; i < 100000; ++i) big += "Игорь O'Brien ";
    std::string out = name(big);
    EXPECT_EQ(out.size(), 100000u * std::string("igor obrien ").size() - 1);
    EXPECT_EQ(out.substr(0, 24), "igor obrien igor obrien ");
    std::string nospace(1 << 20, 'A');
    EXPECT_EQ(name(nospace), std::string(1 << 20, 'a'));
}

TEST(NormalizeName, Idempotent) {
    for (const char* s :
         {"  José  O'Brien-Smith ", "Игорь Стравинский", "张伟", "Ærø", "ＪＯＨＮ", "Ǆemal ☃"}) {
        const std::string once = name(s);
        EXPECT_EQ(name(once), once) << s;
    }
}

TEST(NormalizeName, LatinFastPathMatchesFullTransliteration) {
    for (const char* s : {"José O’Brien-Smith", "Ærøskøbing ßtraße", "Łódź Żółć", "Ǆemal ǅ ǆ", "ÆSOP Æsop",
                          "Œuvre œil", "Þór Ðóra", "İstanbul ıi", "Đorđe Ħal", "ﬁne ﬂow", "Ŋaŋ ĸ ſ",
                          "«Anna» — “Maria” ‹x› ¿qué? ¡sí!", "ǈ ǋ ǲ", "Ａｎｎａ", "n° 5, nº 6",
                          // non-Latin: word-by-word with the cache
                          "Игорь Стравинский", "Игорь Стравинский", "Σωκράτης Παπαδόπουλος σοφός",
                          "张伟 王芳", "やまだ たろう", "김민준\t이서연", "Μπάμπης μπαμπάς", "ⲁⲃⲅ Ιησούς",
                          "محمد  علي", "Ivan Иванов-Петров"}) {
        EXPECT_EQ(cdp::normalize::detail::fold_ascii(s), cdp::normalize::detail::fold_ascii_reference(s))
            << s;
    }
}

TEST(NormalizeName, LongInputHonoursCancellation) {
    std::string big;
    for (int i = 0; i < 20000; ++i) big += "Игорь O'Brien ";
    cdp::interrupt::set_probe([] { return true; });
    EXPECT_THROW(name(big), cdp::Cancelled);
    EXPECT_THROW(cdp::normalize::address(big), cdp::Cancelled);
    cdp::interrupt::set_probe(nullptr);
    EXPECT_NO_THROW(name(big));
    EXPECT_EQ(name("Игорь"), "igor");  // short input never polls
}

TEST(NormalizeName, LatinFastPathEveryCodePoint) {
    // Every assigned Latin, Common and Inherited code point, alone, inside a
    // Latin word and after a space: the memoised per-code-point Latin-ASCII
    // equals the whole-string "Any-Latin; Latin-ASCII".
    int checked = 0;
    for (UChar32 c = 0x80; c < 0x30000; ++c) {
        if (c >= 0xD800 && c <= 0xDFFF) continue;
        UErrorCode status = U_ZERO_ERROR;
        const UScriptCode sc = uscript_getScript(c, &status);
        if (U_FAILURE(status) || (sc != USCRIPT_LATIN && sc != USCRIPT_COMMON && sc != USCRIPT_INHERITED))
            continue;
        for (const char* ctx : {"", "Ab", "x "}) {
            std::string s = ctx;
            cdp::utf8::append(s, static_cast<char32_t>(c));
            if (ctx[0] == 'A') s += "cD";
            ASSERT_EQ(cdp::normalize::detail::fold_ascii(s), cdp::normalize::detail::fold_ascii_reference(s))
                << "U+" << std::hex << c;
            ++checked;
        }
    }
    EXPECT_GT(checked, 20000);
}
