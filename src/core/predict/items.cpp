#include "core/predict/items.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "core/common/interrupt.h"

namespace cdp::predict {

ItemModel build_item_model(const std::vector<std::vector<Interest>>& customers, size_t n_items,
                           const ItemModelOptions& opt) {
    // Inverted index item -> (customer, r).
    std::vector<std::vector<std::pair<uint32_t, double>>> by_item(n_items);
    std::vector<double> uw(customers.size());
    std::vector<double> norm(n_items, 0.0);
    cdp::interrupt::Ticker tick(1024);
    for (size_t u = 0; u < customers.size(); ++u) {
        uw[u] = opt.iuf ? 1.0 / std::log2(2.0 + double(customers[u].size())) : 1.0;
        for (const auto& it : customers[u]) {
            if (it.item >= n_items) continue;
            by_item[it.item].push_back({uint32_t(u), it.r});
            norm[it.item] += it.r * it.r * uw[u];
        }
        tick.tick();
    }
    ItemModel m;
    m.neighbors.resize(n_items);
    std::vector<double> acc(n_items, 0.0), co(n_items, 0.0);
    std::vector<uint32_t> touched;
    for (size_t i = 0; i < n_items; ++i) {
        touched.clear();
        for (const auto& [u, ri] : by_item[i]) {
            for (const auto& it : customers[u]) {
                const uint32_t j = it.item;
                if (j == i || j >= n_items) continue;
                if (co[j] == 0.0 && acc[j] == 0.0) touched.push_back(j);
                acc[j] += ri * it.r * uw[u];
                co[j] += ri * it.r;
                tick.tick();
            }
        }
        auto& out = m.neighbors[i];
        out.reserve(touched.size());
        for (uint32_t j : touched) {
            double s = acc[j] / std::sqrt(norm[i] * norm[j]);
            if (opt.shrink > 0) s *= co[j] / (co[j] + opt.shrink);
            out.push_back({j, s, co[j]});
            acc[j] = co[j] = 0.0;
        }
        auto better = [](const Neighbor& a, const Neighbor& b) {
            return a.score != b.score ? a.score > b.score : a.item < b.item;
        };
        if (out.size() > opt.neighbors) {
            std::partial_sort(out.begin(), out.begin() + long(opt.neighbors), out.end(), better);
            out.resize(opt.neighbors);
        } else {
            std::sort(out.begin(), out.end(), better);
        }
    }
    return m;
}

std::vector<Recommendation> recommend(const std::vector<HistoryItem>& history,
                                      const std::vector<NeighborRow>& neighbors,
                                      const std::vector<PopularRow>& popular, size_t k, bool include_bought,
                                      double view_weight) {
    std::unordered_map<std::string, const HistoryItem*> hist;
    double wsum = 0;
    for (const auto& h : history) {
        hist[h.product] = &h;
        wsum += h.purchases + view_weight * h.views;
    }
    struct Acc {
        double rep = 0, nb = 0, best = -1, pop = 0;
        std::string because;
    };
    std::unordered_map<std::string, Acc> acc;
    if (include_bought)
        for (const auto& h : history)
            if (h.purchases > 0) {
                Acc& a = acc[h.product];
                a.rep = h.purchases + 0.01 * h.recency / (h.recency + 1.0);
                a.pop = h.popularity;
            }
    for (const auto& n : neighbors) {
        auto f = hist.find(n.from);
        if (f == hist.end()) continue;
        auto t = hist.find(n.to);
        if (!include_bought && t != hist.end() && t->second->purchases > 0) continue;
        const double w = f->second->purchases + view_weight * f->second->views;
        if (w <= 0 || wsum <= 0) continue;
        Acc& a = acc[n.to];
        a.nb += w * n.score / wsum;
        a.pop = n.to_popularity;
        const double c = w * n.score;
        if (c > a.best || (c == a.best && n.from < a.because)) {
            a.best = c;
            a.because = n.from;
        }
    }
    double maxpop = 1.0;
    for (const auto& p : popular) maxpop = std::max(maxpop, p.score);
    for (const auto& [p, a] : acc) maxpop = std::max(maxpop, a.pop);
    std::vector<Recommendation> out;
    out.reserve(acc.size());
    for (auto& [p, a] : acc) {
        Recommendation r;
        r.product = p;
        r.score = a.rep > 0 ? a.rep + 0.5 * a.pop / maxpop : 0.5 * (a.nb + a.pop / maxpop);
        if (a.rep > 0 && a.rep >= a.nb) {
            r.kind = Recommendation::kRepeat;
            r.because = p;
        } else {
            r.kind = Recommendation::kSimilar;
            r.because = a.because;
            r.similarity = hist.count(a.because)
                               ? a.best / (hist[a.because]->purchases + view_weight * hist[a.because]->views)
                               : 0;
        }
        if (a.rep > 0 || a.nb > 0) out.push_back(std::move(r));
    }
    auto better = [](const Recommendation& a, const Recommendation& b) {
        return a.score != b.score ? a.score > b.score : a.product < b.product;
    };
    std::sort(out.begin(), out.end(), better);
    if (out.size() > k) out.resize(k);
    if (out.size() < k) {
        std::unordered_set<std::string> have;
        for (const auto& r : out) have.insert(r.product);
        double top = popular.empty() ? 1.0 : std::max(1.0, popular.front().score);
        for (const auto& p : popular) {
            if (out.size() >= k) break;
            if (have.count(p.product)) continue;
            auto h = hist.find(p.product);
            if (!include_bought && h != hist.end() && h->second->purchases > 0) continue;
            out.push_back({p.product, 1e-3 * p.score / top, Recommendation::kPopular, "popular", 0});
            have.insert(p.product);
        }
    }
    return out;
}

}  // namespace cdp::predict
