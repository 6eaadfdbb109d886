#include "core/predict/spec.h"

#include <cctype>
#include <cmath>

#include "core/common/error.h"
#include "core/common/json.h"
#include "core/predict/items.h"
#include "core/profile/computed.h"

namespace cdp::predict {

using cdp::json::Json;

namespace {
[[noreturn]] void bad(const std::string& msg, const std::string& hint = {}) {
    throw cdp::Error(msg, sqlstate::kInvalidParameterValue, {}, hint);
}

Json parse_object(std::string_view text, const char* what) {
    Json j;
    try {
        j = Json::parse(text.begin(), text.end(), nullptr, true, false);
    } catch (const std::exception& e) {
        throw cdp::Error(std::string(what) + ": not valid JSON", sqlstate::kInvalidJsonText);
    }
    return j;
}

std::string lit(const std::string& s) { return cdp::profile::sql_literal(s); }

std::string num(double v) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

double number_at(const Json& j, const std::string& path) {
    if (!j.is_number()) bad(path + ": must be a number");
    double v = j.get<double>();
    if (!std::isfinite(v)) bad(path + ": must be finite");
    return v;
}
}  // namespace

double parse_duration(std::string_view s, const std::string& what) {
    size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    std::string n(s.substr(start, i - start));
    while (i < s.size() && s[i] == ' ') ++i;
    std::string unit(s.substr(i));
    while (!unit.empty() && unit.back() == ' ') unit.pop_back();
    for (char& c : unit) c = char(std::tolower(static_cast<unsigned char>(c)));
    double mult = 0;
    if (unit == "d" || unit == "day" || unit == "days")
        mult = 86400;
    else if (unit == "h" || unit == "hour" || unit == "hours")
        mult = 3600;
    else if (unit == "w" || unit == "week" || unit == "weeks")
        mult = 7 * 86400;
    else if (unit == "min" || unit == "minute" || unit == "minutes")
        mult = 60;
    else if (unit == "s" || unit == "second" || unit == "seconds")
        mult = 1;
    char* end = nullptr;
    double v = n.empty() ? 0 : std::strtod(n.c_str(), &end);
    if (n.empty() || mult == 0 || (end && *end) || !(v > 0) || v * mult > 100 * 366 * 86400.0)
        bad(what + ": \"" + std::string(s.substr(0, 100)) + "\" is not a duration",
            "Write a positive number and a unit: \"30 days\", \"12 hours\", \"2 weeks\", \"90 minutes\".");
    return v * mult;
}

bool valid_prediction_name(std::string_view name) {
    if (name.empty() || name.size() > 41 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

PredictionSpec parse_prediction_spec(std::string_view text) {
    Json j = parse_object(text, "prediction spec");
    if (!j.is_object()) bad("prediction spec: $ must be an object");
    PredictionSpec s;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        if (k == "target") {
            const Json& t = it.value();
            if (!t.is_object())
                bad("prediction spec: $.target must be an object {\"event\":..., \"within\":...}");
            for (auto t2 = t.begin(); t2 != t.end(); ++t2)
                if (t2.key() != "event" && t2.key() != "within")
                    bad("prediction spec: $.target." + t2.key().substr(0, 100) + ": unknown key",
                        "Keys: event, within.");
            if (!t.contains("event") || !t["event"].is_string() || t["event"].get<std::string>().empty() ||
                t["event"].get<std::string>().size() > 200)
                bad("prediction spec: $.target.event must be an event name (1-200 characters)");
            s.target_event = t["event"].get<std::string>();
            if (!t.contains("within") || !t["within"].is_string())
                bad("prediction spec: $.target.within must be a duration such as \"30 days\"");
            s.within = parse_duration(t["within"].get<std::string>(), "prediction spec: $.target.within");
        } else if (k == "traits") {
            const Json& a = it.value();
            if (!a.is_array()) bad("prediction spec: $.traits must be an array of computed trait names");
            for (size_t i = 0; i < a.size(); ++i) {
                if (!a[i].is_string() || !cdp::profile::valid_trait_name(a[i].get<std::string>()))
                    bad("prediction spec: $.traits[" + std::to_string(i) + "] must be a computed trait name");
                s.traits.push_back(a[i].get<std::string>());
            }
            if (s.traits.size() > 50) bad("prediction spec: $.traits: at most 50");
        } else if (k == "l2") {
            s.l2 = number_at(it.value(), "prediction spec: $.l2");
            if (s.l2 < 0 || s.l2 > 1e6) bad("prediction spec: $.l2 must be between 0 and 1e6");
        } else if (k == "min_positives") {
            double v = number_at(it.value(), "prediction spec: $.min_positives");
            if (v < 1 || v > 1e6 || v != std::floor(v))
                bad("prediction spec: $.min_positives must be an integer 1..1e6");
            s.min_positives = int(v);
        } else {
            bad("prediction spec: $." + k.substr(0, 100) + ": unknown key",
                "Keys: target, traits, l2, min_positives.");
        }
    }
    if (s.target_event.empty())
        bad("prediction spec: $.target is required",
            "{\"target\":{\"event\":\"Order Completed\",\"within\":\"30 days\"}}");
    return s;
}

namespace {
// A condition on profiles.traits (trait) or profiles.computed (computed).
std::string condition_sql(const std::string& col, const std::string& key, const std::string& op,
                          const Json* value, const std::string& path) {
    const std::string ref = "p." + col + " -> " + lit(key);
    if (op == "exists") return "p." + col + " ? " + lit(key);
    if (op == "not_exists") return "NOT p." + col + " ? " + lit(key);
    if (!value) bad(path + ".value is required for op \"" + op + "\"");
    const std::string v = lit(cdp::json::dump(*value)) + "::jsonb";
    if (op == "eq") return ref + " = " + v;
    if (op == "ne") return ref + " IS DISTINCT FROM " + v;
    std::string sqlop;
    if (op == "gt")
        sqlop = ">";
    else if (op == "gte")
        sqlop = ">=";
    else if (op == "lt")
        sqlop = "<";
    else if (op == "lte")
        sqlop = "<=";
    else
        bad(path + ".op: unknown op \"" + op.substr(0, 50) + "\"",
            "Ops: eq ne gt gte lt lte exists not_exists.");
    if (!value->is_number()) bad(path + ".value must be a number for op \"" + op + "\"");
    return "(jsonb_typeof(" + ref + ") = 'number' AND (" + ref + ")::numeric " + sqlop + " " +
           num(value->get<double>()) + ")";
}
}  // namespace

ScoreSpec compile_score(std::string_view text) {
    Json j = parse_object(text, "score rules");
    Json rules;
    ScoreSpec out;
    std::string base = "$";
    if (j.is_array()) {
        rules = j;
    } else if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it)
            if (it.key() != "rules" && it.key() != "cap")
                bad("score rules: $." + it.key().substr(0, 100) + ": unknown key", "Keys: rules, cap.");
        if (!j.contains("rules")) bad("score rules: $.rules is required");
        rules = j["rules"];
        base = "$.rules";
        if (j.contains("cap")) {
            out.cap = number_at(j["cap"], "score rules: $.cap");
            if (out.cap <= 0) bad("score rules: $.cap must be positive");
        }
    } else {
        bad("score rules: $ must be an array of rules or {\"rules\":[...], \"cap\":n}");
    }
    if (!rules.is_array() || rules.empty()) bad("score rules: " + base + " must be a non-empty array");
    if (rules.size() > 100) bad("score rules: " + base + ": at most 100 rules");
    std::vector<std::string> parts;
    for (size_t i = 0; i < rules.size(); ++i) {
        const std::string path = "score rules: " + base + "[" + std::to_string(i) + "]";
        const Json& r = rules[i];
        if (!r.is_object()) bad(path + " must be an object");
        for (auto it = r.begin(); it != r.end(); ++it) {
            static const char* keys[] = {"event", "trait",  "computed",  "op",
                                         "value", "points", "half_life", "within"};
            bool ok = false;
            for (const char* k : keys) ok = ok || it.key() == k;
            if (!ok)
                bad(path + "." + it.key().substr(0, 100) + ": unknown key",
                    "Keys: event | trait | computed, op, value, points, half_life, within.");
        }
        if (!r.contains("points")) bad(path + ".points is required");
        const double pts = number_at(r["points"], path + ".points");
        const int kinds = int(r.contains("event")) + int(r.contains("trait")) + int(r.contains("computed"));
        if (kinds != 1) bad(path + ": exactly one of event, trait, computed");
        if (r.contains("event")) {
            if (!r["event"].is_string() || r["event"].get<std::string>().empty() ||
                r["event"].get<std::string>().size() > 200)
                bad(path + ".event must be an event name");
            if (r.contains("op") || r.contains("value"))
                bad(path + ": op and value apply to trait conditions");
            std::string w =
                "e.event = " + lit(r["event"].get<std::string>()) + " AND e.occurred_at <= $1::timestamptz";
            if (r.contains("within")) {
                if (!r["within"].is_string()) bad(path + ".within must be a duration");
                w += " AND e.occurred_at > $1::timestamptz - make_interval(secs => " +
                     num(parse_duration(r["within"].get<std::string>(), path + ".within")) + ")";
            }
            std::string p = num(pts);
            if (r.contains("half_life")) {
                if (!r["half_life"].is_string()) bad(path + ".half_life must be a duration");
                const double hl = parse_duration(r["half_life"].get<std::string>(), path + ".half_life");
                p +=
                    " * power(0.5::float8, extract(epoch FROM ($1::timestamptz - e.occurred_at))::float8 / " +
                    num(hl) + ")";
            }
            std::string q = "SELECT r.customer_id, sum(";
            q += p;
            q += ")::float8 AS points FROM cdp.events e JOIN cdp.records r ON r.record_id = e.record_id "
                 "WHERE r.customer_id IS NOT NULL AND ";
            q += w;
            q += " GROUP BY r.customer_id";
            parts.push_back(std::move(q));
        } else {
            const bool trait = r.contains("trait");
            const Json& k = trait ? r["trait"] : r["computed"];
            if (!k.is_string() || k.get<std::string>().empty() || k.get<std::string>().size() > 200)
                bad(path + (trait ? ".trait" : ".computed") + " must be a name");
            if (r.contains("half_life") || r.contains("within"))
                bad(path + ": half_life and within apply to event rules");
            const std::string op =
                r.contains("op") && r["op"].is_string() ? r["op"].get<std::string>() : "exists";
            if (r.contains("op") && !r["op"].is_string()) bad(path + ".op must be a string");
            const Json* v = r.contains("value") ? &r["value"] : nullptr;
            parts.push_back("SELECT p.customer_id, " + num(pts) +
                            "::float8 AS points FROM cdp.profiles p WHERE " +
                            condition_sql(trait ? "traits" : "computed", k.get<std::string>(), op, v, path));
        }
    }
    std::string u;
    for (size_t i = 0; i < parts.size(); ++i) u += (i ? " UNION ALL " : "") + parts[i];
    std::string total = "sum(x.points)";
    if (out.cap > 0) total = "least(" + total + ", " + num(out.cap) + ")";
    out.sql = "SELECT x.customer_id, " + total + "::float8 AS v FROM (" + u + ") x GROUP BY x.customer_id";
    out.rules = rules.size();
    return out;
}

std::string model_to_json(const StoredModel& m) {
    Json j;
    j["kind"] = m.boosted ? "gradient_boosting" : "logistic_regression";
    j["horizon_seconds"] = m.horizon;
    j["types"] = m.fs.types;
    j["order_type"] = m.fs.order_type == UINT32_MAX ? -1 : int64_t(m.fs.order_type);
    j["target_type"] = m.fs.target_type == UINT32_MAX ? -1 : int64_t(m.fs.target_type);
    j["count_types"] = m.fs.count_types;
    j["traits"] = m.fs.traits;
    j["features"] = m.lr.names;
    j["mean"] = m.lr.mean;
    j["scale"] = m.lr.scale;
    j["weights"] = m.lr.w;
    j["bias"] = m.lr.bias;
    if (m.boosted) {
        j["base"] = m.gbt.base;
        j["learning_rate"] = m.gbt.learning_rate;
        Json trees = Json::array();
        for (const auto& t : m.gbt.trees) {
            Json nodes = Json::array();
            for (const auto& nd : t) nodes.push_back({nd.feature, nd.threshold, nd.left, nd.right, nd.value});
            trees.push_back(nodes);
        }
        j["trees"] = trees;
    }
    return cdp::json::dump(j);
}

StoredModel model_from_json(std::string_view text) {
    StoredModel m;
    try {
        Json j = Json::parse(text.begin(), text.end());
        m.horizon = j.at("horizon_seconds").get<double>();
        m.fs.types = j.at("types").get<std::vector<std::string>>();
        int64_t o = j.at("order_type").get<int64_t>(), t = j.at("target_type").get<int64_t>();
        m.fs.order_type = o < 0 ? UINT32_MAX : uint32_t(o);
        m.fs.target_type = t < 0 ? UINT32_MAX : uint32_t(t);
        m.fs.count_types = j.at("count_types").get<std::vector<uint32_t>>();
        m.fs.traits = j.at("traits").get<std::vector<std::string>>();
        m.lr.names = j.at("features").get<std::vector<std::string>>();
        m.lr.mean = j.at("mean").get<std::vector<double>>();
        m.lr.scale = j.at("scale").get<std::vector<double>>();
        m.lr.w = j.at("weights").get<std::vector<double>>();
        m.lr.bias = j.at("bias").get<double>();
        m.boosted = j.at("kind").get<std::string>() == "gradient_boosting";
        if (m.boosted) {
            m.gbt.base = j.at("base").get<double>();
            m.gbt.learning_rate = j.at("learning_rate").get<double>();
            for (const auto& t : j.at("trees")) {
                std::vector<TreeNode> nodes;
                for (const auto& a : t) {
                    TreeNode nd;
                    nd.feature = a.at(0).get<int>();
                    nd.threshold = a.at(1).get<double>();
                    nd.left = a.at(2).get<int>();
                    nd.right = a.at(3).get<int>();
                    nd.value = a.at(4).get<double>();
                    nodes.push_back(nd);
                }
                m.gbt.trees.push_back(std::move(nodes));
            }
        }
    } catch (const std::exception&) {
        throw cdp::Error("stored prediction model is unreadable", sqlstate::kDataException, {},
                         "Train it again with cdp.train_prediction(name).");
    }
    const size_t d = m.lr.names.size();
    if (m.lr.mean.size() != d || m.lr.scale.size() != d || m.lr.w.size() != d)
        throw cdp::Error("stored prediction model is inconsistent", sqlstate::kDataException);
    for (const auto& t : m.gbt.trees) {
        if (t.empty()) throw cdp::Error("stored prediction model is inconsistent", sqlstate::kDataException);
        for (size_t k = 0; k < t.size(); ++k) {
            const auto& nd = t[k];
            if (nd.feature >= int(d) ||
                (nd.feature >= 0 && (nd.left <= int(k) || nd.right <= int(k) || nd.left >= int(t.size()) ||
                                     nd.right >= int(t.size()))))
                throw cdp::Error("stored prediction model is inconsistent", sqlstate::kDataException);
        }
    }
    return m;
}

double model_proba(const StoredModel& m, const double* x) {
    return m.boosted ? gbt_proba(m.gbt, x) : predict_proba(m.lr, x);
}

std::string report_to_json(const StoredModel& m, const TrainReport& r) {
    Json j;
    j["model"] = m.boosted ? "gradient_boosting" : "logistic_regression";
    j["auc"] = r.auc;
    j["candidates"] = {{"logistic_regression", r.auc_logistic}, {"gradient_boosting", r.auc_boosted}};
    j["log_loss"] = r.log_loss;
    j["base_rate"] = r.base_rate;
    j["baselines"] = {{"auc_recency", r.auc_recency}, {"auc_frequency", r.auc_frequency}};
    j["train"] = {{"cutoff", r.train_cutoff}, {"customers", r.train_rows}, {"positives", r.train_positives}};
    j["validation"] = {
        {"cutoff", r.valid_cutoff}, {"customers", r.valid_rows}, {"positives", r.valid_positives}};
    j["scored"] = r.scored;
    Json cal = Json::array();
    for (const auto& c : r.calibration)
        cal.push_back({{"n", c.n}, {"mean_predicted", c.mean_predicted}, {"observed", c.observed}});
    j["calibration"] = cal;
    Json w = Json::array();
    for (size_t i = 0; i < m.lr.names.size(); ++i)
        w.push_back({{"feature", m.lr.names[i]}, {"weight", m.lr.w[i]}});
    j["weights"] = w;
    j["bias"] = m.lr.bias;
    return cdp::json::dump(j);
}

std::string explain_to_json(const StoredModel& m, const std::vector<double>& x, double p) {
    Json j;
    j["model"] = m.boosted ? "gradient_boosting" : "logistic_regression";
    j["probability"] = p;
    j["bias"] = m.boosted ? gbt_bias(m.gbt) : m.lr.bias;
    std::vector<double> c =
        m.boosted ? gbt_contributions(m.gbt, x.data(), x.size()) : contributions(m.lr, x.data());
    std::vector<size_t> idx(c.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(),
                     [&](size_t a, size_t b) { return std::abs(c[a]) > std::abs(c[b]); });
    Json a = Json::array();
    for (size_t i : idx) a.push_back({{"feature", m.lr.names[i]}, {"value", x[i]}, {"contribution", c[i]}});
    j["contributions"] = a;
    return cdp::json::dump(j);
}

std::string send_time_to_json(const SendTime& s, const std::string& timezone, double prior_strength,
                              const std::string& channel) {
    Json j;
    j["dow"] = s.how / 24;
    j["hour"] = s.how % 24;
    j["timezone"] = timezone;
    j["confidence"] = s.confidence;
    j["basis"] = {{"channel", channel},
                  {"events", s.events},
                  {"decided_by", s.decided_by},
                  {"customer_weight", s.weight},
                  {"prior_strength", prior_strength}};
    return cdp::json::dump(j);
}

std::string reason_to_json(const Recommendation& r) {
    Json j;
    switch (r.kind) {
        case Recommendation::kRepeat:
            j["because"] = "bought_before";
            j["product_id"] = r.product;
            break;
        case Recommendation::kSimilar:
            j["because"] = "similar";
            j["product_id"] = r.because;
            j["similarity"] = r.similarity;
            break;
        case Recommendation::kPopular:
            j["because"] = "popular";
            break;
    }
    return cdp::json::dump(j);
}

}  // namespace cdp::predict

namespace cdp::predict {
std::string recommendations_to_json(const std::vector<Recommendation>& recs) {
    cdp::json::Json a = cdp::json::Json::array();
    for (const auto& r : recs)
        a.push_back({{"product_id", r.product},
                     {"score", r.score},
                     {"reason", cdp::json::Json::parse(reason_to_json(r))}});
    return cdp::json::dump(a);
}
}  // namespace cdp::predict
