#include "core/predict/gbt.h"

#include <algorithm>
#include <cmath>

#include "core/common/interrupt.h"

namespace cdp::predict {

namespace {
double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }
}  // namespace

Gbt fit_gbt(const std::vector<double>& X, size_t d, const std::vector<int>& y, const GbtOptions& opt) {
    const size_t n = y.size();
    Gbt m;
    m.learning_rate = opt.learning_rate;
    double pos = 0;
    for (int v : y) pos += v;
    const double prior = n ? std::min(1 - 1e-6, std::max(1e-6, pos / double(n))) : 0.5;
    m.base = std::log(prior / (1 - prior));
    if (n == 0 || d == 0) return m;
    // Quantile cut points per feature; each value's bin.
    std::vector<std::vector<double>> cuts(d);
    std::vector<uint8_t> bin(n * d);
    std::vector<double> col(n);
    for (size_t j = 0; j < d; ++j) {
        for (size_t i = 0; i < n; ++i) col[i] = X[i * d + j];
        std::sort(col.begin(), col.end());
        for (int b = 1; b < opt.bins; ++b) {
            double c = col[std::min(n - 1, n * size_t(b) / size_t(opt.bins))];
            if (cuts[j].empty() || c > cuts[j].back()) cuts[j].push_back(c);
        }
        // cut c: bin k holds values <= cuts[k] (and > cuts[k-1]); the last bin the rest
        for (size_t i = 0; i < n; ++i) {
            const double v = X[i * d + j];
            bin[i * d + j] = uint8_t(std::lower_bound(cuts[j].begin(), cuts[j].end(), v) - cuts[j].begin());
        }
    }
    std::vector<double> f(n, m.base), g(n), h(n);
    std::vector<int> node_of(n);
    const int nb = opt.bins + 1;
    std::vector<double> hg(size_t(nb) * d), hh(size_t(nb) * d);
    std::vector<size_t> hc(size_t(nb) * d);
    cdp::interrupt::Ticker tick(64);
    for (int t = 0; t < opt.trees; ++t) {
        for (size_t i = 0; i < n; ++i) {
            const double p = sigmoid(f[i]);
            g[i] = p - y[i];
            h[i] = std::max(1e-12, p * (1 - p));
            node_of[i] = 0;
        }
        std::vector<TreeNode> tree(1);
        std::vector<int> frontier = {0};
        for (int depth = 0; depth <= opt.depth; ++depth) {
            std::vector<int> next;
            for (int nd : frontier) {
                double G = 0, H = 0;
                size_t C = 0;
                std::fill(hg.begin(), hg.end(), 0.0);
                std::fill(hh.begin(), hh.end(), 0.0);
                std::fill(hc.begin(), hc.end(), 0);
                for (size_t i = 0; i < n; ++i) {
                    if (node_of[i] != nd) continue;
                    G += g[i];
                    H += h[i];
                    ++C;
                    for (size_t j = 0; j < d; ++j) {
                        const size_t k = size_t(bin[i * d + j]) * d + j;
                        hg[k] += g[i];
                        hh[k] += h[i];
                        hc[k] += 1;
                    }
                }
                tree[size_t(nd)].value = -G / (H + opt.l2);
                if (depth == opt.depth || C < 2 * opt.min_leaf) continue;
                const double parent = G * G / (H + opt.l2);
                double best = 1e-9;
                int bf = -1, bb = -1;
                for (size_t j = 0; j < d; ++j) {
                    double gl = 0, hl = 0;
                    size_t cl = 0;
                    for (size_t b = 0; b + 1 < cuts[j].size() + 1; ++b) {
                        const size_t k = b * d + j;
                        gl += hg[k];
                        hl += hh[k];
                        cl += hc[k];
                        if (cl < opt.min_leaf || C - cl < opt.min_leaf) continue;
                        const double gr = G - gl, hr = H - hl;
                        const double gain = gl * gl / (hl + opt.l2) + gr * gr / (hr + opt.l2) - parent;
                        if (gain > best) {
                            best = gain;
                            bf = int(j);
                            bb = int(b);
                        }
                    }
                }
                if (bf < 0) continue;
                TreeNode& node = tree[size_t(nd)];
                node.feature = bf;
                node.threshold = cuts[size_t(bf)][size_t(bb)];
                const int l = int(tree.size()), r = l + 1;
                tree[size_t(nd)].left = l;
                tree[size_t(nd)].right = r;
                tree.emplace_back();
                tree.emplace_back();
                for (size_t i = 0; i < n; ++i)
                    if (node_of[i] == nd) node_of[i] = bin[i * d + size_t(bf)] <= bb ? l : r;
                next.push_back(l);
                next.push_back(r);
            }
            frontier = next;
            tick.tick();
        }
        for (size_t i = 0; i < n; ++i) f[i] += opt.learning_rate * tree[size_t(node_of[i])].value;
        m.trees.push_back(std::move(tree));
    }
    return m;
}

double gbt_logit(const Gbt& m, const double* x) {
    double z = m.base;
    for (const auto& t : m.trees) {
        int nd = 0;
        while (t[size_t(nd)].feature >= 0)
            nd = x[t[size_t(nd)].feature] <= t[size_t(nd)].threshold ? t[size_t(nd)].left
                                                                     : t[size_t(nd)].right;
        z += m.learning_rate * t[size_t(nd)].value;
    }
    return z;
}

double gbt_proba(const Gbt& m, const double* x) { return sigmoid(gbt_logit(m, x)); }

double gbt_bias(const Gbt& m) {
    double b = m.base;
    for (const auto& t : m.trees) b += m.learning_rate * t[0].value;
    return b;
}

std::vector<double> gbt_contributions(const Gbt& m, const double* x, size_t d) {
    std::vector<double> c(d, 0.0);
    for (const auto& t : m.trees) {
        int nd = 0;
        while (t[size_t(nd)].feature >= 0) {
            const TreeNode& node = t[size_t(nd)];
            const int nx = x[node.feature] <= node.threshold ? node.left : node.right;
            if (size_t(node.feature) < d)
                c[size_t(node.feature)] += m.learning_rate * (t[size_t(nx)].value - node.value);
            nd = nx;
        }
    }
    return c;
}

}  // namespace cdp::predict
