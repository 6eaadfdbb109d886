#include "core/predict/sendtime.h"

#include <algorithm>
#include <cmath>

namespace cdp::predict {

Hist population_distribution(const Hist& pooled) {
    Hist p{};
    double total = 0;
    for (int h = 0; h < kHoursOfWeek; ++h) {
        p[h] = std::max(0.0, pooled[h]) + 0.5;
        total += p[h];
    }
    for (double& v : p) v /= total;
    return p;
}

double dm_log_likelihood(const std::vector<SparseHist>& customers, const Hist& p, double a) {
    double ll = 0;
    const double la = std::lgamma(a);
    for (const auto& c : customers) {
        double n = 0;
        for (const auto& [h, k] : c) {
            if (h < 0 || h >= kHoursOfWeek || k <= 0) continue;
            const double ap = a * p[h];
            ll += std::lgamma(k + ap) - std::lgamma(ap);
            n += k;
        }
        if (n > 0) ll += la - std::lgamma(n + a);
    }
    return ll;
}

double estimate_prior_strength(const std::vector<SparseHist>& customers, const Hist& p) {
    std::vector<SparseHist> informative;
    for (const auto& c : customers) {
        double n = 0;
        for (const auto& e : c) n += e.second;
        if (n >= 2) informative.push_back(c);
    }
    if (informative.empty()) return kDefaultPriorStrength;
    // Log grid, then golden-section refinement on log(a) around the best.
    const double lo = std::log(0.1), hi = std::log(1e4);
    const int steps = 41;
    int best = 0;
    double best_ll = -INFINITY;
    for (int i = 0; i < steps; ++i) {
        double la = lo + (hi - lo) * i / (steps - 1);
        double ll = dm_log_likelihood(informative, p, std::exp(la));
        if (ll > best_ll) {
            best_ll = ll;
            best = i;
        }
    }
    const double step = (hi - lo) / (steps - 1);
    double a = lo + step * std::max(0, best - 1), b = lo + step * std::min(steps - 1, best + 1);
    const double g = (std::sqrt(5.0) - 1) / 2;
    double x1 = b - g * (b - a), x2 = a + g * (b - a);
    double f1 = dm_log_likelihood(informative, p, std::exp(x1));
    double f2 = dm_log_likelihood(informative, p, std::exp(x2));
    for (int it = 0; it < 30; ++it) {
        if (f1 > f2) {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            f1 = dm_log_likelihood(informative, p, std::exp(x1));
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            f2 = dm_log_likelihood(informative, p, std::exp(x2));
        }
    }
    return std::exp((a + b) / 2);
}

Hist shrink(const SparseHist& counts, const Hist& p, double a) {
    Hist post{};
    double n = 0;
    for (const auto& [h, k] : counts)
        if (h >= 0 && h < kHoursOfWeek && k > 0) {
            post[h] += k;
            n += k;
        }
    for (int h = 0; h < kHoursOfWeek; ++h) post[h] = (post[h] + a * p[h]) / (n + a);
    return post;
}

std::pair<int, double> best_window(const Hist& dist, int window) {
    int best = 0;
    double best_mass = -1;
    for (int h = 0; h < kHoursOfWeek; ++h) {
        double m = 0;
        for (int d = -window; d <= window; ++d) m += dist[(h + d + kHoursOfWeek) % kHoursOfWeek];
        // Ties (within rounding): the window whose centre holds more.
        if (m > best_mass + 1e-12 || (m > best_mass - 1e-12 && dist[h] > dist[best] + 1e-15)) {
            best_mass = std::max(m, best_mass);
            best = h;
        }
    }
    return {best, best_mass};
}

int mode_hour(const Hist& dist) {
    int best = -1;
    double v = 0;
    for (int h = 0; h < kHoursOfWeek; ++h)
        if (dist[h] > v) {
            v = dist[h];
            best = h;
        }
    return best;
}

SendTime best_send_time(const SparseHist& counts, const Hist& p, double a) {
    SendTime r;
    for (const auto& e : counts)
        if (e.second > 0) r.events += e.second;
    Hist post = shrink(counts, p, a);
    auto [how, mass] = best_window(post);
    r.how = how;
    r.confidence = mass;
    r.weight = r.events / (r.events + a);
    if (r.events <= 0) {
        r.decided_by = "population";
    } else {
        const int pop = best_window(p).first;
        Hist own{};
        for (const auto& [h, k] : counts)
            if (h >= 0 && h < kHoursOfWeek && k > 0) own[h] += k;
        const int mine = best_window(own).first;
        if (how == pop && how != mine)
            r.decided_by = "population";
        else if (how == mine && how != pop)
            r.decided_by = "customer";
        else
            r.decided_by = how == mine ? "customer" : "blend";
    }
    return r;
}

bool within_one_hour(int how, int target) {
    int d = std::abs(how - target) % kHoursOfWeek;
    d = std::min(d, kHoursOfWeek - d);
    return d <= 1;
}

}  // namespace cdp::predict
