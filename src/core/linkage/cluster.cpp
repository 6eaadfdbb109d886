#include "core/linkage/cluster.h"

#include <algorithm>
#include <unordered_map>

namespace cdp::linkage {

namespace {
uint64_t key(int64_t a, int64_t b) {
    if (a > b) std::swap(a, b);
    return (static_cast<uint64_t>(a) << 32) ^ static_cast<uint64_t>(b);
}
}  // namespace

std::vector<int64_t> cluster_pairs(int64_t n, std::vector<ScoredPair> pairs, double threshold, double veto) {
    std::unordered_map<uint64_t, double> score;
    score.reserve(pairs.size() * 2);
    for (const auto& sp : pairs) score[key(sp.a, sp.b)] = sp.p;
    std::sort(pairs.begin(), pairs.end(), [](const ScoredPair& x, const ScoredPair& y) {
        if (x.p != y.p) return x.p > y.p;
        if (x.a != y.a) return x.a < y.a;
        return x.b < y.b;
    });
    std::vector<int64_t> owner(n);
    std::vector<std::vector<int64_t>> members(n);
    for (int64_t i = 0; i < n; ++i) {
        owner[i] = i;
        members[i] = {i};
    }
    for (const auto& sp : pairs) {
        if (sp.p < threshold) break;
        int64_t ca = owner[sp.a], cb = owner[sp.b];
        if (ca == cb) continue;
        if (members[ca].size() < members[cb].size()) std::swap(ca, cb);
        bool vetoed = false;
        for (int64_t x : members[cb]) {
            for (int64_t y : members[ca]) {
                auto it = score.find(key(x, y));
                if (it != score.end() && it->second < veto) {
                    vetoed = true;
                    break;
                }
            }
            if (vetoed) break;
        }
        if (vetoed) continue;
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

}  // namespace cdp::linkage
