// cdp::normalize::phone (E.164 via libphonenumber).  The conformance run
// over libphonenumber's example numbers is the regress test normalize_phone.
#include <gtest/gtest.h>

#include <string>

#include "core/common/error.h"
#include "core/normalize/normalize.h"

namespace {
std::string norm(const std::string& s, const std::string& region) {
    auto r = cdp::normalize::phone(s, region);
    return r ? *r : std::string("<null>");
}
}  // namespace

TEST(NormalizePhone, ItalianNationalFormats) {
    EXPECT_EQ(norm("02 1234 5678", "IT"), "+390212345678");
    EXPECT_EQ(norm("02-12345678", "IT"), "+390212345678");
    EXPECT_EQ(norm("(02) 1234.5678", "IT"), "+390212345678");
    EXPECT_EQ(norm("312 345 6789", "IT"), "+393123456789");
}

TEST(NormalizePhone, InternationalFormats) {
    EXPECT_EQ(norm("+39 02 1234 5678", "IT"), "+390212345678");
    EXPECT_EQ(norm("0039 02 1234 5678", "IT"), "+390212345678");
    EXPECT_EQ(norm("+44 (0)20 7946 0000", "IT"), "+442079460000");
    EXPECT_EQ(norm("011 44 121 234 5678", "US"), "+441212345678");
}

TEST(NormalizePhone, DoubleZeroPrefixOutsideItsRegions) {
    // North America dials 011, but "00" is how most of the world writes it.
    EXPECT_EQ(norm("0044 121 234 5678", "US"), "+441212345678");
    EXPECT_EQ(norm("00 1 268 460 1234", "AG"), "+12684601234");
}

TEST(NormalizePhone, RegionIsCaseInsensitive) {
    EXPECT_EQ(norm("07400 123456", "gb"), "+447400123456");
    EXPECT_EQ(norm("030 123456", "de"), "+4930123456");
}

TEST(NormalizePhone, NationalPrefixes) {
    EXPECT_EQ(norm("01 23 45 67 89", "FR"), "+33123456789");
    EXPECT_EQ(norm("(0121) 234-5678", "GB"), "+441212345678");
    EXPECT_EQ(norm("1 (201) 555-0123", "US"), "+12015550123");
    EXPECT_EQ(norm("044 668 18 00", "CH"), "+41446681800");
    EXPECT_EQ(norm("810 123 456", "ES"), "+34810123456");
}

TEST(NormalizePhone, TelUriAndExtension) {
    EXPECT_EQ(norm("tel:+39-02-1234-5678", "GB"), "+390212345678");
    EXPECT_EQ(norm("+39 02 12345678 ext. 12", "IT"), "+390212345678");  // E.164 has no extension
}

TEST(NormalizePhone, InvalidNumbersAreNull) {
    EXPECT_EQ(norm("", "IT"), "<null>");
    EXPECT_EQ(norm("   ", "IT"), "<null>");
    EXPECT_EQ(norm("12345", "IT"), "<null>");
    EXPECT_EQ(norm("not a phone", "IT"), "<null>");
    EXPECT_EQ(norm("+39 12", "IT"), "<null>");
    EXPECT_EQ(norm("+999 1234567", "IT"), "<null>");  // no such country code
    EXPECT_EQ(norm("112", "IT"), "<null>");           // short code, not a subscriber number
}

TEST(NormalizePhone, MegabyteInputIsNull) {
    EXPECT_EQ(norm(std::string(1 << 20, '1'), "IT"), "<null>");
    EXPECT_EQ(norm(std::string(1 << 20, ' ') + "02 1234 5678", "IT"), "+390212345678");
}

TEST(NormalizePhone, UnknownRegionThrows22023) {
    for (const char* bad : {"XX", "", "ITA", "I", "1T", "ZZ", "001"}) {
        try {
            cdp::normalize::phone("0212345678", bad);
            FAIL() << "accepted region " << bad;
        } catch (const cdp::Error& e) {
            EXPECT_STREQ(e.sqlstate(), "22023");
            EXPECT_NE(std::string(e.what()).find(std::string("\"") + bad + "\""), std::string::npos)
                << e.what();
        }
    }
}

TEST(NormalizePhone, KnownRegions) {
    EXPECT_TRUE(cdp::normalize::is_known_region("IT"));
    EXPECT_TRUE(cdp::normalize::is_known_region("va"));
    EXPECT_FALSE(cdp::normalize::is_known_region("XX"));
    EXPECT_FALSE(cdp::normalize::is_known_region("ZZ"));
    EXPECT_FALSE(cdp::normalize::is_known_region(""));
}

TEST(NormalizePhone, IdentifierUsesDefaultRegion) {
    auto r = cdp::normalize::identifier("phone", "02 1234 5678", "IT");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, "+390212345678");
    EXPECT_EQ(cdp::normalize::identifier("email", " A@B.IT ", "IT").value_or("<null>"), "a@b.it");
    EXPECT_EQ(cdp::normalize::identifier("user_id", "  u1 ", "IT").value_or("<null>"), "u1");
    EXPECT_FALSE(cdp::normalize::identifier("user_id", "   ", "IT").has_value());
}

TEST(NormalizePhone, MemoisedResultsStayCorrectAcrossRefills) {
    // More distinct numbers than the per-backend memo holds (8192), twice:
    // every answer is the same computed, memoised or recomputed after a clear.
    for (int pass = 0; pass < 2; ++pass) {
        for (int i = 0; i < 10000; ++i) {
            const std::string digits = std::to_string(10000000 + i);  // 8 digits
            ASSERT_EQ(norm("02 " + digits, "IT"), "+3902" + digits) << i;
            ASSERT_EQ(norm("02 " + digits, "GB"), "<null>") << i;  // same text, other region
        }
    }
    EXPECT_EQ(norm("12345", "IT"), "<null>");
    EXPECT_EQ(norm("12345", "IT"), "<null>");  // a memoised NULL
}
