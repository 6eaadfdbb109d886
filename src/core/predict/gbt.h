// Gradient-boosted trees for the propensity model (logistic loss), compared
// with the logistic regression on the validation horizon; the better one is
// kept.  Histogram splits on per-feature quantile bins (32), depth 3, 100
// trees, learning rate 0.1, Newton leaf values with L2 1.0, at least 20
// rows per leaf; no subsampling, so training is deterministic.
#pragma once

#include <cstddef>
#include <vector>

namespace cdp::predict {

struct TreeNode {
    int feature = -1;      // -1: leaf
    double threshold = 0;  // go left when x[feature] <= threshold
    int left = -1, right = -1;
    double value = 0;  // leaf output, or the node's Newton value (for explanations)
};

struct Gbt {
    double base = 0;  // initial log-odds
    double learning_rate = 0.1;
    std::vector<std::vector<TreeNode>> trees;
};

struct GbtOptions {
    int trees = 100;
    int depth = 3;
    double learning_rate = 0.1;
    double l2 = 1.0;
    size_t min_leaf = 20;
    int bins = 32;
};

Gbt fit_gbt(const std::vector<double>& X, size_t d, const std::vector<int>& y, const GbtOptions& opt = {});
double gbt_logit(const Gbt& m, const double* x);
double gbt_proba(const Gbt& m, const double* x);
// Per-feature contributions to the logit (path attribution: each split's
// change of node value goes to its feature); they sum with base to the logit.
std::vector<double> gbt_contributions(const Gbt& m, const double* x, size_t d);
// The logit part no feature explains: base + sum of learning_rate * root value.
double gbt_bias(const Gbt& m);

}  // namespace cdp::predict
