// Clustering of scored pairs that does not chain two different people
// (issue 14).  Rule: links are taken in descending probability (ties by ids);
// a link at or above `threshold` merges its two clusters unless some scored
// pair across the two clusters has probability below `veto` (clear evidence
// of two different people).  Pure C++17.
#pragma once

#include <cstdint>
#include <vector>

namespace cdp::linkage {

struct ScoredPair {
    int64_t a = 0, b = 0;  // record indexes 0..n-1
    double p = 0;          // match probability
};

// Returns the cluster representative (smallest member index) per record.
std::vector<int64_t> cluster_pairs(int64_t n, std::vector<ScoredPair> pairs, double threshold, double veto);

}  // namespace cdp::linkage
