// Linkage core: date comparison levels and the EM estimator recovering known
// m probabilities and lambda from synthetic comparison vectors.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "core/linkage/em.h"

namespace lk = cdp::linkage;

TEST(LinkageDates, Levels) {
    EXPECT_EQ(lk::compare_dates(1980, 3, 7, 1980, 3, 7), 4);
    EXPECT_EQ(lk::compare_dates(1980, 3, 7, 1980, 7, 3), 3);
    EXPECT_EQ(lk::compare_dates(1980, 3, 7, 1981, 3, 7), 2);
    EXPECT_EQ(lk::compare_dates(1980, 3, 7, 1975, 11, 20), 1);
    EXPECT_EQ(lk::compare_dates(1980, 2, 30, 1980, 2, 28), 0);  // impossible date
    EXPECT_EQ(lk::compare_dates(0, 1, 1, 1980, 1, 1), 0);
}

TEST(LinkageEm, RecoversKnownM) {
    // 3 comparisons, levels 1..2 (1 = disagree, 2 = agree).
    const std::vector<double> m_agree = {0.95, 0.9, 0.8};
    const std::vector<double> u_agree = {0.01, 0.05, 0.1};
    const double lambda = 0.05;
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> U(0, 1);
    std::vector<std::vector<uint8_t>> vecs;
    for (int i = 0; i < 200000; ++i) {
        bool match = U(rng) < lambda;
        std::vector<uint8_t> v(3);
        for (int c = 0; c < 3; ++c) v[c] = U(rng) < (match ? m_agree[c] : u_agree[c]) ? 2 : 1;
        vecs.push_back(v);
    }
    lk::EmModel model;
    model.lambda = 0.2;
    model.u.assign(3, std::vector<double>(3, 0.0));
    for (int c = 0; c < 3; ++c) {
        model.u[c][1] = 1 - u_agree[c];
        model.u[c][2] = u_agree[c];
    }
    lk::em_train(vecs, {3, 3, 3}, model, 200, 1e-9);
    EXPECT_NEAR(model.lambda, lambda, 0.005);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(model.m[c][2], m_agree[c], 0.02);
    // Deterministic: the same input gives the same model.
    lk::EmModel again;
    again.lambda = 0.2;
    again.u = model.u;
    lk::em_train(vecs, {3, 3, 3}, again, 200, 1e-9);
    EXPECT_EQ(again.lambda, model.lambda);
}

#include "core/linkage/cluster.h"

TEST(LinkageCluster, ChainOfWeakLinksDoesNotGlueTwoPeople) {
    // 0-1 and 2-3 are strong pairs; 1-2 a weak bridge above threshold; 0-3
    // scored and clearly different: the bridge must not merge {0,1} and {2,3}.
    std::vector<lk::ScoredPair> pairs = {{0, 1, 0.99}, {2, 3, 0.98}, {1, 2, 0.6}, {0, 3, 0.001}};
    auto rep = lk::cluster_pairs(4, pairs, 0.5, 0.01);
    EXPECT_EQ(rep[0], rep[1]);
    EXPECT_EQ(rep[2], rep[3]);
    EXPECT_NE(rep[1], rep[2]);
    // Without the contradicting pair the bridge merges all four.
    pairs.pop_back();
    rep = lk::cluster_pairs(4, pairs, 0.5, 0.01);
    EXPECT_EQ(rep[0], rep[3]);
    // Below threshold nothing links.
    rep = lk::cluster_pairs(4, pairs, 0.995, 0.01);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(rep[i], i);
}

TEST(LinkageEm, EstimateUFromRandomPairs) {
    std::vector<std::vector<uint8_t>> v;
    for (int i = 0; i < 998; ++i) v.push_back({1});
    v.push_back({2});
    v.push_back({0});  // not comparable: ignored
    auto u = lk::estimate_u(v, {3});
    EXPECT_NEAR(u[0][1], 999.0 / 1001.0, 1e-12);
    EXPECT_NEAR(u[0][2], 2.0 / 1001.0, 1e-12);
}
