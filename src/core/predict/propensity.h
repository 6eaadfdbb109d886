// Purchase propensity (DESIGN.md section 9): features the extension derives
// from a customer's events as of a cut-off time, a regularised logistic
// regression trained by Newton's method (deterministic: no random start, no
// sampling), and the metrics it is judged by (AUC, log-loss, calibration).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cdp::predict {

// One event of a customer.  type indexes FeatureSpec::types; for orders
// value is the order value and items the number of products[] lines.
struct Ev {
    double t;  // epoch seconds
    uint32_t type;
    double value = 0;
    double items = 0;
};

struct CustomerEvents {
    int64_t customer = 0;
    std::vector<Ev> ev;  // sorted by t
};

struct FeatureSpec {
    std::vector<std::string> types;     // event names (index = Ev::type)
    uint32_t order_type = UINT32_MAX;   // "Order Completed" (net of refunds), if present
    uint32_t target_type = UINT32_MAX;  // the target event
    std::vector<uint32_t> count_types;  // event types counted per window
    std::vector<std::string> traits;    // computed traits appended as features
};

// Names of the features features_at() writes, in order.
std::vector<std::string> feature_names(const FeatureSpec& spec);

// Features of one customer from the events strictly before `cutoff`;
// `traits` (size spec.traits.size(), NaN = missing -> 0) are appended.
// Returns false when the customer has no event before the cut-off.
bool features_at(const CustomerEvents& c, double cutoff, const FeatureSpec& spec, const double* traits,
                 std::vector<double>& out);

// Has the customer a target event in [cutoff, cutoff + horizon)?
bool label_at(const CustomerEvents& c, double cutoff, double horizon, uint32_t target_type);

struct LogReg {
    std::vector<std::string> names;
    std::vector<double> mean, scale, w;
    double bias = 0;
    int iterations = 0;
};

// L2-regularised logistic regression on standardised features (penalty
// l2/2 * |w|^2, the bias unpenalised), Newton-Raphson with step halving.
// X is row-major n x d.
LogReg fit_logreg(const std::vector<double>& X, size_t d, const std::vector<int>& y, double l2);
double predict_proba(const LogReg& m, const double* x);
// w_j * z_j per feature (the log-odds contributions; they sum with bias to the logit).
std::vector<double> contributions(const LogReg& m, const double* x);

double auc(const std::vector<double>& score, const std::vector<int>& y);  // ties count 1/2
double log_loss(const std::vector<double>& p, const std::vector<int>& y);
struct CalBin {
    double mean_predicted = 0, observed = 0;
    size_t n = 0;
};
std::vector<CalBin> calibration(const std::vector<double>& p, const std::vector<int>& y, int bins = 10);

}  // namespace cdp::predict
