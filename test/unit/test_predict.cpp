// Unit tests of src/core/predict: the logistic trainer on synthetic data with
// a known model, the empirical-Bayes shrinkage estimator, the co-occurrence
// model against a brute-force count, the ranking, and the spec parsers.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "core/common/error.h"
#include "core/predict/items.h"
#include "core/predict/propensity.h"
#include "core/predict/sendtime.h"
#include "core/predict/spec.h"

namespace cp = cdp::predict;

TEST(PredictLogReg, RecoversKnownCoefficients) {
    std::mt19937_64 rng(42);
    std::normal_distribution<double> nd(0.0, 1.0);
    std::uniform_real_distribution<double> ud(0.0, 1.0);
    const size_t n = 20000, d = 3;
    const double w[] = {1.5, -2.0, 0.0}, b = -0.5;
    std::vector<double> X(n * d);
    std::vector<int> y(n);
    for (size_t i = 0; i < n; ++i) {
        double eta = b;
        for (size_t j = 0; j < d; ++j) {
            X[i * d + j] = nd(rng);
            eta += w[j] * X[i * d + j];
        }
        y[i] = ud(rng) < 1.0 / (1.0 + std::exp(-eta)) ? 1 : 0;
    }
    cp::LogReg m = cp::fit_logreg(X, d, y, 0.0);
    // Features are standardised: the raw coefficient is w_std / scale.
    for (size_t j = 0; j < d; ++j) EXPECT_NEAR(m.w[j] / m.scale[j], w[j], 0.08) << j;
    double raw_bias = m.bias;
    for (size_t j = 0; j < d; ++j) raw_bias -= m.w[j] * m.mean[j] / m.scale[j];
    EXPECT_NEAR(raw_bias, b, 0.06);
    // AUC of the fitted model equals the AUC of the true model (within noise).
    std::vector<double> p(n), truth(n);
    for (size_t i = 0; i < n; ++i) {
        p[i] = cp::predict_proba(m, &X[i * d]);
        truth[i] = w[0] * X[i * d] + w[1] * X[i * d + 1];
    }
    EXPECT_NEAR(cp::auc(p, y), cp::auc(truth, y), 0.003);
    EXPECT_GT(cp::auc(p, y), 0.8);
    // Contributions add up to the logit.
    auto c = cp::contributions(m, &X[0]);
    double eta = m.bias;
    for (double v : c) eta += v;
    EXPECT_NEAR(1.0 / (1.0 + std::exp(-eta)), p[0], 1e-12);
    // Deterministic.
    cp::LogReg m2 = cp::fit_logreg(X, d, y, 0.0);
    EXPECT_EQ(m.w, m2.w);
}

TEST(PredictLogReg, RidgeShrinksAndConstantFeatureIgnored) {
    std::vector<double> X = {0, 1, 1, 1, 2, 1, 3, 1, 4, 1, 5, 1};
    std::vector<int> y = {0, 0, 1, 0, 1, 1};
    cp::LogReg a = cp::fit_logreg(X, 2, y, 0.0), b = cp::fit_logreg(X, 2, y, 100.0);
    EXPECT_GT(std::abs(a.w[0]), std::abs(b.w[0]));
    EXPECT_EQ(a.w[1], 0.0);
}

TEST(PredictMetrics, AucAndCalibration) {
    EXPECT_DOUBLE_EQ(cp::auc({0.1, 0.2, 0.3, 0.4}, {0, 0, 1, 1}), 1.0);
    EXPECT_DOUBLE_EQ(cp::auc({0.4, 0.3, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
    EXPECT_DOUBLE_EQ(cp::auc({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
    // brute force over pairs
    std::vector<double> s = {0.3, 0.1, 0.3, 0.9, 0.5, 0.2};
    std::vector<int> y = {1, 0, 0, 1, 0, 1};
    double num = 0, den = 0;
    for (size_t i = 0; i < s.size(); ++i)
        for (size_t j = 0; j < s.size(); ++j)
            if (y[i] == 1 && y[j] == 0) {
                den += 1;
                num += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
            }
    EXPECT_DOUBLE_EQ(cp::auc(s, y), num / den);
    auto cal = cp::calibration({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}, 2);
    ASSERT_EQ(cal.size(), 2u);
    EXPECT_DOUBLE_EQ(cal[0].observed, 0.0);
    EXPECT_DOUBLE_EQ(cal[1].mean_predicted, 0.85);
    EXPECT_NEAR(cp::log_loss({0.5, 0.5}, {0, 1}), std::log(2.0), 1e-12);
}

TEST(PredictFeatures, RecencyFrequencyAndLabel) {
    cp::FeatureSpec fs;
    fs.types = {"Order Completed", "Page"};
    fs.order_type = 0;
    fs.target_type = 0;
    fs.count_types = {1};
    cp::CustomerEvents c;
    const double day = 86400;
    c.ev = {{0, 0, 10, 2}, {10 * day, 1, 0, 0}, {20 * day, 0, 30, 4}, {40 * day, 0, 5, 1}};
    std::vector<double> f;
    ASSERT_TRUE(cp::features_at(c, 30 * day, fs, nullptr, f));
    auto names = cp::feature_names(fs);
    ASSERT_EQ(f.size(), names.size());
    EXPECT_EQ(names[1], "recency_days");
    EXPECT_DOUBLE_EQ(f[1], 10);                // last order day 20
    EXPECT_DOUBLE_EQ(f[3], std::log1p(2.0));   // two orders before the cut-off
    EXPECT_DOUBLE_EQ(f[4], std::log1p(40.0));  // monetary
    EXPECT_DOUBLE_EQ(f[5], 20);                // mean gap
    EXPECT_TRUE(cp::label_at(c, 30 * day, 30 * day, 0));
    EXPECT_FALSE(cp::label_at(c, 30 * day, 5 * day, 0));
    EXPECT_FALSE(cp::features_at(c, 0, fs, nullptr, f));  // nothing strictly before
}

TEST(PredictSendTime, ShrinkageIsPosteriorMean) {
    cp::Hist pooled{};
    for (int h = 0; h < cp::kHoursOfWeek; ++h) pooled[h] = 10;
    pooled[50] = 1000;
    cp::Hist p = cp::population_distribution(pooled);
    double tot = 0;
    for (double v : p) tot += v;
    EXPECT_NEAR(tot, 1.0, 1e-12);
    EXPECT_DOUBLE_EQ(p[0], 10.5 / (167 * 10.5 + 1000.5));
    cp::SparseHist c = {{100, 3}};
    cp::Hist post = cp::shrink(c, p, 7.0);
    EXPECT_NEAR(post[100], (3 + 7 * p[100]) / 10.0, 1e-12);
    EXPECT_NEAR(post[50], 7 * p[50] / 10.0, 1e-12);
    // No events: population; many events: the customer.
    EXPECT_EQ(cp::best_send_time({}, p, 7.0).how, 50);
    EXPECT_STREQ(cp::best_send_time({}, p, 7.0).decided_by, "population");
    auto st = cp::best_send_time({{100, 500}}, p, 7.0);
    EXPECT_EQ(st.how, 100);
    EXPECT_STREQ(st.decided_by, "customer");
    EXPECT_NEAR(st.weight, 500.0 / 507.0, 1e-12);
    EXPECT_TRUE(cp::within_one_hour(167, 0));
    EXPECT_FALSE(cp::within_one_hour(10, 12));
}

TEST(PredictSendTime, PriorStrengthRecoveredFromSimulation) {
    // Customers draw theta ~ Dirichlet(A p) then 20 events each; the
    // marginal-likelihood estimate lands near A.
    std::mt19937_64 rng(7);
    cp::Hist p{};
    for (int h = 0; h < cp::kHoursOfWeek; ++h) p[h] = 1.0 + (h % 24 >= 8 && h % 24 <= 18 ? 9.0 : 0.0);
    double s = 0;
    for (double v : p) s += v;
    for (double& v : p) v /= s;
    for (double A : {5.0, 50.0}) {
        std::vector<cp::SparseHist> cs;
        for (int c = 0; c < 3000; ++c) {
            std::vector<double> theta(cp::kHoursOfWeek);
            double t = 0;
            for (int h = 0; h < cp::kHoursOfWeek; ++h) {
                std::gamma_distribution<double> g(A * p[h], 1.0);
                theta[h] = g(rng);
                t += theta[h];
            }
            std::discrete_distribution<int> dd(theta.begin(), theta.end());
            std::map<int, double> cnt;
            for (int e = 0; e < 20; ++e) cnt[dd(rng)] += 1;
            cs.emplace_back(cnt.begin(), cnt.end());
        }
        const double est = cp::estimate_prior_strength(cs, p);
        EXPECT_GT(est, A * 0.7) << A;
        EXPECT_LT(est, A * 1.4) << A;
    }
    EXPECT_DOUBLE_EQ(cp::estimate_prior_strength({{{1, 1}}}, p), cp::kDefaultPriorStrength);
}

TEST(PredictItems, CooccurrenceMatchesBruteForce) {
    std::mt19937_64 rng(3);
    const size_t items = 30, customers = 200;
    std::vector<std::vector<cp::Interest>> cs(customers);
    for (auto& c : cs) {
        std::set<uint32_t> pick;
        std::uniform_int_distribution<int> nd(1, 8), id(0, int(items) - 1);
        int n = nd(rng);
        for (int k = 0; k < n; ++k) pick.insert(uint32_t(id(rng)));
        for (uint32_t i : pick) c.push_back({i, (i % 3 == 0) ? 0.3 : 1.0});
    }
    cp::ItemModelOptions opt;
    opt.neighbors = 1000;
    for (bool iuf : {false, true}) {
        opt.iuf = iuf;
        opt.shrink = iuf ? 2.0 : 0.0;
        cp::ItemModel m = cp::build_item_model(cs, items, opt);
        for (uint32_t i = 0; i < items; ++i) {
            std::map<uint32_t, double> co, acc;
            double ni = 0;
            std::vector<double> nrm(items, 0.0);
            for (const auto& c : cs) {
                const double uw = iuf ? 1.0 / std::log2(2.0 + double(c.size())) : 1.0;
                for (const auto& a : c) nrm[a.item] += a.r * a.r * uw;
                for (const auto& a : c)
                    if (a.item == i)
                        for (const auto& b : c)
                            if (b.item != i) {
                                co[b.item] += a.r * b.r;
                                acc[b.item] += a.r * b.r * uw;
                            }
            }
            ni = nrm[i];
            ASSERT_EQ(m.neighbors[i].size(), co.size()) << i;
            for (const auto& nb : m.neighbors[i]) {
                EXPECT_NEAR(nb.co, co[nb.item], 1e-9);
                double s = acc[nb.item] / std::sqrt(ni * nrm[nb.item]);
                if (opt.shrink > 0) s *= co[nb.item] / (co[nb.item] + opt.shrink);
                EXPECT_NEAR(nb.score, s, 1e-9);
            }
            for (size_t k = 1; k < m.neighbors[i].size(); ++k)
                EXPECT_GE(m.neighbors[i][k - 1].score, m.neighbors[i][k].score);
        }
    }
}

TEST(PredictItems, RankingReasonsAndExclusion) {
    std::vector<cp::HistoryItem> h = {{"a", 2, 0, 1.5, 10}, {"b", 0, 1, 0, 5}};
    std::vector<cp::NeighborRow> nb = {{"a", "c", 0.5, 3}, {"b", "d", 0.9, 2}, {"a", "b", 0.4, 5}};
    std::vector<cp::PopularRow> pop = {{"a", 10}, {"z", 8}, {"b", 5}};
    // b (viewed only, similar to a, more popular) before c before d, then popular z.
    auto r = cp::recommend(h, nb, pop, 4, false);
    ASSERT_EQ(r.size(), 4u);
    for (const auto& x : r) EXPECT_NE(x.product, "a");  // bought: excluded
    EXPECT_EQ(r[0].product, "b");
    EXPECT_EQ(r[0].because, "a");
    EXPECT_EQ(r[1].product, "c");
    EXPECT_EQ(r[2].product, "d");
    EXPECT_EQ(r[2].because, "b");
    EXPECT_EQ(r[3].product, "z");
    EXPECT_EQ(r.back().kind, cp::Recommendation::kPopular);
    auto r2 = cp::recommend(h, nb, pop, 2, true);
    EXPECT_EQ(r2[0].product, "a");
    EXPECT_EQ(r2[0].kind, cp::Recommendation::kRepeat);
    auto r3 = cp::recommend({}, {}, pop, 2, false);
    ASSERT_EQ(r3.size(), 2u);
    EXPECT_EQ(r3[0].product, "a");
    EXPECT_EQ(cp::reason_to_json(r3[0]), "{\"because\":\"popular\"}");
}

TEST(PredictSpec, DurationsSpecsAndScores) {
    EXPECT_DOUBLE_EQ(cp::parse_duration("30 days", "x"), 30 * 86400.0);
    EXPECT_DOUBLE_EQ(cp::parse_duration("12h", "x"), 12 * 3600.0);
    EXPECT_DOUBLE_EQ(cp::parse_duration("2 weeks", "x"), 14 * 86400.0);
    EXPECT_THROW(cp::parse_duration("soon", "x"), cdp::Error);
    EXPECT_THROW(cp::parse_duration("-3 days", "x"), cdp::Error);
    EXPECT_THROW(cp::parse_duration("3 fortnights", "x"), cdp::Error);
    auto s = cp::parse_prediction_spec(
        R"({"target":{"event":"Order Completed","within":"30 days"},"traits":["rfm_monetary"]})");
    EXPECT_EQ(s.target_event, "Order Completed");
    EXPECT_EQ(s.traits.size(), 1u);
    try {
        cp::parse_prediction_spec(R"({"target":{"event":"X","within":"soon"}})");
        FAIL();
    } catch (const cdp::Error& e) {
        EXPECT_NE(std::string(e.what()).find("$.target.within"), std::string::npos);
    }
    EXPECT_THROW(cp::parse_prediction_spec(R"({"target":{"event":"X","within":"1 day"},"bogus":1})"),
                 cdp::Error);
    EXPECT_THROW(cp::parse_prediction_spec("{}"), cdp::Error);
    EXPECT_THROW(cp::parse_prediction_spec("not json"), cdp::Error);
    auto sc = cp::compile_score(R"({"rules":[{"event":"Email Opened","points":5,"half_life":"7 days"},
        {"trait":"plan","op":"eq","value":"pro","points":10}],"cap":12})");
    EXPECT_EQ(sc.rules, 2u);
    EXPECT_NE(sc.sql.find("least("), std::string::npos);
    EXPECT_NE(sc.sql.find("'Email Opened'"), std::string::npos);
    auto inj = cp::compile_score(R"([{"event":"a'b","points":1}])");
    EXPECT_NE(inj.sql.find("'a''b'"), std::string::npos);
    EXPECT_THROW(cp::compile_score(R"([{"event":"a"}])"), cdp::Error);
    EXPECT_THROW(cp::compile_score(R"([{"trait":"a","op":"gt","value":"x","points":1}])"), cdp::Error);
    EXPECT_THROW(cp::compile_score(R"([])"), cdp::Error);
    cp::StoredModel m;
    m.lr.names = {"a"};
    m.lr.mean = {1};
    m.lr.scale = {2};
    m.lr.w = {3};
    m.lr.bias = 4;
    m.fs.types = {"Order Completed"};
    m.fs.order_type = 0;
    m.horizon = 86400;
    auto back = cp::model_from_json(cp::model_to_json(m));
    EXPECT_EQ(back.lr.w, m.lr.w);
    EXPECT_EQ(back.fs.order_type, 0u);
    EXPECT_EQ(back.fs.target_type, UINT32_MAX);
    EXPECT_THROW(cp::model_from_json("{}"), cdp::Error);
}

TEST(PredictGbt, LearnsInteractionTheRegressionCannot) {
    // y = 1 iff the two features have the same sign (XOR-like): a linear
    // model is at chance, boosted trees are not.
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> ud(-1.0, 1.0), uu(0.0, 1.0);
    const size_t n = 4000, d = 2;
    std::vector<double> X(n * d);
    std::vector<int> y(n);
    for (size_t i = 0; i < n; ++i) {
        X[i * 2] = ud(rng);
        X[i * 2 + 1] = ud(rng);
        const bool same = (X[i * 2] > 0) == (X[i * 2 + 1] > 0);
        y[i] = uu(rng) < (same ? 0.9 : 0.1) ? 1 : 0;
    }
    cp::Gbt g = cp::fit_gbt(X, d, y);
    cp::LogReg lr = cp::fit_logreg(X, d, y, 1.0);
    std::vector<double> pg(n), pl(n);
    for (size_t i = 0; i < n; ++i) {
        pg[i] = cp::gbt_proba(g, &X[i * d]);
        pl[i] = cp::predict_proba(lr, &X[i * d]);
    }
    EXPECT_GT(cp::auc(pg, y), 0.85);
    EXPECT_LT(cp::auc(pl, y), 0.6);
    // contributions + bias = logit
    auto c = cp::gbt_contributions(g, &X[0], d);
    EXPECT_NEAR(cp::gbt_bias(g) + c[0] + c[1], cp::gbt_logit(g, &X[0]), 1e-9);
    // stored and read back: same predictions
    cp::StoredModel m;
    m.boosted = true;
    m.gbt = g;
    m.lr.names = {"a", "b"};
    m.lr.mean = {0, 0};
    m.lr.scale = {1, 1};
    m.lr.w = {0, 0};
    auto back = cp::model_from_json(cp::model_to_json(m));
    ASSERT_TRUE(back.boosted);
    for (size_t i = 0; i < 50; ++i) EXPECT_NEAR(cp::model_proba(back, &X[i * d]), pg[i], 1e-12);
}
