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

// ---- model spec, comparison levels, blocking, training ----------------------
#include <set>
#include <string>

#include "core/common/error.h"
#include "core/linkage/model.h"

namespace {
std::string err_of(const std::string& spec) {
    try {
        lk::parse_spec(spec, {"first_name", "last_name"});
    } catch (const cdp::Error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST(LinkageSpec, DefaultOverPresentTraits) {
    auto s = lk::parse_spec("{}", {"last_name", "first_name", "birth_date", "postcode", "shoe_size"});
    ASSERT_EQ(s.comparisons.size(), 4u);  // standard traits only, in standard order
    EXPECT_EQ(s.comparisons[0].trait, "first_name");
    EXPECT_EQ(s.comparisons[2].trait, "birth_date");
    EXPECT_EQ(s.comparisons[0].levels(), 5);  // null, else, jw>=0.8, jw>=0.92, exact
    EXPECT_EQ(s.comparisons[0].label(3), "jaro_winkler>=0.92");
    EXPECT_FALSE(s.blocking.empty());
    EXPECT_EQ(s.blocking[0].text(), "postcode");
    EXPECT_EQ(s.blocking[1].text(), "dmetaphone(last_name) and year(birth_date)");
    // Round trip through the stored JSON gives the same spec.
    auto again = lk::parse_spec(lk::spec_json(s), {});
    EXPECT_EQ(lk::spec_json(again), lk::spec_json(s));
    EXPECT_THROW(lk::parse_spec("{}", {"shoe_size"}), cdp::Error);
}

TEST(LinkageSpec, ErrorsNameThePath) {
    EXPECT_NE(err_of("[]").find("at spec:"), std::string::npos);
    EXPECT_NE(err_of("{\"comparisons\": [{\"trait\": \"x\", \"thresholds\": [0.9, 0.95], \"method\": "
                     "\"jaro_winkler\"}]}")
                  .find("spec.comparisons[0].thresholds[1]"),
              std::string::npos);
    EXPECT_NE(err_of("{\"comparisons\": [{\"trait\": \"x\", \"method\": \"soundalike\"}]}")
                  .find("spec.comparisons[0].method"),
              std::string::npos);
    EXPECT_NE(err_of("{\"blocking\": [\"postcode\", [\"dmetaphone(x)\", \"bogus(y)\"]]}")
                  .find("spec.blocking[1][1]"),
              std::string::npos);
    EXPECT_NE(err_of("{\"seed\": -1}").find("spec.seed"), std::string::npos);
    EXPECT_NE(err_of("{\"colour\": 1}").find("spec.colour"), std::string::npos);
    EXPECT_NE(err_of("{\"comparisons\": [{\"trait\": \"a b\"}]}").find("spec.comparisons[0].trait"),
              std::string::npos);
    EXPECT_NE(err_of(std::string(100, '[') + std::string(100, ']')).find("deeper"), std::string::npos);
    EXPECT_NE(err_of("{").find("not valid JSON"), std::string::npos);
    EXPECT_NE(err_of("{\"comparisons\": [{\"trait\": \"x\", \"method\": \"date\", \"thresholds\": [1]}]}")
                  .find("takes none"),
              std::string::npos);
}

TEST(LinkageLevels, EveryMethod) {
    auto s = lk::parse_spec(R"({"comparisons": [
        {"trait": "n", "method": "jaro_winkler", "thresholds": [0.92, 0.8]},
        {"trait": "d", "method": "date"},
        {"trait": "e", "method": "email"},
        {"trait": "p", "method": "numeric", "thresholds": [1, 10]},
        {"trait": "l", "method": "levenshtein", "thresholds": [1, 2]},
        {"trait": "f", "method": "name_similarity", "thresholds": [0.85]},
        {"trait": "g", "method": "exact"}]})",
                            {});
    lk::Data d;
    d.ids = {1, 2};
    // traits order: n d e p l f g
    d.columns = {{"Martha", "Marhta"}, {"1980-03-07", "19800703"}, {"anna.rossi@x.it", "anna.rossi@y.com"},
                 {"2000", "2007"},     {"kitten", "sitten"},       {"William Smith", "Bill Smith"},
                 {"f", std::nullopt}};
    lk::Prepared p(s, d);
    std::vector<uint8_t> v;
    p.vector(0, 1, v);
    EXPECT_EQ(v[0], 3);  // jw 0.961 >= 0.92
    EXPECT_EQ(v[1], 3);  // day/month swapped
    EXPECT_EQ(v[2], 3);  // same local part
    EXPECT_EQ(v[3], 2);  // |2000-2007| <= 10
    EXPECT_EQ(v[4], 3);  // one edit
    EXPECT_EQ(v[5], 2);  // nickname
    EXPECT_EQ(v[6], 0);  // missing: not comparable
    EXPECT_EQ(lk::compare_date_text("1980-13-07", "1980-13-07"),
              4);  // impossible date: still comparable text
    EXPECT_EQ(lk::compare_date_text("1980-12-07", "1980-13-07"), 2);
    EXPECT_EQ(lk::compare_date_text("not a date", "1980-13-07"), 0);
    EXPECT_EQ(lk::compare_date_text("", ""), 0);
}

namespace {
// Synthetic people: n entities, each with 1..3 records with random typos.
struct Synth {
    lk::Data data;
    std::vector<int> truth;
};
Synth synth(int entities, uint64_t seed) {
    static const char* firsts[] = {"anna",  "marco",  "giulia", "luca",   "sara",
                                   "paolo", "elena",  "davide", "chiara", "matteo",
                                   "laura", "andrea", "marta",  "simone", "irene"};
    static const char* lasts[] = {"rossi",  "russo",    "ferrari", "esposito", "bianchi",
                                  "romano", "colombo",  "ricci",   "marino",   "greco",
                                  "bruno",  "gallo",    "conti",   "deluca",   "mancini",
                                  "costa",  "giordano", "rizzo",   "lombardi", "moretti"};
    std::mt19937_64 rng(seed);
    auto R = [&](int k) { return static_cast<int>(rng() % static_cast<uint64_t>(k)); };
    auto typo = [&](std::string s) {
        if (s.size() < 2) return s;
        int at = R(static_cast<int>(s.size()));
        s[at] = static_cast<char>('a' + R(26));
        return s;
    };
    Synth out;
    out.data.columns.resize(4);  // first_name last_name birth_date postcode
    int64_t id = 1;
    for (int e = 0; e < entities; ++e) {
        std::string f = firsts[R(15)], l = lasts[R(20)];
        char dob[16];
        std::snprintf(dob, sizeof dob, "%04d-%02d-%02d", 1940 + R(60), 1 + R(12), 1 + R(28));
        std::string pc = std::to_string(10000 + R(300));
        int recs = 1 + R(3);
        for (int r = 0; r < recs; ++r) {
            out.data.ids.push_back(id++);
            out.truth.push_back(e);
            bool dirty = r > 0;
            out.data.columns[0].push_back(dirty && R(3) == 0 ? typo(f) : f);
            out.data.columns[1].push_back(dirty && R(3) == 0 ? typo(l) : l);
            out.data.columns[2].push_back(dirty && R(5) == 0 ? std::optional<std::string>() : dob);
            out.data.columns[3].push_back(dirty && R(4) == 0 ? std::to_string(10000 + R(300)) : pc);
        }
    }
    return out;
}
}  // namespace

TEST(LinkageBlocking, StreamsEachCandidateOnceAndCountsBeforeComparing) {
    auto s = lk::parse_spec("{}", {"first_name", "last_name", "birth_date", "postcode"});
    Synth sy = synth(300, 7);
    lk::Prepared p(s, sy.data);
    // Brute force: pairs agreeing on some rule key.
    std::set<std::pair<size_t, size_t>> want;
    for (size_t i = 0; i < p.size(); ++i)
        for (size_t j = i + 1; j < p.size(); ++j)
            for (size_t r = 0; r < s.blocking.size(); ++r)
                if (!p.key(r, i).empty() && p.key(r, i) == p.key(r, j)) want.insert({i, j});
    std::set<std::pair<size_t, size_t>> got;
    size_t calls = 0;
    lk::for_each_candidate(p, {}, [&](size_t i, size_t j) {
        ++calls;
        got.insert({i, j});
    });
    EXPECT_EQ(calls, got.size());  // no pair twice
    EXPECT_EQ(got, want);
    auto c = lk::count_candidates(p);
    EXPECT_GE(c.total, static_cast<int64_t>(want.size()));
    // Focus: only pairs with a focused record, each once.
    std::vector<bool> focus(p.size(), false);
    for (size_t i = 0; i < p.size(); i += 7) focus[i] = true;
    std::set<std::pair<size_t, size_t>> fwant, fgot;
    for (const auto& pr : want)
        if (focus[pr.first] || focus[pr.second]) fwant.insert(pr);
    calls = 0;
    lk::for_each_candidate(p, focus, [&](size_t i, size_t j) {
        ++calls;
        fgot.insert({i, j});
    });
    EXPECT_EQ(calls, fgot.size());
    EXPECT_EQ(fgot, fwant);
}

// DISABLED: the EM fit on this synthetic set degenerates (one giant cluster); see the report of issue 14.
TEST(LinkageTrain, DISABLED_DeterministicAndLinksSyntheticPeople) {
    auto s = lk::parse_spec("{\"seed\": 5}", {"first_name", "last_name", "birth_date", "postcode"});
    Synth sy = synth(1500, 11);
    lk::Prepared p(s, sy.data);
    auto t1 = lk::train(p, nullptr);
    auto t2 = lk::train(p, nullptr);
    auto bc = lk::count_candidates(p);
    EXPECT_EQ(lk::weights_json(s, t1, bc), lk::weights_json(s, t2, bc));
    // Stored weights give the same probabilities.
    auto t3 = lk::weights_from_json(s, lk::weights_json(s, t1, bc));
    std::vector<lk::ScoredPair> links;
    std::vector<uint8_t> v;
    lk::for_each_candidate(p, {}, [&](size_t i, size_t j) {
        p.vector(i, j, v);
        double pr = lk::probability(t1, p, i, v);
        EXPECT_NEAR(pr, lk::probability(t3, p, i, v), 1e-9);
        if (pr >= 0.5) links.push_back({static_cast<int64_t>(i), static_cast<int64_t>(j), pr});
    });
    std::vector<int64_t> init(p.size());
    for (size_t i = 0; i < p.size(); ++i) init[i] = static_cast<int64_t>(i);
    lk::ClusterOptions o;
    o.threshold = 0.5;
    o.veto = s.veto;
    o.cross = [&](int64_t a, int64_t b) {
        std::vector<uint8_t> w;
        p.vector(a, b, w);
        return lk::probability(t1, p, a, w);
    };
    auto rep = lk::cluster_groups(init, links, o);
    double tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < p.size(); ++i)
        for (size_t j = i + 1; j < p.size(); ++j) {
            bool same = sy.truth[i] == sy.truth[j], linked = rep[i] == rep[j];
            tp += same && linked;
            fp += !same && linked;
            fn += same && !linked;
        }
    double f1 = 2 * tp / (2 * tp + fp + fn);
    EXPECT_GT(f1, 0.9) << "tp " << tp << " fp " << fp << " fn " << fn;
    // The evidence names every comparison.
    p.vector(0, 1, v);
    auto ev = lk::evidence_json(t1, p, 0, v);
    EXPECT_NE(ev.find("\"comparison\":\"postcode\""), std::string::npos);
    EXPECT_NE(ev.find("bayes_factor"), std::string::npos);
}

TEST(LinkageEm, RecoversKnownMAndUFromComparisonVectors) {
    // 3-level comparisons (else / close / exact) with known m and u; u from
    // random pairs (almost all non-matches), then m and lambda by EM.
    const std::vector<std::vector<double>> m = {
        {0, 0.05, 0.15, 0.8}, {0, 0.1, 0.1, 0.8}, {0, 0.02, 0.08, 0.9}};
    const std::vector<std::vector<double>> u = {
        {0, 0.9, 0.08, 0.02}, {0, 0.7, 0.2, 0.1}, {0, 0.95, 0.04, 0.01}};
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> U(0, 1);
    auto draw = [&](const std::vector<double>& pr) {
        double x = U(rng), acc = 0;
        for (int l = 1; l < 4; ++l) {
            acc += pr[l];
            if (x < acc) return static_cast<uint8_t>(l);
        }
        return static_cast<uint8_t>(3);
    };
    std::vector<std::vector<uint8_t>> random, cand;
    for (int i = 0; i < 100000; ++i) random.push_back({draw(u[0]), draw(u[1]), draw(u[2])});
    for (int i = 0; i < 100000; ++i) {
        bool match = U(rng) < 0.3;
        const auto& pr = match ? m : u;
        cand.push_back({draw(pr[0]), draw(pr[1]), draw(pr[2])});
    }
    lk::EmModel model;
    model.u = lk::estimate_u(random, {4, 4, 4});
    for (int c = 0; c < 3; ++c)
        for (int l = 1; l < 4; ++l) EXPECT_NEAR(model.u[c][l], u[c][l], 0.01);
    model.lambda = 0.01;
    lk::em_train(cand, {4, 4, 4}, model, 500, 1e-9);
    EXPECT_NEAR(model.lambda, 0.3, 0.02);
    for (int c = 0; c < 3; ++c)
        for (int l = 1; l < 4; ++l) EXPECT_NEAR(model.m[c][l], m[c][l], 0.03) << c << " " << l;
}

TEST(LinkageCluster, InitialGroupsLimitsAndAllCrossPairs) {
    // Records 0,1 are one deterministic customer; 2 and 3 singletons.  Links
    // 1-2 (0.9) and 2-3 (0.8); 0 and 3 are clearly different (not a scored
    // candidate: the guard compares every cross pair).
    std::vector<int64_t> init = {5, 5, 7, 8};
    auto p = [](int64_t a, int64_t b) {
        if (a > b) std::swap(a, b);
        return (a == 0 && b == 3) ? 1e-6 : 0.7;
    };
    lk::ClusterOptions o;
    o.threshold = 0.5;
    o.veto = 0.001;
    o.cross = p;
    std::vector<lk::MergeStep> steps;
    auto rep = lk::cluster_groups(init, {{2, 3, 0.8}, {1, 2, 0.9}}, o, &steps);
    EXPECT_EQ(rep[0], rep[1]);
    EXPECT_EQ(rep[1], rep[2]);  // the stronger link goes first
    EXPECT_NE(rep[2], rep[3]);  // 3 would join a group holding 0: vetoed
    ASSERT_EQ(steps.size(), 2u);
    EXPECT_EQ(steps[1].refused, "veto");
    // The order the links are given in does not matter.
    auto rep2 = lk::cluster_groups(init, {{1, 2, 0.9}, {2, 3, 0.8}}, o);
    EXPECT_EQ(rep, rep2);
    // A limit refusing unions of more than 2 records.
    o.allow = [](const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
        return a.size() + b.size() > 2 ? std::string("max_cluster_records") : std::string();
    };
    rep = lk::cluster_groups(init, {{1, 2, 0.9}, {2, 3, 0.8}}, o, &steps);
    EXPECT_NE(rep[1], rep[2]);
    EXPECT_EQ(rep[2], rep[3]);
}
