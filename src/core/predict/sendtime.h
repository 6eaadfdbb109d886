// Best time to send (DESIGN.md section 9): hour-of-week histograms with
// empirical-Bayes shrinkage toward the population.
//
// Model.  A customer's engagement events fall into the 168 hours of the week
// (index dow*24 + hour, dow 0 = Sunday, in the customer's time zone).  The
// customer's hour-of-week distribution theta_c is Dirichlet(A * p) with p the
// population's distribution and A the prior strength; with counts n_c over
// n events the posterior mean is (n_c + A p) / (n + A), so a customer with
// n events is trusted with weight n / (n + A).
//
// Prior strength.  A is estimated from the data (empirical Bayes): the value
// maximising the Dirichlet-multinomial marginal likelihood of every
// customer's counts, over a log grid 0.1 .. 10^4 refined by golden-section
// search.  The population distribution is the pooled counts plus 0.5 per hour
// (so no hour has probability 0).
//
// Decision.  The chosen hour is the centre of the 3-hour window (+-1 hour,
// circular over the week) with the largest posterior mass; `confidence` is
// that mass.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace cdp::predict {

inline constexpr int kHoursOfWeek = 168;
using Hist = std::array<double, kHoursOfWeek>;

// Sparse counts of one customer: (hour of week, count).
using SparseHist = std::vector<std::pair<int, double>>;

// Population distribution from pooled counts (+0.5 per hour, normalised).
Hist population_distribution(const Hist& pooled);

// Dirichlet-multinomial marginal log-likelihood of the customers' counts
// under prior strength a and base distribution p.
double dm_log_likelihood(const std::vector<SparseHist>& customers, const Hist& p, double a);

// Empirical-Bayes prior strength (see above).  Customers with fewer than two
// events carry no information about A and are skipped; with none left the
// result is kDefaultPriorStrength.
inline constexpr double kDefaultPriorStrength = 10.0;
double estimate_prior_strength(const std::vector<SparseHist>& customers, const Hist& p);

// Posterior mean distribution of one customer.
Hist shrink(const SparseHist& counts, const Hist& p, double a);

// Centre of the +-window hour window with the largest mass (ties: the
// window whose centre holds more, then the earliest); returns (hour of week, mass of the window).
std::pair<int, double> best_window(const Hist& dist, int window = 1);

// Plain mode (argmax; ties: the earliest hour); -1 when all are zero.
int mode_hour(const Hist& dist);

struct SendTime {
    int how = 0;                            // hour of week
    double confidence = 0.0;                // posterior mass of how-1 .. how+1
    double events = 0.0;                    // the customer's events
    double weight = 0.0;                    // n / (n + A): the customer's share of the decision
    const char* decided_by = "population";  // population | customer | blend
};

SendTime best_send_time(const SparseHist& counts, const Hist& p, double a);

// Is `how` within +-1 hour (circular) of `target`?
bool within_one_hour(int how, int target);

}  // namespace cdp::predict
