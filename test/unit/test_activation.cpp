// Destination specs, payload projection, webhook signatures, retry schedule
// and batching (src/core/activation).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/activation/activation.h"
#include "core/common/error.h"

using namespace cdp::activation;
using json = nlohmann::json;

namespace {

Catalog catalog() {
    Catalog c;
    c.segments = {"vip", "churn risk"};
    c.purposes = {"email_marketing", "advertising"};
    c.id_types = {"email", "phone", "user_id"};
    c.computed = {"rfm_monetary", "rfm_frequency"};
    c.traits = {"first_name", "city"};
    return c;
}

// The error of parse_spec on `spec`: SQLSTATE and message.
std::pair<std::string, std::string> refusal(const std::string& spec) {
    try {
        parse_spec(spec, catalog());
    } catch (const cdp::Error& e) {
        return {e.sqlstate(), e.what()};
    }
    return {"", "accepted"};
}

}  // namespace

TEST(ActivationSpec, AcceptsTheDesignExample) {
    Spec s = parse_spec(
        R"({"segment":"vip","purpose":"email_marketing","fields":["email","first_name","computed.rfm_monetary"],)"
        R"("kind":"webhook","url":"https://hooks.example.org/cdp","secret":"s3cret","batch_size":250})",
        catalog());
    EXPECT_EQ(s.segment, "vip");
    EXPECT_EQ(s.purpose, "email_marketing");
    EXPECT_EQ(s.kind, Kind::kWebhook);
    EXPECT_EQ(s.batch_size, 250);
    ASSERT_EQ(s.fields.size(), 3u);
    json j = json::parse(spec_json(s));
    EXPECT_EQ(j["secret"], true);  // never the secret itself
    EXPECT_EQ(j["url"], "https://hooks.example.org/cdp");
}

TEST(ActivationSpec, Defaults) {
    Spec s = parse_spec(R"({"segment":"vip","purpose":"advertising"})", catalog());
    EXPECT_EQ(s.kind, Kind::kPull);
    EXPECT_EQ(s.batch_size, 500);
    EXPECT_TRUE(s.fields.empty());
}

TEST(ActivationSpec, RefusalsNameTheOffendingPart) {
    struct Case {
        const char* spec;
        const char* sqlstate;
        const char* needle;
    } cases[] = {
        {R"({"segment":"nope","purpose":"advertising"})", "42704", "$.segment: segment \"nope\""},
        {R"({"purpose":"advertising"})", "22023", "$.segment: missing"},
        {R"({"segment":"vip","purpose":"telepathy"})", "42704",
         "$.purpose: purpose \"telepathy\" is not in the consent catalogue"},
        {R"({"segment":"vip"})", "22023", "$.purpose: missing"},
        {R"({"segment":"vip","purpose":"advertising","fields":["email","shoe_size"]})", "42704",
         "$.fields[1]: unknown field \"shoe_size\""},
        {R"({"segment":"vip","purpose":"advertising","fields":["computed.nope"]})", "42704",
         "$.fields[0]: unknown computed trait \"nope\""},
        {R"({"segment":"vip","purpose":"advertising","fields":["traits.nope"]})", "42704",
         "$.fields[0]: unknown trait"},
        {R"({"segment":"vip","purpose":"advertising","fields":["email","email"]})", "22023",
         "$.fields[1]: field \"email\" listed twice"},
        {R"({"segment":"vip","purpose":"advertising","fields":"email"})", "22023",
         "$.fields: must be an array"},
        {R"({"segment":"vip","purpose":"advertising","fields":[1]})", "22023",
         "$.fields[0]: must be a string"},
        {R"({"segment":"vip","purpose":"advertising","kind":"webhook","secret":"x"})", "22023",
         "$.url: a webhook destination needs a url"},
        {R"({"segment":"vip","purpose":"advertising","kind":"webhook","url":"ftp://h/x","secret":"x"})",
         "22023", "$.url: scheme \"ftp\" is not http or https"},
        {R"j({"segment":"vip","purpose":"advertising","kind":"webhook","url":"javascript:alert(1)","secret":"x"})j",
         "22023", "$.url: not an absolute URL"},
        {R"({"segment":"vip","purpose":"advertising","kind":"webhook","url":"http:///x","secret":"x"})",
         "22023", "$.url: no host"},
        {R"({"segment":"vip","purpose":"advertising","kind":"webhook","url":"http://u:p@h/x","secret":"x"})",
         "22023", "$.url: credentials"},
        {R"({"segment":"vip","purpose":"advertising","kind":"webhook","url":"http://h/x"})", "22023",
         "$.secret: a webhook destination needs a secret"},
        {R"({"segment":"vip","purpose":"advertising","url":"http://h/x"})", "22023",
         "$.url: only a webhook destination"},
        {R"({"segment":"vip","purpose":"advertising","kind":"kafka"})", "22023",
         "$.kind: \"kafka\" is not pull or webhook"},
        {R"({"segment":"vip","purpose":"advertising","batch_size":0})", "22023",
         "$.batch_size: must be between 1 and 10000"},
        {R"({"segment":"vip","purpose":"advertising","batch_size":1.5})", "22023",
         "$.batch_size: must be an integer"},
        {R"({"segment":"vip","purpose":"advertising","colour":"red"})", "22023", "$.colour: unknown key"},
        {R"(["vip"])", "22023", "$: a spec must be a JSON object"},
        {R"({"segment":)", "22023", "$: not valid JSON"},
        {R"({"segment":"vip","purpose":"advertising","fields":["cdp_key"]})", "42704",
         "unknown field \"cdp_key\""},
    };
    for (const auto& c : cases) {
        auto [state, msg] = refusal(c.spec);
        EXPECT_EQ(state, c.sqlstate) << c.spec << " -> " << msg;
        EXPECT_NE(msg.find(c.needle), std::string::npos) << c.spec << " -> " << msg;
    }
}

TEST(ActivationSpec, CdpKeyIsReservedEvenWhenATrait) {
    Catalog c = catalog();
    c.traits.insert("cdp_key");
    try {
        parse_spec(R"({"segment":"vip","purpose":"advertising","fields":["cdp_key"]})", c);
        FAIL() << "accepted";
    } catch (const cdp::Error& e) {
        EXPECT_NE(std::string(e.what()).find("reserved"), std::string::npos);
    }
}

TEST(ActivationSpec, DeepOrHugeInputIsRefusedNotCrashed) {
    std::string deep(100000, '[');
    EXPECT_EQ(refusal(deep).first, "22023");
    std::string many = R"({"segment":"vip","purpose":"advertising","fields":[)";
    for (int i = 0; i < 51; ++i) many += std::string(i ? "," : "") + "\"email\"";
    many += "]}";
    EXPECT_NE(refusal(many).second.find("more than 50 fields"), std::string::npos);
}

TEST(ActivationProjection, OnlyListedFieldsAndQuotedNames) {
    Catalog c = catalog();
    c.traits.insert("it's");
    std::vector<Field> f = {resolve_field("email", c, "f"), resolve_field("traits.it's", c, "f"),
                            resolve_field("computed.rfm_monetary", c, "f")};
    EXPECT_EQ(f[0].kind, FieldKind::kIdentifier);
    EXPECT_EQ(f[1].kind, FieldKind::kTrait);
    EXPECT_EQ(f[1].key, "it's");
    EXPECT_EQ(f[2].kind, FieldKind::kComputed);
    std::string sql = projection_sql(f);
    EXPECT_EQ(sql.rfind("jsonb_build_object(", 0), 0u);
    EXPECT_NE(sql.find("'traits.it''s', p.traits -> 'it''s'"), std::string::npos) << sql;
    EXPECT_NE(sql.find("'computed.rfm_monetary', p.computed -> 'rfm_monetary'"), std::string::npos);
    EXPECT_NE(sql.find("i.id_type = 'email'"), std::string::npos);
    size_t quotes = 0;
    for (char ch : sql) quotes += ch == '\'';
    EXPECT_EQ(quotes % 2, 0u);
    EXPECT_EQ(projection_sql({}), "'{}'::jsonb");
}

TEST(ActivationSignature, Rfc4231Vectors) {
    // RFC 4231 test case 2.
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 1: key = 20 x 0x0b, data "Hi There".
    EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(ActivationBackoff, ExponentialCappedWithJitter) {
    EXPECT_EQ(backoff_ms(1, 1000, 60000, 0.999999), 1000);
    EXPECT_EQ(backoff_ms(1, 1000, 60000, 0.0), 500);
    EXPECT_EQ(backoff_ms(2, 1000, 60000, 0.999999), 2000);
    EXPECT_EQ(backoff_ms(4, 1000, 60000, 0.999999), 8000);
    EXPECT_EQ(backoff_ms(30, 1000, 60000, 0.999999), 60000);  // capped, no overflow
    EXPECT_EQ(backoff_ms(1000000, 1000, 60000, 0.0), 30000);
    for (int a = 1; a < 20; ++a)
        for (double u : {0.0, 0.3, 0.7, 0.99}) {
            int64_t d = backoff_ms(a, 250, 30000, u);
            EXPECT_GE(d, 125);
            EXPECT_LE(d, 30000);
            EXPECT_LE(backoff_ms(a, 250, 30000, 0.0), backoff_ms(a + 1, 250, 30000, 0.0));
        }
    EXPECT_EQ(backoff_ms(1, 1000, 60000, -5), 500);  // bad jitter clamps
}

TEST(ActivationBatches, CoverEverythingOnce) {
    for (int64_t n : {0, 1, 499, 500, 501, 1234})
        for (int b : {1, 7, 500}) {
            auto r = batch_bounds(n, b);
            int64_t next = 0;
            for (auto [lo, hi] : r) {
                EXPECT_EQ(lo, next);
                EXPECT_GT(hi, lo);
                EXPECT_LE(hi - lo, b);
                next = hi;
            }
            EXPECT_EQ(next, n);
        }
}
