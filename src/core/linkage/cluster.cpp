#include "core/linkage/cluster.h"

#include <algorithm>
#include <unordered_map>

#include "core/common/interrupt.h"

namespace cdp::linkage {

namespace {
uint64_t key(int64_t a, int64_t b) {
    if (a > b) std::swap(a, b);
    return (static_cast<uint64_t>(a) << 32) ^ static_cast<uint64_t>(b);
}
}  // namespace

std::vector<int64_t> cluster_groups(const std::vector<int64_t>& initial, std::vector<ScoredPair> links,
                                    const ClusterOptions& opt, std::vector<MergeStep>* steps) {
    const int64_t n = static_cast<int64_t>(initial.size());
    std::sort(links.begin(), links.end(), [](const ScoredPair& x, const ScoredPair& y) {
        if (x.p != y.p) return x.p > y.p;
        int64_t xa = std::min(x.a, x.b), ya = std::min(y.a, y.b);
        if (xa != ya) return xa < ya;
        return std::max(x.a, x.b) < std::max(y.a, y.b);
    });
    std::vector<int64_t> owner(n);
    std::vector<std::vector<int64_t>> members(n);
    {
        std::unordered_map<int64_t, int64_t> first;
        for (int64_t i = 0; i < n; ++i) {
            auto it = first.emplace(initial[i], i).first;
            owner[i] = it->second;
            members[it->second].push_back(i);
        }
    }
    cdp::interrupt::Ticker ticker(64);
    for (const auto& sp : links) {
        if (sp.p < opt.threshold) break;
        ticker.tick();
        int64_t ca = owner[sp.a], cb = owner[sp.b];
        if (ca == cb) continue;
        if (ca > cb) std::swap(ca, cb);  // the group with the smaller representative keeps it
        MergeStep st;
        st.link = sp;
        st.into = ca;
        st.from = cb;
        if (opt.cross && opt.veto > 0) {
            int64_t budget = opt.max_cross_pairs;
            for (int64_t x : members[cb]) {
                for (int64_t y : members[ca]) {
                    if (budget-- <= 0) break;
                    double p = opt.cross(x, y);
                    if (p < opt.veto) {
                        st.refused = "veto";
                        st.veto_pair = {x, y, p};
                        break;
                    }
                }
                if (!st.refused.empty() || budget <= 0) break;
            }
        }
        if (st.refused.empty() && opt.allow) st.refused = opt.allow(members[ca], members[cb]);
        if (steps) steps->push_back(st);
        if (!st.refused.empty()) continue;
        for (int64_t x : members[cb]) owner[x] = ca;
        members[ca].insert(members[ca].end(), members[cb].begin(), members[cb].end());
        members[cb].clear();
    }
    std::vector<int64_t> rep(n);
    for (int64_t c = 0; c < n; ++c) {
        if (members[c].empty()) continue;
        int64_t lo = *std::min_element(members[c].begin(), members[c].end());
        for (int64_t x : members[c]) rep[x] = lo;
    }
    return rep;
}

std::vector<int64_t> cluster_pairs(int64_t n, std::vector<ScoredPair> pairs, double threshold, double veto) {
    std::unordered_map<uint64_t, double> score;
    for (const auto& sp : pairs) score[key(sp.a, sp.b)] = sp.p;
    std::vector<int64_t> initial(n);
    for (int64_t i = 0; i < n; ++i) initial[i] = i;
    ClusterOptions o;
    o.threshold = threshold;
    o.veto = veto;
    o.cross = [&](int64_t a, int64_t b) {
        auto it = score.find(key(a, b));
        return it == score.end() ? 1.0 : it->second;
    };
    return cluster_groups(initial, std::move(pairs), o);
}

}  // namespace cdp::linkage
