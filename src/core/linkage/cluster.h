// Clustering of scored pairs that does not chain two different people
// (issue 14, docs/linkage.md "Clustering rule").  Pure C++17.
//
// Rule: records start in their initial groups (the deterministic customers).
// Links (pairs at or above `threshold`) are taken in descending probability,
// ties by record ids.  A link whose records are already in one group does
// nothing.  Otherwise it merges the two groups unless
//   * some pair of records across the two groups (every cross pair, not only
//     the candidates) has match probability below `veto`: the merged group
//     would hold two clearly different people, so the bridge is refused; or
//   * `allow` refuses the union (identity limits: max_cluster_records,
//     max_per_customer).
// The result depends only on the set of links and the scores, never on the
// order they were found in, so scoring only new records against their
// candidates and re-clustering gives the batch result.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cdp::linkage {

struct ScoredPair {
    int64_t a = 0, b = 0;  // record indexes 0..n-1
    double p = 0;          // match probability
};

struct MergeStep {
    ScoredPair link;
    int64_t into = 0, from = 0;  // group representatives before the merge (into keeps)
    std::string refused;         // "" merged, "veto", or the reason `allow` gave
    ScoredPair veto_pair;        // the cross pair that vetoed
};

struct ClusterOptions {
    double threshold = 0.5;
    double veto = 0.001;
    // Probability of any two records (cross pairs of a candidate merge).
    std::function<double(int64_t, int64_t)> cross;
    // "" to allow the union of two groups (record lists), else the reason.
    std::function<std::string(const std::vector<int64_t>&, const std::vector<int64_t>&)> allow;
    // Cross pairs compared per merge at most (beyond: the rest are not checked).
    int64_t max_cross_pairs = 1000000;
};

// initial[i]: group label of record i (any int64; records with equal labels
// start together).  Returns the final group per record: the smallest record
// index of its group.  `steps` (optional) receives every merge and refusal.
std::vector<int64_t> cluster_groups(const std::vector<int64_t>& initial, std::vector<ScoredPair> links,
                                    const ClusterOptions& opt, std::vector<MergeStep>* steps = nullptr);

// Singletons; cross pairs known only from `pairs` (others are not checked).
std::vector<int64_t> cluster_pairs(int64_t n, std::vector<ScoredPair> pairs, double threshold, double veto);

}  // namespace cdp::linkage
