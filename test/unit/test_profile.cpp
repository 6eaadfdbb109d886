// Survivorship rules, computed-trait definitions and RFM scores
// (src/core/profile).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "core/common/error.h"
#include "core/profile/computed.h"
#include "core/profile/rfm.h"
#include "core/profile/survivorship.h"

using namespace cdp::profile;
using json = nlohmann::json;

namespace {

RecordInput rec(int64_t id, int32_t prio, int64_t first, int64_t last, const char* traits) {
    RecordInput r;
    r.record_id = id;
    r.source_priority = prio;
    r.first_at = first;
    r.last_at = last;
    r.traits_json = traits;
    return r;
}

json traits_of(const std::vector<RecordInput>& recs, const RuleMap& rules) {
    return json::parse(build_profile(recs, rules, "").traits_json);
}

}  // namespace

TEST(ProfileRules, ParseNames) {
    for (const char* n :
         {"most_recent", "source_priority", "most_frequent", "first_seen", "max", "min", "union"}) {
        auto r = parse_rule(n);
        ASSERT_TRUE(r.has_value()) << n;
        EXPECT_STREQ(rule_name(*r), n);
    }
    EXPECT_FALSE(parse_rule("latest").has_value());
    EXPECT_FALSE(parse_rule("").has_value());
}

TEST(ProfileRules, MostRecentByTimeNotRecordOrder) {
    // record 2 is newer by id but older by time: record 1's value wins.
    std::vector<RecordInput> recs{rec(1, 100, 0, 200, R"({"city":"Roma"})"),
                                  rec(2, 100, 0, 100, R"({"city":"Milano"})")};
    EXPECT_EQ(traits_of(recs, {})["city"], "Roma");
    // Equal times: the later record wins.
    recs[1].last_at = 200;
    EXPECT_EQ(traits_of(recs, {})["city"], "Milano");
}

TEST(ProfileRules, NullMeansAbsent) {
    std::vector<RecordInput> recs{rec(1, 100, 0, 100, R"({"city":"Roma"})"),
                                  rec(2, 100, 0, 200, R"({"city":null})")};
    EXPECT_EQ(traits_of(recs, {})["city"], "Roma");
    recs[0].traits_json = R"({"city":null})";
    EXPECT_FALSE(traits_of(recs, {}).contains("city"));
}

TEST(ProfileRules, SourcePriorityThenRecency) {
    RuleMap rules{{"email", Rule::kSourcePriority}};
    std::vector<RecordInput> recs{rec(1, 5, 0, 100, R"({"email":"crm@x.it"})"),
                                  rec(2, 50, 0, 300, R"({"email":"web@x.it"})"),
                                  rec(3, 5, 0, 200, R"({"email":"crm2@x.it"})")};
    EXPECT_EQ(traits_of(recs, rules)["email"], "crm2@x.it");
}

TEST(ProfileRules, MostFrequentTiesByRecency) {
    RuleMap rules{{"gender", Rule::kMostFrequent}};
    std::vector<RecordInput> recs{rec(1, 1, 0, 100, R"({"gender":"f"})"),
                                  rec(2, 1, 0, 200, R"({"gender":"m"})"),
                                  rec(3, 1, 0, 50, R"({"gender":"f"})")};
    EXPECT_EQ(traits_of(recs, rules)["gender"], "f");
    recs[2].traits_json = R"({"gender":"x"})";  // 1:1:1 -> most recent
    EXPECT_EQ(traits_of(recs, rules)["gender"], "m");
}

TEST(ProfileRules, FirstSeen) {
    RuleMap rules{{"signup", Rule::kFirstSeen}};
    std::vector<RecordInput> recs{rec(1, 1, 300, 300, R"({"signup":"c"})"),
                                  rec(2, 1, 100, 400, R"({"signup":"a"})"),
                                  rec(3, 1, 100, 500, R"({"signup":"b"})")};
    EXPECT_EQ(traits_of(recs, rules)["signup"], "a");  // tie on first_at: smaller record id
}

TEST(ProfileRules, MaxMinJsonbOrderAndTypesKept) {
    RuleMap rules{{"ltv", Rule::kMax}, {"age", Rule::kMin}, {"tag", Rule::kMax}};
    std::vector<RecordInput> recs{rec(1, 1, 0, 1, R"({"ltv":9.5,"age":40,"tag":"b"})"),
                                  rec(2, 1, 0, 2, R"({"ltv":10,"age":"39","tag":"a"})"),
                                  rec(3, 1, 0, 3, R"({"ltv":2,"age":41,"tag":true})")};
    json t = traits_of(recs, rules);
    EXPECT_EQ(t["ltv"], 10);
    EXPECT_TRUE(t["ltv"].is_number());
    EXPECT_EQ(t["age"], "39");  // string < number in jsonb order
    EXPECT_EQ(t["tag"], true);  // boolean > string
    EXPECT_LT(compare_json_text("\"z\"", "1"), 0);
    EXPECT_LT(compare_json_text("[9]", "[1,2]"), 0);  // shorter array first
    EXPECT_EQ(compare_json_text("1.0", "1"), 0);
    EXPECT_LT(compare_json_text("null", "\"\""), 0);
    EXPECT_LT(compare_json_text("{\"b\":1}", "{\"aa\":1}"), 0);  // shorter key first
}

TEST(ProfileRules, UnionDeduplicatesOldestFirst) {
    RuleMap rules{{"interests", Rule::kUnion}};
    std::vector<RecordInput> recs{rec(1, 1, 0, 200, R"({"interests":["ski","wine"]})"),
                                  rec(2, 1, 0, 100, R"({"interests":["wine","jazz"]})"),
                                  rec(3, 1, 0, 300, R"({"interests":"ski"})")};
    EXPECT_EQ(traits_of(recs, rules)["interests"], json::parse(R"(["wine","jazz","ski"])"));
}

TEST(ProfileRules, ChangesAgainstOldProfile) {
    std::vector<RecordInput> recs{rec(1, 1, 0, 1, R"({"a":1,"b":"x","c":[1]})")};
    auto r = build_profile(recs, {}, R"({"a":1.0,"b":"y","d":true})");
    ASSERT_EQ(r.changes.size(), 3u);  // b changed, c added, d removed; a equal
    EXPECT_EQ(r.changes[0].trait, "b");
    EXPECT_EQ(*r.changes[0].old_json, "\"y\"");
    EXPECT_EQ(*r.changes[0].new_json, "\"x\"");
    EXPECT_EQ(r.changes[1].trait, "c");
    EXPECT_FALSE(r.changes[1].old_json.has_value());
    EXPECT_EQ(r.changes[2].trait, "d");
    EXPECT_FALSE(r.changes[2].new_json.has_value());
    EXPECT_TRUE(build_profile(recs, {}, r.traits_json).changes.empty());
}

TEST(ProfileRules, BadRecordTraitsIgnored) {
    std::string deep(10000, '[');
    std::vector<RecordInput> recs{rec(1, 1, 0, 1, "[1,2]"), rec(2, 1, 0, 2, "not json"),
                                  rec(3, 1, 0, 3, deep.c_str()), rec(4, 1, 0, 4, R"({"ok":1})")};
    EXPECT_EQ(traits_of(recs, {}), json::parse(R"({"ok":1})"));
}

// Property: the result does not depend on the order the records come in, and
// most_recent equals a brute-force pick.
TEST(ProfileRules, OrderIndependentRandom) {
    std::mt19937 rng(42);
    const Rule all[] = {
        Rule::kMostRecent, Rule::kSourcePriority, Rule::kMostFrequent, Rule::kFirstSeen, Rule::kMax,
        Rule::kMin,        Rule::kUnion};
    for (int iter = 0; iter < 300; ++iter) {
        RuleMap rules;
        for (int t = 0; t < 4; ++t) rules["t" + std::to_string(t)] = all[rng() % 7];
        std::vector<RecordInput> recs;
        int n = 1 + rng() % 6;
        for (int i = 0; i < n; ++i) {
            json tr = json::object();
            for (int t = 0; t < 4; ++t)
                if (rng() % 3) tr["t" + std::to_string(t)] = static_cast<int>(rng() % 4);
            recs.push_back(rec(i + 1, 1 + rng() % 3, rng() % 5, rng() % 5, tr.dump().c_str()));
        }
        json a = traits_of(recs, rules);
        std::shuffle(recs.begin(), recs.end(), rng);
        json b = traits_of(recs, rules);
        ASSERT_EQ(a, b);
        // brute force most_recent for t0 when its rule is most_recent
        if (rules["t0"] == Rule::kMostRecent) {
            const RecordInput* best = nullptr;
            json bv;
            for (const auto& r : recs) {
                json tr = json::parse(r.traits_json);
                if (!tr.contains("t0")) continue;
                if (!best || r.last_at > best->last_at ||
                    (r.last_at == best->last_at && r.record_id > best->record_id)) {
                    best = &r;
                    bv = tr["t0"];
                }
            }
            if (best)
                EXPECT_EQ(a["t0"], bv);
            else
                EXPECT_FALSE(a.contains("t0"));
        }
    }
}

namespace {
std::string err_of(const char* def) {
    try {
        compile_computed_trait("t", def);
    } catch (const cdp::Error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST(ComputedTraits, Compiles) {
    auto t = compile_computed_trait(
        "spend_90d", R"({"aggregate":"sum","event":"Order Completed","property":"revenue","within":"90 days",
                      "where":[{"property":"currency","op":"eq","value":"EUR"}]})");
    EXPECT_EQ(t.within_seconds, 90 * 86400);
    EXPECT_NE(t.sql.find("sum("), std::string::npos);
    EXPECT_NE(t.sql.find("{now} - interval '7776000 seconds'"), std::string::npos);
    EXPECT_NE(t.sql.find("'\"EUR\"'::jsonb"), std::string::npos);
    auto c = compile_computed_trait("n", R"({"aggregate":"count"})");
    EXPECT_EQ(c.within_seconds, 0);
    auto d = compile_computed_trait("d", R"({"aggregate":"days_since","trait":"rfm_last_order_at"})");
    EXPECT_EQ(d.source_trait, "rfm_last_order_at");
    for (const auto& b : builtin_computed_traits())
        EXPECT_NO_THROW(compile_computed_trait(b.name, b.definition));
}

TEST(ComputedTraits, ErrorsNameThePath) {
    EXPECT_NE(err_of(R"({"aggregate":"sum"})").find("$: aggregate sum needs"), std::string::npos);
    EXPECT_NE(err_of(R"({"aggregate":"median"})").find("$.aggregate"), std::string::npos);
    EXPECT_NE(err_of(R"({"aggregate":"count","bogus":1})").find("$.bogus"), std::string::npos);
    EXPECT_NE(err_of(R"({"aggregate":"count","within":"3 months"})").find("$.within"), std::string::npos);
    EXPECT_NE(err_of(R"({"aggregate":"count","within":"0 days"})").find("$.within"), std::string::npos);
    EXPECT_NE(
        err_of(
            R"({"aggregate":"count","where":[{"property":"a","op":"eq","value":1},{"property":"a","op":"like","value":1}]})")
            .find("$.where[1].op"),
        std::string::npos);
    EXPECT_NE(err_of(R"({"aggregate":"count","where":[{"property":"a..b","op":"exists"}]})")
                  .find("$.where[0].property"),
              std::string::npos);
    EXPECT_NE(err_of(R"({"aggregate":"count","event":[1]})").find("$.event[0]"), std::string::npos);
    EXPECT_NE(err_of(R"({"aggregate":"count","where":[{"property":"a","op":"between","value":[1,"z"]}]})")
                  .find("$.where[0].value"),
              std::string::npos);
    EXPECT_NE(err_of("[1]").find("$: a definition must be a JSON object"), std::string::npos);
    EXPECT_NE(err_of("{").find("not valid JSON"), std::string::npos);
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    EXPECT_NE(err_of(deep.c_str()).find("deeper than 32"), std::string::npos);
    EXPECT_THROW(compile_computed_trait("Bad Name", R"({"aggregate":"count"})"), cdp::Error);
}

TEST(ComputedTraits, NoInjection) {
    auto t = compile_computed_trait(
        "x",
        R"({"aggregate":"count","event":"a'); DROP TABLE x; --","where":[{"property":"p'q","op":"eq","value":"v'w"}]})");
    // Every quote inside a literal is doubled.
    EXPECT_NE(t.sql.find("'a''); DROP TABLE x; --'"), std::string::npos);
    EXPECT_NE(t.sql.find("'p''q'"), std::string::npos);
    EXPECT_NE(t.sql.find("'\"v''w\"'::jsonb"), std::string::npos);
}

TEST(Rfm, Scores) {
    std::array<double, 4> cuts{1, 2, 3, 4};
    EXPECT_EQ(rfm_score_higher_better(1, cuts), 1);
    EXPECT_EQ(rfm_score_higher_better(1.5, cuts), 2);
    EXPECT_EQ(rfm_score_higher_better(9, cuts), 5);
    EXPECT_EQ(rfm_score_lower_better(0, cuts), 5);
    EXPECT_EQ(rfm_score_lower_better(9, cuts), 1);
    EXPECT_STREQ(rfm_segment(5, 5), "Champions");
    EXPECT_STREQ(rfm_segment(1, 1), "Lost");
    EXPECT_STREQ(rfm_segment(1, 5), "Can't Lose Them");
    EXPECT_STREQ(rfm_segment(0, 3), "");
    // Every cell named, 11 distinct names.
    std::set<std::string> names;
    for (int r = 1; r <= 5; ++r)
        for (int f = 1; f <= 5; ++f) names.insert(rfm_segment(r, f));
    EXPECT_EQ(names.size(), 11u);
}
