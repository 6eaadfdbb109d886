#include "core/predict/propensity.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/common/error.h"
#include "core/common/interrupt.h"

namespace cdp::predict {

namespace {
constexpr double kDay = 86400.0;
constexpr double kWindows[] = {30, 90, 180};
}  // namespace

std::vector<std::string> feature_names(const FeatureSpec& spec) {
    std::vector<std::string> n = {
        "has_order",      "recency_days",   "log_recency_days", "log_frequency", "log_monetary",
        "mean_gap_days",  "sd_gap_days",    "recency_over_gap", "tenure_days",   "log_basket_items",
        "log_orders_30d", "log_orders_90d", "log_orders_180d",  "trend_90d",     "days_since_last_event",
        "log_events_30d", "log_events_90d"};
    for (uint32_t t : spec.count_types)
        for (double w : kWindows)
            n.push_back("log_count_" + (t < spec.types.size() ? spec.types[t] : std::string("?")) + "_" +
                        std::to_string(int(w)) + "d");
    for (const auto& t : spec.traits) n.push_back("trait_" + t);
    return n;
}

bool features_at(const CustomerEvents& c, double cutoff, const FeatureSpec& spec, const double* traits,
                 std::vector<double>& out) {
    out.clear();
    size_t end = 0;
    while (end < c.ev.size() && c.ev[end].t < cutoff) ++end;
    if (end == 0) return false;
    double first = c.ev[0].t, last_event = c.ev[end - 1].t;
    double orders = 0, monetary = 0, items = 0, last_order = -1, first_order = -1;
    double o30 = 0, o90 = 0, o180 = 0, oprev90 = 0, e30 = 0, e90 = 0;
    std::vector<double> gaps;
    std::vector<double> counts(spec.count_types.size() * 3, 0.0);
    for (size_t i = 0; i < end; ++i) {
        const Ev& e = c.ev[i];
        const double age = (cutoff - e.t) / kDay;
        if (age <= 30) ++e30;
        if (age <= 90) ++e90;
        for (size_t k = 0; k < spec.count_types.size(); ++k)
            if (e.type == spec.count_types[k])
                for (int w = 0; w < 3; ++w)
                    if (age <= kWindows[w]) counts[k * 3 + w] += 1;
        if (e.type != spec.order_type) continue;
        if (last_order >= 0) gaps.push_back((e.t - last_order) / kDay);
        if (first_order < 0) first_order = e.t;
        last_order = e.t;
        ++orders;
        monetary += std::max(0.0, e.value);
        items += e.items;
        if (age <= 30) ++o30;
        if (age <= 90)
            ++o90;
        else if (age <= 180)
            ++oprev90;
        if (age <= 180) ++o180;
    }
    const double tenure = (cutoff - first) / kDay;
    const double recency = orders > 0 ? (cutoff - last_order) / kDay : tenure;
    double mean_gap = 0, sd_gap = 0;
    if (!gaps.empty()) {
        mean_gap = std::accumulate(gaps.begin(), gaps.end(), 0.0) / double(gaps.size());
        for (double g : gaps) sd_gap += (g - mean_gap) * (g - mean_gap);
        sd_gap = std::sqrt(sd_gap / double(gaps.size()));
    }
    const double ratio = mean_gap > 0 ? std::min(10.0, recency / mean_gap) : 10.0;
    out = {orders > 0 ? 1.0 : 0.0,
           recency,
           std::log1p(recency),
           std::log1p(orders),
           std::log1p(monetary),
           mean_gap,
           sd_gap,
           ratio,
           tenure,
           std::log1p(orders > 0 ? items / orders : 0.0),
           std::log1p(o30),
           std::log1p(o90),
           std::log1p(o180),
           o90 - oprev90,
           (cutoff - last_event) / kDay,
           std::log1p(e30),
           std::log1p(e90)};
    for (double v : counts) out.push_back(std::log1p(v));
    for (size_t i = 0; i < spec.traits.size(); ++i)
        out.push_back(traits && std::isfinite(traits[i]) ? traits[i] : 0.0);
    return true;
}

bool label_at(const CustomerEvents& c, double cutoff, double horizon, uint32_t target_type) {
    for (const Ev& e : c.ev)
        if (e.type == target_type && e.t >= cutoff && e.t < cutoff + horizon) return true;
    return false;
}

namespace {
double sigmoid(double z) {
    if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
    const double e = std::exp(z);
    return e / (1.0 + e);
}

// Solve A x = b for symmetric positive definite A (n x n, row-major), Cholesky.
bool cholesky_solve(std::vector<double> A, std::vector<double> b, size_t n, std::vector<double>& x) {
    for (size_t j = 0; j < n; ++j) {
        double s = A[j * n + j];
        for (size_t k = 0; k < j; ++k) s -= A[j * n + k] * A[j * n + k];
        if (s <= 1e-300) return false;
        A[j * n + j] = std::sqrt(s);
        for (size_t i = j + 1; i < n; ++i) {
            double t = A[i * n + j];
            for (size_t k = 0; k < j; ++k) t -= A[i * n + k] * A[j * n + k];
            A[i * n + j] = t / A[j * n + j];
        }
    }
    for (size_t i = 0; i < n; ++i) {
        double t = b[i];
        for (size_t k = 0; k < i; ++k) t -= A[i * n + k] * b[k];
        b[i] = t / A[i * n + i];
    }
    for (size_t i = n; i-- > 0;) {
        double t = b[i];
        for (size_t k = i + 1; k < n; ++k) t -= A[k * n + i] * b[k];
        b[i] = t / A[i * n + i];
    }
    x = b;
    return true;
}
}  // namespace

LogReg fit_logreg(const std::vector<double>& X, size_t d, const std::vector<int>& y, double l2) {
    const size_t n = y.size();
    if (d == 0 || X.size() != n * d) throw cdp::Error("fit_logreg: shape mismatch", sqlstate::kInternalError);
    LogReg m;
    m.mean.assign(d, 0.0);
    m.scale.assign(d, 1.0);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < d; ++j) m.mean[j] += X[i * d + j];
    for (double& v : m.mean) v /= double(std::max<size_t>(1, n));
    std::vector<double> var(d, 0.0);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < d; ++j) var[j] += (X[i * d + j] - m.mean[j]) * (X[i * d + j] - m.mean[j]);
    for (size_t j = 0; j < d; ++j) {
        const double sd = std::sqrt(var[j] / double(std::max<size_t>(1, n)));
        m.scale[j] = sd > 1e-12 ? sd : 0.0;  // constant feature: weight stays 0
    }
    const size_t p = d + 1;  // last: bias
    std::vector<double> beta(p, 0.0), z(p);
    double pos = 0;
    for (int v : y) pos += v;
    if (n > 0 && pos > 0 && pos < double(n)) beta[d] = std::log(pos / (double(n) - pos));
    auto objective = [&](const std::vector<double>& b) {
        double f = 0;
        for (size_t i = 0; i < n; ++i) {
            double eta = b[d];
            for (size_t j = 0; j < d; ++j)
                if (m.scale[j] > 0) eta += b[j] * (X[i * d + j] - m.mean[j]) / m.scale[j];
            // log(1 + e^eta) - y eta, stably
            f += (eta > 0 ? eta + std::log1p(std::exp(-eta)) : std::log1p(std::exp(eta))) - y[i] * eta;
        }
        for (size_t j = 0; j < d; ++j) f += 0.5 * l2 * b[j] * b[j];
        return f;
    };
    double fcur = objective(beta);
    cdp::interrupt::Ticker tick(2048);
    for (int it = 0; it < 100; ++it) {
        std::vector<double> g(p, 0.0), H(p * p, 0.0);
        for (size_t i = 0; i < n; ++i) {
            for (size_t j = 0; j < d; ++j)
                z[j] = m.scale[j] > 0 ? (X[i * d + j] - m.mean[j]) / m.scale[j] : 0.0;
            z[d] = 1.0;
            double eta = 0;
            for (size_t j = 0; j < p; ++j) eta += beta[j] * z[j];
            const double mu = sigmoid(eta), w = mu * (1 - mu);
            for (size_t j = 0; j < p; ++j) {
                g[j] += (mu - y[i]) * z[j];
                const double wz = w * z[j];
                for (size_t k = 0; k <= j; ++k) H[j * p + k] += wz * z[k];
            }
            tick.tick();
        }
        for (size_t j = 0; j < p; ++j)
            for (size_t k = 0; k < j; ++k) H[k * p + j] = H[j * p + k];
        for (size_t j = 0; j < d; ++j) {
            g[j] += l2 * beta[j];
            H[j * p + j] += l2 + (m.scale[j] > 0 ? 0.0 : 1.0);
        }
        H[d * p + d] += 1e-9;
        std::vector<double> step;
        if (!cholesky_solve(H, g, p, step)) break;
        double t = 1.0, fnew = 0;
        std::vector<double> cand(p);
        for (int h = 0; h < 30; ++h) {
            for (size_t j = 0; j < p; ++j) cand[j] = beta[j] - t * step[j];
            fnew = objective(cand);
            if (fnew <= fcur + 1e-12) break;
            t /= 2;
        }
        m.iterations = it + 1;
        if (fnew > fcur + 1e-12) break;
        const double gain = fcur - fnew;
        beta = cand;
        fcur = fnew;
        if (gain < 1e-10 * std::max(1.0, std::abs(fcur))) break;
    }
    m.w.assign(beta.begin(), beta.begin() + long(d));
    m.bias = beta[d];
    return m;
}

double predict_proba(const LogReg& m, const double* x) {
    double eta = m.bias;
    for (size_t j = 0; j < m.w.size(); ++j)
        if (m.scale[j] > 0) eta += m.w[j] * (x[j] - m.mean[j]) / m.scale[j];
    return sigmoid(eta);
}

std::vector<double> contributions(const LogReg& m, const double* x) {
    std::vector<double> c(m.w.size(), 0.0);
    for (size_t j = 0; j < m.w.size(); ++j)
        if (m.scale[j] > 0) c[j] = m.w[j] * (x[j] - m.mean[j]) / m.scale[j];
    return c;
}

double auc(const std::vector<double>& score, const std::vector<int>& y) {
    const size_t n = score.size();
    std::vector<size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
    double pos = 0, rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && score[idx[j]] == score[idx[i]]) ++j;
        const double avg = (double(i) + double(j - 1)) / 2.0 + 1.0;
        for (size_t k = i; k < j; ++k)
            if (y[idx[k]]) {
                rank_sum += avg;
                ++pos;
            }
        i = j;
    }
    const double neg = double(n) - pos;
    if (pos == 0 || neg == 0) return 0.5;
    return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg);
}

double log_loss(const std::vector<double>& p, const std::vector<int>& y) {
    double s = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        const double q = std::min(1 - 1e-15, std::max(1e-15, p[i]));
        s -= y[i] ? std::log(q) : std::log(1 - q);
    }
    return p.empty() ? 0.0 : s / double(p.size());
}

std::vector<CalBin> calibration(const std::vector<double>& p, const std::vector<int>& y, int bins) {
    std::vector<size_t> idx(p.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
    std::vector<CalBin> out;
    if (p.empty() || bins <= 0) return out;
    for (int b = 0; b < bins; ++b) {
        size_t lo = idx.size() * size_t(b) / size_t(bins), hi = idx.size() * size_t(b + 1) / size_t(bins);
        if (hi <= lo) continue;
        CalBin c;
        for (size_t k = lo; k < hi; ++k) {
            c.mean_predicted += p[idx[k]];
            c.observed += y[idx[k]];
        }
        c.n = hi - lo;
        c.mean_predicted /= double(c.n);
        c.observed /= double(c.n);
        out.push_back(c);
    }
    return out;
}

}  // namespace cdp::predict
