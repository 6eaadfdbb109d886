#include <gtest/gtest.h>

#include "core/common/error.h"
#include "core/common/interrupt.h"
#include "core/common/utf8.h"

TEST(Utf8, RoundTripsMultibyte) {
    const std::string s = "Jos\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80";  // José 日本 😀
    std::u32string cps = cdp::utf8::decode(s);
    ASSERT_EQ(cps.size(), 9u);
    EXPECT_EQ(cps[3], U'\u00E9');
    EXPECT_EQ(cps[5], U'\u65E5');
    EXPECT_EQ(cps[8], U'\U0001F600');
    EXPECT_EQ(cdp::utf8::encode(cps), s);
    EXPECT_EQ(cdp::utf8::length(s), 9u);
}

TEST(Utf8, RejectsInvalidWithSqlstate) {
    for (const std::string bad : {std::string("\xC3"), std::string("\xC0\x80"), std::string("a\xED\xA0\x80"),
                                  std::string("\xF4\x90\x80\x80"), std::string("\x80")}) {
        try {
            cdp::utf8::decode(bad);
            FAIL() << "accepted invalid UTF-8";
        } catch (const cdp::Error& e) {
            EXPECT_STREQ(e.sqlstate(), "22021");
        }
    }
}

TEST(Interrupt, ProbeStopsLoops) {
    static bool flag = false;
    cdp::interrupt::set_probe([] { return flag; });
    cdp::interrupt::Ticker t(10);
    for (int i = 0; i < 100; ++i) t.tick();  // no throw while clear
    flag = true;
    EXPECT_THROW(
        {
            for (int i = 0; i < 100; ++i) t.tick();
        },
        cdp::Cancelled);
    flag = false;
    cdp::interrupt::set_probe(nullptr);
}
