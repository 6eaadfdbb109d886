// Fellegi-Sunter EM over discrete comparison vectors (issue 14, DESIGN s.4).
// Pure C++17: no postgres.h.  A comparison vector holds, per comparison, the
// level index (0 = null / not comparable, ignored; 1..L = levels).
#pragma once

#include <cstdint>
#include <vector>

namespace cdp::linkage {

struct EmModel {
    double lambda = 0.01;                // prior P(match)
    std::vector<std::vector<double>> m;  // m[c][level]
    std::vector<std::vector<double>> u;  // u[c][level]
};

// Date comparison level: 4 exact, 3 day/month swapped, 2 one digit differs,
// 1 different, 0 not comparable (either side invalid).  Dates as y,m,d.
int compare_dates(int y1, int m1, int d1, int y2, int m2, int d2);

// Runs EM with u fixed (estimated from random pairs); re-estimates m and
// lambda.  Deterministic.  levels[c] = number of levels incl. level 0.
void em_train(const std::vector<std::vector<uint8_t>>& vectors, const std::vector<int>& levels,
              EmModel& model, int max_iter = 50, double tol = 1e-6);

// u probabilities from the comparison vectors of random (mostly non-matching)
// pairs: level frequencies with add-one smoothing; level 0 is ignored.
std::vector<std::vector<double>> estimate_u(const std::vector<std::vector<uint8_t>>& random_vectors,
                                            const std::vector<int>& levels);

// Posterior match probability of one vector.
double match_probability(const EmModel& model, const std::vector<uint8_t>& v);

}  // namespace cdp::linkage

namespace cdp::linkage {
// EM over distinct comparison vectors with their counts (same result as
// em_train over the expanded list, much faster).  Returns the iterations run.
int em_train_weighted(const std::vector<std::vector<uint8_t>>& patterns, const std::vector<double>& counts,
                      const std::vector<int>& levels, EmModel& model, int max_iter = 100, double tol = 1e-7);
}  // namespace cdp::linkage
