// User input of the predict area and its JSON output: durations, prediction
// specs, score rules (compiled to SQL), stored models.  Parsers throw
// cdp::Error (22023) naming the JSON path of the bad part.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/predict/gbt.h"
#include "core/predict/items.h"
#include "core/predict/propensity.h"
#include "core/predict/sendtime.h"

namespace cdp::predict {

// "30 days", "30 day", "30d", "12 hours", "12h", "2 weeks", "2w", "90 minutes",
// "90min": seconds (> 0, at most 100 years).  `what` names the value in errors.
double parse_duration(std::string_view s, const std::string& what);

struct PredictionSpec {
    std::string target_event;
    double within = 0;                // seconds
    std::vector<std::string> traits;  // computed traits used as features
    double l2 = 1.0;
    int min_positives = 10;  // fewer positive (or negative) training labels: refused
};
// {"target":{"event":"Order Completed","within":"30 days"},
//  "traits":["rfm_monetary"], "l2":1.0, "min_positives":10}
PredictionSpec parse_prediction_spec(std::string_view json);

// Rule-based score: points per event (optionally decayed with a half-life,
// optionally within a window) or per trait / computed-trait condition, an
// optional cap.  compile_score() gives one SQL statement returning
// (customer_id bigint, score float8) for every customer with points; it reads
// the clock as $1 (timestamptz).
struct ScoreSpec {
    std::string sql;
    double cap = 0;  // 0: none
    size_t rules = 0;
};
ScoreSpec compile_score(std::string_view rules_json);

// Prediction name: [a-z][a-z0-9_]{0,40}.
bool valid_prediction_name(std::string_view name);

// Stored model (cdp.predictions.model).
struct StoredModel {
    bool boosted = false;  // gradient-boosted trees (else the logistic regression)
    LogReg lr;             // names are always set; weights only for the regression
    Gbt gbt;
    FeatureSpec fs;
    double horizon = 0;
};
std::string model_to_json(const StoredModel& m);
StoredModel model_from_json(std::string_view json);

// Training report: AUC, log-loss, calibration, weights, sizes.
struct TrainReport {
    double auc = 0, log_loss = 0, base_rate = 0;
    size_t train_rows = 0, train_positives = 0, valid_rows = 0, valid_positives = 0, scored = 0;
    std::vector<CalBin> calibration;
    std::string train_cutoff, valid_cutoff;     // ISO text
    double auc_recency = 0, auc_frequency = 0;  // single-feature references on the validation set
    double auc_logistic = 0, auc_boosted = 0;   // both candidate models on the validation set
};
std::string report_to_json(const StoredModel& m, const TrainReport& r);

// explain_prediction: {"probability":p, "bias":b, "contributions":[{"feature","value","contribution"}...]}
std::string explain_to_json(const StoredModel& m, const std::vector<double>& x, double p);

// Probability of the stored model (either kind).
double model_proba(const StoredModel& m, const double* x);

// best_send_time result.
std::string send_time_to_json(const SendTime& s, const std::string& timezone, double prior_strength,
                              const std::string& channel);

// reason of a recommendation.
std::string reason_to_json(const Recommendation& r);

}  // namespace cdp::predict

namespace cdp::predict {
// [{"product_id","score","reason"}, ...]
std::string recommendations_to_json(const std::vector<Recommendation>& recs);
}  // namespace cdp::predict
