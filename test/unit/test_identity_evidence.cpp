// merge_log evidence and function results (evidence.h): one JSON writer.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/identity/evidence.h"

using namespace cdp::identity;
using nlohmann::json;

namespace {
Rules rules() { return Rules({{"user_id", 1, 1, 0}, {"email", 2, 5, 0}}, 10); }
LinkEvent refused(Outcome o) {
    LinkEvent ev{};
    ev.outcome = o;
    ev.other = 3;
    ev.refused_count = 2;
    return ev;
}
}  // namespace

TEST(IdentityEvidence, RefusalReasonHasNoPrefix) {
    EXPECT_EQ(refusal_reason(Outcome::kRefusedBlocked), "blocked");
    EXPECT_EQ(refusal_reason(Outcome::kRefusedMaxPerCustomer), "max_per_customer");
    EXPECT_EQ(refusal_reason(Outcome::kRefusedMaxClusterRecords), "max_cluster_records");
    EXPECT_EQ(refusal_reason(Outcome::kRefusedMaxRecordsPerValue), "max_records_per_value");
}

TEST(IdentityEvidence, RefusedDetailPerPath) {
    Rules r = rules();
    LinkEvent ev = refused(Outcome::kRefusedMaxPerCustomer);
    ev.limited_type = r.find("user_id");
    ev.would_be = 2;
    ev.limit = 1;
    json inc = json::parse(refused_detail(ev, r, EvidencePath::kIncremental));
    EXPECT_EQ(
        inc,
        json::parse(R"({"reason":"max_per_customer","type":"user_id","would_be":2,"limit":1,"clusters":2})"));
    json bat = json::parse(refused_detail(ev, r, EvidencePath::kBatch));
    EXPECT_EQ(
        bat,
        json::parse(R"({"batch":true,"reason":"max_per_customer","type":"user_id","would_be":2,"limit":1})"));
    LinkEvent blocked = refused(Outcome::kRefusedBlocked);
    blocked.other = -1;  // no other cluster: none refused
    EXPECT_EQ(json::parse(refused_detail(blocked, r, EvidencePath::kIncremental)),
              json::parse(R"({"reason":"blocked","clusters":0})"));
}

TEST(IdentityEvidence, TextIsEscapedOnce) {
    json s = json::parse(split_detail("blocked email \"x\"\n", 3, 7));
    EXPECT_EQ(s["reason"], "blocked email \"x\"\n");
    EXPECT_EQ(s["records"], 3);
    EXPECT_EQ(s["kept"], 7);
    EXPECT_EQ(json::parse(dropped_detail("e\"mail"))["reason"],
              "the value does not normalise to a usable e\"mail");
    EXPECT_EQ(joined_detail(), R"({"joined":"record"})");
    EXPECT_EQ(blocked_detail({4, 5}, 1), R"({"customers":[4,5],"new_customers":1})");
}

TEST(IdentityEvidence, FunctionResults) {
    EXPECT_EQ(delete_result(std::nullopt, 0, {}), R"({"deleted":false})");
    EXPECT_EQ(delete_result(9, 0, {}),
              R"({"deleted":true,"record_id":9,"customer_id":null,"customers":[],"split":false})");
    EXPECT_EQ(delete_result(9, 4, {4, 6}),
              R"({"deleted":true,"record_id":9,"customer_id":4,"customers":[4,6],"split":true})");
    EXPECT_EQ(
        block_result("email", "a\\b", true, {1}, 0),
        R"({"id_type":"email","id_value":"a\\b","newly_blocked":true,"customers":[1],"new_customers":0})");
    json e = json::parse(explain_result(4, {{1, "web", "k1"}, {2, "crm", "k\"2"}}, {{"email", "a@x.it"}}));
    EXPECT_EQ(e["hops"], 1);
    ASSERT_EQ(e["chain"].size(), 3u);
    EXPECT_EQ(e["chain"][1]["id_value"], "a@x.it");
    EXPECT_EQ(e["chain"][2]["source_key"], "k\"2");
}

TEST(IdentityEvidence, ResolveSummary) {
    ResolveSummary s;
    s.records = 3;
    s.ms = 1.26;
    s.write_path = "rewrite";
    json j = json::parse(s.to_json());
    EXPECT_EQ(j["records"], 3);
    EXPECT_DOUBLE_EQ(j["ms"].get<double>(), 1.3);
    EXPECT_FALSE(j.contains("bulk_fallback"));
    EXPECT_FALSE(j["write_detail_ms"].contains("rewrite_copy"));
    s.bulk_fallback["merge_log"] = "cdp.merge_log has a rule";
    s.rewrite_copy_ms = 5;
    j = json::parse(s.to_json());
    EXPECT_EQ(j["bulk_fallback"]["merge_log"], "cdp.merge_log has a rule");
    EXPECT_EQ(j["write_detail_ms"]["rewrite_copy"], 5);
}
