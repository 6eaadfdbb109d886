// Identity resolution core: union-find semantics and limits (engine.h).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/common/error.h"
#include "core/identity/engine.h"
#include "core/identity/input.h"

using namespace cdp::identity;

namespace {

Rules seeded(int64_t max_cluster = 0) {
    return Rules({{"anonymous_id", 6, 100, 0},
                  {"email", 2, 5, 0},
                  {"user_id", 1, 1, 0},
                  {"phone", 3, 5, 0},
                  {"device_id", 5, 20, 0}},
                 max_cluster);
}

struct Replay {
    Rules rules;
    ValueTable values;
    Engine engine{rules, values};
    std::vector<int32_t> nodes;
    std::vector<LinkEvent> events;
    explicit Replay(Rules r) : rules(std::move(r)) {}
    int32_t add(int64_t rid, std::vector<std::pair<std::string, std::string>> ids) {
        std::vector<uint32_t> v;
        for (auto& [t, val] : ids) v.push_back(values.intern(rules.find(t), val));
        nodes.push_back(engine.process_record(rid, v, -1, &events));
        return nodes.back();
    }
    bool same(size_t a, size_t b) { return engine.find(nodes[a]) == engine.find(nodes[b]); }
};

}  // namespace

TEST(IdentityEngine, SharedValueLinksTransitively) {
    Replay r(seeded());
    r.add(1, {{"anonymous_id", "a1"}});
    r.add(2, {{"anonymous_id", "a1"}, {"email", "m@x.it"}});
    r.add(3, {{"email", "m@x.it"}, {"phone", "+39021"}});
    r.add(4, {{"phone", "+39021"}});
    r.add(5, {{"email", "other@x.it"}});
    EXPECT_TRUE(r.same(0, 3));
    EXPECT_FALSE(r.same(0, 4));
    EXPECT_EQ(r.engine.min_record(r.nodes[3]), 1);
    EXPECT_EQ(r.engine.record_count(r.nodes[0]), 4);
}

TEST(IdentityEngine, UserIdLimitRefusesSecondUser) {
    Replay r(seeded());
    r.add(1, {{"user_id", "U1"}, {"email", "fam@x.it"}});
    r.add(2, {{"user_id", "U2"}, {"email", "fam@x.it"}});
    EXPECT_FALSE(r.same(0, 1));
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].outcome, Outcome::kRefusedMaxPerCustomer);
    EXPECT_EQ(r.rules.type(r.events[0].limited_type).name, "user_id");
    EXPECT_EQ(r.events[0].would_be, 2);
}

TEST(IdentityEngine, HigherPriorityLinkWinsOverLowerPriority) {
    // Record 3 holds U1's email (priority 2) and U2's phone (priority 3): the
    // email link is processed first, so the phone link is the one refused.
    Replay r(seeded());
    r.add(1, {{"user_id", "U1"}, {"email", "a@x.it"}});
    r.add(2, {{"user_id", "U2"}, {"phone", "+3902"}});
    r.add(3, {{"phone", "+3902"}, {"email", "a@x.it"}});
    EXPECT_TRUE(r.same(0, 2));
    EXPECT_FALSE(r.same(1, 2));
    EXPECT_EQ(r.events.back().outcome, Outcome::kRefusedMaxPerCustomer);
    EXPECT_EQ(r.values.value_of(r.events.back().value), "+3902");
}

TEST(IdentityEngine, CandidatesMergeOldestFirst) {
    Replay r(seeded());
    r.add(1, {{"user_id", "U1"}, {"device_id", "d"}});
    r.add(2, {{"user_id", "U2"}});
    r.add(3, {{"user_id", "U2"}, {"device_id", "d"}});  // U2 links to 2, then refuses 1 (two user ids)
    EXPECT_TRUE(r.same(1, 2));
    EXPECT_FALSE(r.same(0, 2));
    r.add(4, {{"device_id", "d"}});  // candidates {1} and {2,3}: oldest (1) first
    EXPECT_TRUE(r.same(0, 3));
    EXPECT_FALSE(r.same(1, 3));
}

TEST(IdentityEngine, MaxRecordsPerValue) {
    Rules rules({{"device_id", 5, 0, 2}}, 0);
    Replay r(rules);
    r.add(1, {{"device_id", "kiosk"}});
    r.add(2, {{"device_id", "kiosk"}});
    r.add(3, {{"device_id", "kiosk"}});
    EXPECT_TRUE(r.same(0, 1));
    EXPECT_FALSE(r.same(0, 2));
    EXPECT_EQ(r.events.back().outcome, Outcome::kRefusedMaxRecordsPerValue);
    EXPECT_EQ(r.events.back().would_be, 3);
}

TEST(IdentityEngine, MaxClusterRecords) {
    Replay r(seeded(3));
    for (int i = 1; i <= 5; ++i) r.add(i, {{"device_id", "d"}});
    EXPECT_TRUE(r.same(0, 2));
    EXPECT_FALSE(r.same(0, 3));
    EXPECT_TRUE(r.same(3, 4));  // the refused records still link among themselves
    EXPECT_EQ(r.events.back().outcome, Outcome::kMerged);
}

TEST(IdentityEngine, BlockedValueNeverLinks) {
    Replay r(seeded());
    uint32_t b = r.values.intern(r.rules.find("email"), "test@test.com");
    r.values.block(b);
    r.add(1, {{"email", "test@test.com"}});
    r.add(2, {{"email", "test@test.com"}});
    EXPECT_FALSE(r.same(0, 1));
    EXPECT_EQ(r.events.back().outcome, Outcome::kRefusedBlocked);
}

TEST(IdentityEngine, PreloadedClustersKeepOlderId) {
    Rules rules = seeded();
    ValueTable values;
    Engine e(rules, values);
    int32_t c7 = e.add_cluster(7, 10, 2);
    int32_t c3 = e.add_cluster(3, 20, 1);
    uint32_t em = values.intern(rules.find("email"), "x@y.it");
    uint32_t ph = values.intern(rules.find("phone"), "+39");
    e.add_holders(em, c7, 2);
    e.add_holders(ph, c3, 1);
    std::vector<LinkEvent> ev;
    int32_t n = e.process_record(30, {ph, em}, -1, &ev);
    EXPECT_EQ(e.ext(n), 3);
    EXPECT_EQ(e.record_count(n), 4);
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].cluster_ext, 0);  // the new record joins the email customer first
    EXPECT_EQ(ev[0].other_ext, 7);
    EXPECT_EQ(ev[1].cluster_ext, 7);
    EXPECT_EQ(ev[1].other_ext, 3);
}

TEST(IdentityEngine, ShortestChain) {
    std::vector<std::vector<uint32_t>> recs{{1}, {1, 2}, {2, 3}, {3}, {9}};
    auto chain = shortest_chain(recs, 0, 3);
    ASSERT_EQ(chain.size(), 4u);
    EXPECT_EQ(chain[0].record, 0);
    EXPECT_EQ(chain[1].via, 1);
    EXPECT_EQ(chain[3].record, 3);
    EXPECT_EQ(chain[3].via, 3);
    EXPECT_TRUE(shortest_chain(recs, 0, 4).empty());
}

TEST(IdentityInput, ParsesStringsAndArrays) {
    auto ids = parse_identifiers(R"({"email":"a@b.it","phone":["1","2"],"x":null})");
    ASSERT_EQ(ids.size(), 3u);
    EXPECT_EQ(ids[1].first, "phone");
    EXPECT_EQ(ids[2].second, "2");
}

TEST(IdentityInput, ValueLengthCapped) {
    EXPECT_NO_THROW(parse_identifiers("{\"x\":\"" + std::string(1024, 'a') + "\"}"));
    EXPECT_THROW(parse_identifiers("{\"x\":\"" + std::string(1025, 'a') + "\"}"), cdp::Error);
}

TEST(IdentityInput, RecordKeyLimits) {
    using cdp::identity::check_record_key;
    EXPECT_NO_THROW(check_record_key(std::string(200, 's'), std::string(1024, 'k')));
    EXPECT_NO_THROW(check_record_key("\u00e9" + std::string(199, 's'), "k"));  // characters, not bytes
    EXPECT_THROW(check_record_key("", "k"), cdp::Error);
    EXPECT_THROW(check_record_key(std::string(201, 's'), "k"), cdp::Error);
    EXPECT_THROW(check_record_key("s", ""), cdp::Error);
    EXPECT_THROW(check_record_key("s", std::string(1025, 'k')), cdp::Error);
}

TEST(IdentityInput, RejectsNonStrings) {
    EXPECT_THROW(parse_identifiers(R"({"email":1})"), cdp::Error);
    EXPECT_THROW(parse_identifiers(R"({"email":true})"), cdp::Error);
    EXPECT_THROW(parse_identifiers(R"({"email":1.5})"), cdp::Error);
    EXPECT_THROW(parse_identifiers(R"({"email":{"a":"b"}})"), cdp::Error);
    EXPECT_THROW(parse_identifiers(R"([1])"), cdp::Error);
    EXPECT_THROW(parse_identifiers("null"), cdp::Error);
    EXPECT_THROW(parse_identifiers(std::string(1000, '[') + std::string(1000, ']')), cdp::Error);
}

// The bulk loader interns with a hash computed beforehand (and prefetches its
// slot): same ids as the plain path, across table growth, and distinct types
// keep equal strings apart.
TEST(IdentityValueTable, InternWithPrecomputedHashMatchesPlainIntern) {
    ValueTable a, b;
    for (int i = 0; i < 42000; ++i) {  // each (type, value) twice: i and i + 21000
        std::string v = "v" + std::to_string(i % 7000);
        int type = i % 3;
        uint64_t h = ValueTable::hash(type, v);
        b.prefetch(h);
        ASSERT_EQ(a.intern(type, v), b.intern(type, v, h)) << i;
    }
    EXPECT_EQ(a.size(), b.size());
    EXPECT_EQ(a.size(), 3u * 7000u);
    EXPECT_NE(b.lookup(0, "v1"), b.lookup(1, "v1"));
    EXPECT_EQ(b.lookup(2, "v7000"), -1);
}
