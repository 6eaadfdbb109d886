// Segment DSL compiler (src/core/segment): parsing, validation errors with
// JSON paths, SQL generation with every user value as a parameter.
#include <gtest/gtest.h>

#include <string>

#include "core/common/error.h"
#include "core/segment/dsl.h"

namespace seg = cdp::segment;

namespace {

std::string error_of(const std::string& def) {
    try {
        seg::compile(def);
    } catch (const cdp::Error& e) {
        EXPECT_STREQ(e.sqlstate(), "22023");
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Segment, CompilesEveryConditionKind) {
    const char* defs[] = {
        R"({"trait":"country","op":"eq","value":"IT"})",
        R"({"computed":"rfm_monetary","op":"gte","value":500})",
        R"({"event":"Order Completed","within":"30 days","count":{"gte":2},"where":[{"property":"revenue","op":"gt","value":50}]})",
        R"({"consent":"email_marketing"})",
        R"({"consent":"email_marketing","granted":false})",
        R"({"segment":"vip"})",
        R"({"identifier":"email","op":"exists"})",
        R"({"identifier":"email","op":"ends_with_not_an_op_placeholder"})",
    };
    for (int i = 0; i < 7; ++i) {
        seg::Compiled c = seg::compile(defs[i]);
        EXPECT_NE(c.sql.find("SELECT p.customer_id FROM cdp.profiles p"), std::string::npos) << defs[i];
        EXPECT_NE(c.subset_sql.find("$3::int8[]"), std::string::npos);
    }
    EXPECT_NE(error_of(defs[7]), "");
}

TEST(Segment, Combinators) {
    auto c = seg::compile(
        R"({"all":[{"trait":"city","op":"in","value":["Milan","Turin"]},{"any":[{"consent":"email"},{"not":{"segment":"churned"}}]}]})");
    EXPECT_EQ(c.segments, std::vector<std::string>({"churned"}));
    EXPECT_NE(c.sql.find(" AND "), std::string::npos);
    EXPECT_NE(c.sql.find(" OR "), std::string::npos);
    EXPECT_NE(c.sql.find("NOT "), std::string::npos);
    EXPECT_TRUE(c.incremental);
}

TEST(Segment, UserValuesNeverInSqlText) {
    const std::string hostile = "x'; DROP TABLE cdp.customers; -- $1 \\\\ \\\" \u00e9\u4e2d";
    std::string esc;  // JSON-escaped
    for (char ch : hostile) {
        if (ch == '"' || ch == '\\') esc += '\\';
        esc += ch;
    }
    std::string def = "{\"all\":[{\"trait\":\"" + esc + "\",\"op\":\"eq\",\"value\":\"" + esc +
                      "\"},{\"event\":\"" + esc + "\",\"where\":[{\"property\":[\"" + esc +
                      "\"],\"op\":\"contains\",\"value\":\"" + esc + "\"}]},{\"segment\":\"" + esc +
                      "\"},{\"consent\":\"" + esc + "\"},{\"identifier\":\"" + esc +
                      "\",\"op\":\"starts_with\",\"value\":\"" + esc + "\"}]}";
    auto c = seg::compile(def);
    EXPECT_EQ(c.sql.find("DROP"), std::string::npos);
    EXPECT_EQ(c.subset_sql.find("DROP"), std::string::npos);
    size_t n = 0;
    for (const auto& p : c.params) n += p == hostile;
    EXPECT_GE(n, 7u);
    // The readable form quotes: every quote inside a literal is doubled.
    EXPECT_NE(c.readable.find("E'x''; DROP TABLE cdp.customers; -- $1 \\\\\\\\"), std::string::npos)
        << c.readable;
}

TEST(Segment, ErrorsNameThePath) {
    EXPECT_NE(error_of(R"({"all":[{"trait":"a","op":"eq","value":1},{"trait":"b","op":"equals","value":1}]})")
                  .find("$.all[1].op: unknown op \"equals\""),
              std::string::npos);
    EXPECT_NE(error_of(R"({"event":"x","where":[{"property":"a.b","op":"gt"}]})")
                  .find("$.where[0]: \"value\" is missing"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"trait":"a","op":"eq","value":"x","foo":1})").find("$.foo: unknown key"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"event":"x","within":"30 parsecs"})").find("$.within: unknown unit"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"event":"x","count":{"gte":-1}})").find("$.count.gte: expected a whole number"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"trait":"a","op":"between","value":[1,"x"]})").find("$.value: low and high"),
              std::string::npos);
    EXPECT_NE(
        error_of(R"({"trait":"a","op":"in","value":[]})").find("$.value: op in expects a non-empty array"),
        std::string::npos);
    EXPECT_NE(error_of(R"({"trait":"a","op":"gt","value":"now-3 fortnights"})").find("bad relative date"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"trait":"a","op":"eq","value":null})").find("$.value: expected a number"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"any":[]})").find("$.any: expected a non-empty array"), std::string::npos);
    EXPECT_NE(error_of(R"({"trait":"a","segment":"b"})").find("both"), std::string::npos);
    EXPECT_NE(error_of(R"([1])").find("$: expected a condition"), std::string::npos);
    EXPECT_NE(error_of(R"({"all":[)").find("not valid JSON"), std::string::npos);
    EXPECT_NE(error_of(R"({"trait":"a","op":"exists","value":1})").find("takes no value"), std::string::npos);
    EXPECT_NE(error_of(R"({"trait":"a","op":"gt","value":true})").find("does not compare booleans"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"trait":"a","op":"eq","value":"x","ci":"yes"})").find("$.ci"), std::string::npos);
    EXPECT_NE(error_of(R"({"trait":"a","op":"eq","value":"x","type":"number"})").find("expected a number"),
              std::string::npos);
    EXPECT_NE(
        error_of(R"({"event":"x","where":[{"property":"a..b","op":"exists"}]})").find("$.where[0].property"),
        std::string::npos);
}

TEST(Segment, DepthLimitNeverRecursesDeep) {
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "{\"not\":";
    deep += "{\"segment\":\"a\"}";
    for (int i = 0; i < 100000; ++i) deep += "}";
    EXPECT_NE(error_of(deep).find("nested deeper than 32"), std::string::npos);
    std::string ok;
    for (int i = 0; i < 10; ++i) ok += "{\"not\":";
    ok += "{\"segment\":\"a\"}";
    for (int i = 0; i < 10; ++i) ok += "}";
    EXPECT_NO_THROW(seg::compile(ok));
}

TEST(Segment, DatesAndRelativeDates) {
    auto c = seg::compile(R"({"trait":"signup","op":"gt","value":"2024-05-01"})");
    ASSERT_EQ(c.params.size(), 2u);
    EXPECT_EQ(c.params[1], "2024-05-01T00:00:00.000000Z");
    EXPECT_NE(c.sql.find("cdp._segment_time("), std::string::npos);
    EXPECT_TRUE(c.incremental);
    auto r = seg::compile(R"({"trait":"signup","op":"gt","value":"now-30 days"})");
    EXPECT_NE(r.sql.find("make_interval(months => 0, secs => -2592000)"), std::string::npos);
    EXPECT_FALSE(r.incremental);
    auto m = seg::compile(R"({"trait":"signup","op":"between","value":["now-1 year","now+2 months"]})");
    EXPECT_NE(m.sql.find("months => -12"), std::string::npos);
    EXPECT_NE(m.sql.find("months => 2"), std::string::npos);
    auto s = seg::compile(R"({"trait":"code","op":"eq","value":"2024-05-01","type":"string"})");
    EXPECT_EQ(s.sql.find("_segment_time"), std::string::npos);
    EXPECT_EQ(seg::iso_utc(0), "1970-01-01T00:00:00.000000Z");
    EXPECT_EQ(seg::iso_utc(-1), "1969-12-31T23:59:59.999999Z");
    EXPECT_EQ(seg::iso_utc(951782400LL * 1000000), "2000-02-29T00:00:00.000000Z");
}

TEST(Segment, EventCountsAndWindows) {
    auto c = seg::compile(
        R"({"all":[{"event":"A","within":"7 days"},{"event":["B","C"],"within":"2 weeks","count":{"eq":0}},{"event":"A","within":"1 week","count":{"between":[1,3]}}]})");
    EXPECT_EQ(c.windows, std::vector<int64_t>({604800, 1209600}));
    // count 0 satisfies eq 0: the NOT IN form.
    EXPECT_NE(c.sql.find("NOT (p.customer_id IN (SELECT r.customer_id"), std::string::npos);
    EXPECT_NE(c.sql.find("count(*) BETWEEN 1 AND 3"), std::string::npos);
    EXPECT_TRUE(c.incremental);
    auto p = seg::compile(
        R"({"event":"A","where":[{"property":"products.0.sku","op":"eq","value":"X"},{"property":"context.page.url","op":"starts_with","value":"https"}]})");
    EXPECT_NE(p.sql.find("e.properties #>> ARRAY["), std::string::npos);
    EXPECT_NE(p.sql.find("e.context #>> ARRAY["), std::string::npos);
    EXPECT_EQ(p.params, std::vector<std::string>({"A", "products", "0", "sku", "X", "page", "url", "https"}));
}

TEST(Segment, CaseInsensitiveAndTypes) {
    auto ci = seg::compile(R"({"trait":"city","op":"eq","value":"Milan","ci":true})");
    EXPECT_NE(ci.sql.find("lower("), std::string::npos);
    auto cs = seg::compile(R"({"trait":"city","op":"lt","value":"M"})");
    EXPECT_NE(cs.sql.find("COLLATE \"C\""), std::string::npos);
    auto b = seg::compile(R"({"trait":"vip","op":"eq","value":true})");
    EXPECT_NE(b.sql.find("::boolean"), std::string::npos);
    auto n = seg::compile(R"({"trait":"age","op":"between","value":[18, 30.5]})");
    EXPECT_NE(n.sql.find("::numeric"), std::string::npos);
}

TEST(Segment, CompiledJson) {
    auto c = seg::compile(R"({"segment":"a'b"})");
    std::string j = seg::compiled_json(c);
    EXPECT_NE(j.find("\"segments\":[\"a'b\"]"), std::string::npos);
    EXPECT_NE(j.find("\"incremental\":true"), std::string::npos);
    EXPECT_EQ(seg::quote_literal("a'b\\c"), "E'a''b\\\\c'");
}
