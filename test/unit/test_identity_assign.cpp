// Glue decisions moved into the identity core (assign.h): customer ids after
// a batch replay, cluster numbering, the identifier diff of a re-upsert.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "core/identity/assign.h"

using namespace cdp::identity;

namespace {

// Brute force: clusters in order, each takes the smallest of its records'
// old ids not yet taken.
std::vector<int64_t> reference_kept(const std::vector<int32_t>& cluster_of, int32_t clusters,
                                    const std::vector<int64_t>& old_id) {
    std::vector<int64_t> kept(static_cast<size_t>(clusters), 0);
    std::set<int64_t> used;
    for (int32_t c = 0; c < clusters; ++c) {
        std::set<int64_t> mine;
        for (size_t i = 0; i < cluster_of.size(); ++i)
            if (cluster_of[i] == c && old_id[i] != 0 && !used.count(old_id[i])) mine.insert(old_id[i]);
        if (!mine.empty()) {
            kept[c] = *mine.begin();
            used.insert(kept[c]);
        }
    }
    return kept;
}

}  // namespace

TEST(IdentityAssign, KeepsOldestIdsAndAliasesTheRest) {
    // records 0,1 -> cluster 0 (old ids 5, 3); record 2 -> cluster 1 (old 3, taken)
    std::vector<int32_t> cluster_of{0, 0, 1};
    std::vector<int64_t> old_id{5, 3, 3};
    CustomerIds ids(cluster_of, 2, old_id);
    EXPECT_EQ(ids.of_cluster(0), 3);
    EXPECT_EQ(ids.fresh_needed(), 1);
    ids.assign_fresh({10});
    EXPECT_EQ(ids.of_cluster(1), 10);
    EXPECT_EQ(ids.new_ids(), (std::vector<int64_t>{10}));
    // 5 disappears: alias to the cluster of its oldest record (record 0).
    EXPECT_EQ(ids.gone(), (std::vector<std::pair<int64_t, int64_t>>{{5, 3}}));
}

TEST(IdentityAssign, FreshIdsGoInClusterOrder) {
    std::vector<int32_t> cluster_of{0, 1, 2, 3};
    std::vector<int64_t> old_id{0, 7, 0, 0};
    CustomerIds ids(cluster_of, 4, old_id);
    ASSERT_EQ(ids.fresh_needed(), 3);
    ids.assign_fresh({30, 10, 20});  // any order in, smallest to the oldest cluster
    EXPECT_EQ(ids.of_cluster(0), 10);
    EXPECT_EQ(ids.of_cluster(1), 7);
    EXPECT_EQ(ids.of_cluster(2), 20);
    EXPECT_EQ(ids.of_cluster(3), 30);
    EXPECT_EQ(ids.new_ids(), (std::vector<int64_t>{10, 20, 30}));
    EXPECT_TRUE(ids.gone().empty());
}

TEST(IdentityAssign, MatchesBruteForceOnRandomGraphs) {
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
        const int n = 1 + static_cast<int>(rng() % 40);
        const int32_t clusters = 1 + static_cast<int32_t>(rng() % static_cast<unsigned>(n));
        std::vector<int32_t> cluster_of(n);
        std::vector<int64_t> old_id(n);
        // clusters numbered by first appearance, as number_clusters() does
        int32_t seen = 0;
        for (int i = 0; i < n; ++i) {
            int32_t c = static_cast<int32_t>(rng() % static_cast<unsigned>(clusters));
            if (c >= seen) c = seen++;
            cluster_of[i] = c;
            old_id[i] = rng() % 3 == 0 ? 0 : 1 + static_cast<int64_t>(rng() % 12);
        }
        CustomerIds ids(cluster_of, seen, old_id);
        const auto kept = reference_kept(cluster_of, seen, old_id);
        int64_t fresh = 0;
        for (int32_t c = 0; c < seen; ++c) {
            if (kept[c] != 0) {
                EXPECT_EQ(ids.of_cluster(c), kept[c]);
            } else {
                EXPECT_EQ(ids.of_cluster(c), 0);
                ++fresh;
            }
        }
        ASSERT_EQ(ids.fresh_needed(), fresh);
        std::vector<int64_t> f;
        for (int64_t k = 0; k < fresh; ++k) f.push_back(1000 + k);
        ids.assign_fresh(f);
        std::set<int64_t> distinct;
        for (int32_t c = 0; c < seen; ++c) distinct.insert(ids.of_cluster(c));
        EXPECT_EQ(static_cast<int32_t>(distinct.size()), seen);
        EXPECT_EQ(static_cast<int64_t>(ids.new_ids().size()), fresh);
        // every old id is kept by exactly one cluster or aliased to the
        // cluster of its first record
        std::set<int64_t> kept_set(kept.begin(), kept.end());
        const auto gone_list = ids.gone();
        std::map<int64_t, int64_t> gone(gone_list.begin(), gone_list.end());
        for (int i = 0; i < n; ++i) {
            if (old_id[i] == 0) continue;
            if (kept_set.count(old_id[i])) {
                EXPECT_FALSE(gone.count(old_id[i]));
                continue;
            }
            int first = 0;
            while (old_id[first] != old_id[i]) ++first;
            EXPECT_EQ(gone.at(old_id[i]), ids.of_cluster(cluster_of[first]));
        }
    }
}

TEST(IdentityAssign, ClustersNumberedByFirstRecord) {
    Rules rules({{"email", 1, 0, 0}}, 0);
    ValueTable values;
    Engine e(rules, values);
    const uint32_t a = values.intern(0, "a"), b = values.intern(0, "b");
    std::vector<int32_t> node;
    node.push_back(e.process_record(1, {b}));
    node.push_back(e.process_record(2, {a}));
    node.push_back(e.process_record(3, {b}));
    node.push_back(e.process_record(4, {a, b}));  // joins both
    node.push_back(e.process_record(5, {values.intern(0, "c")}));
    Clusters c = number_clusters(e, node);
    EXPECT_EQ(c.count, 2);
    EXPECT_EQ(c.cluster_of, (std::vector<int32_t>{0, 0, 0, 0, 1}));
    EXPECT_EQ(c.of_node(e, node[1]), 0);
}

TEST(IdentityAssign, IdentifierDiff) {
    std::vector<Identifier> before{{"email", "a@x.it"}, {"phone", "+39"}};
    std::vector<Identifier> given{{"email", "a@x.it"}, {"user_id", "u1"}};
    auto r = diff_identifiers(before, given, true);
    EXPECT_EQ(r.final_ids, given);
    EXPECT_EQ(r.removed, (std::vector<Identifier>{{"phone", "+39"}}));
    EXPECT_EQ(r.added, (std::vector<Identifier>{{"user_id", "u1"}}));
    auto a = diff_identifiers(before, given, false);  // add only
    EXPECT_EQ(a.final_ids,
              (std::vector<Identifier>{{"email", "a@x.it"}, {"phone", "+39"}, {"user_id", "u1"}}));
    EXPECT_TRUE(a.removed.empty());
    EXPECT_EQ(a.added, (std::vector<Identifier>{{"user_id", "u1"}}));
    auto fresh = diff_identifiers({}, given, true);  // a new record
    EXPECT_EQ(fresh.added, given);
    std::vector<Identifier> dup{{"phone", "2"}, {"email", "1"}, {"phone", "2"}};
    sort_unique(dup);
    EXPECT_EQ(dup, (std::vector<Identifier>{{"email", "1"}, {"phone", "2"}}));
}
