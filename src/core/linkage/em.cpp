#include "core/linkage/em.h"

#include <cmath>
#include <cstdlib>

namespace cdp::linkage {

namespace {
bool valid_date(int y, int m, int d) {
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
    static const int dim[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return d <= dim[m - 1];
}
int digit_diffs(int a, int b, int width) {
    int n = 0;
    for (int i = 0; i < width; ++i, a /= 10, b /= 10)
        if (a % 10 != b % 10) ++n;
    return n;
}
}  // namespace

int compare_dates(int y1, int m1, int d1, int y2, int m2, int d2) {
    if (!valid_date(y1, m1, d1) || !valid_date(y2, m2, d2)) return 0;
    if (y1 == y2 && m1 == m2 && d1 == d2) return 4;
    if (y1 == y2 && m1 == d2 && d1 == m2) return 3;
    int diffs = digit_diffs(y1, y2, 4) + digit_diffs(m1, m2, 2) + digit_diffs(d1, d2, 2);
    if (diffs == 1) return 2;
    return 1;
}

std::vector<std::vector<double>> estimate_u(const std::vector<std::vector<uint8_t>>& random_vectors,
                                            const std::vector<int>& levels) {
    std::vector<std::vector<double>> u(levels.size());
    for (std::size_t c = 0; c < levels.size(); ++c) {
        std::vector<double> cnt(levels[c], 0.0);
        for (const auto& v : random_vectors)
            if (c < v.size() && v[c] != 0 && v[c] < levels[c]) cnt[v[c]] += 1;
        double s = 0;
        for (int l = 1; l < levels[c]; ++l) s += cnt[l] + 1;
        u[c].assign(levels[c], 0.0);
        for (int l = 1; l < levels[c]; ++l) u[c][l] = (cnt[l] + 1) / s;
    }
    return u;
}

double match_probability(const EmModel& model, const std::vector<uint8_t>& v) {
    double logbf = std::log(model.lambda / (1.0 - model.lambda));
    for (std::size_t c = 0; c < v.size() && c < model.m.size(); ++c) {
        if (v[c] == 0) continue;
        logbf += std::log(model.m[c][v[c]]) - std::log(model.u[c][v[c]]);
    }
    if (logbf > 700) return 1.0;
    return 1.0 / (1.0 + std::exp(-logbf));
}

namespace {
constexpr double kMaxLambda = 0.5;
void init_m(const std::vector<int>& levels, EmModel& model) {
    const std::size_t nc = levels.size();
    if (model.m.size() == nc) return;
    model.m.assign(nc, {});
    for (std::size_t c = 0; c < nc; ++c) {
        int L = levels[c];
        model.m[c].assign(L, 0.0);
        // Start: mass increasing with the level (higher = more similar).
        double s = 0;
        for (int l = 1; l < L; ++l) s += l * l;
        for (int l = 1; l < L; ++l) model.m[c][l] = l * l / s;
    }
}
}  // namespace

int em_train_weighted(const std::vector<std::vector<uint8_t>>& vectors, const std::vector<double>& counts,
                      const std::vector<int>& levels, EmModel& model, int max_iter, double tol) {
    const std::size_t nc = levels.size();
    init_m(levels, model);
    const double eps = 1e-6;
    double n = 0;
    for (double c : counts) n += c;
    int it = 0;
    for (; it < max_iter; ++it) {
        std::vector<std::vector<double>> acc(nc);
        for (std::size_t c = 0; c < nc; ++c) acc[c].assign(levels[c], 0.0);
        double total = 0;
        for (std::size_t k = 0; k < vectors.size(); ++k) {
            const auto& v = vectors[k];
            double p = match_probability(model, v) * counts[k];
            total += p;
            for (std::size_t c = 0; c < nc; ++c)
                if (v[c] != 0) acc[c][v[c]] += p;
        }
        double new_lambda = n > 0 ? total / n : model.lambda;
        // Matches are assumed to be at most half of the candidate pairs: with
        // u fixed and m free, lambda -> 1 (m = the observed level shares) is
        // a degenerate fixed point of EM.
        new_lambda = std::fmin(std::fmax(new_lambda, eps), kMaxLambda);
        double change = std::fabs(new_lambda - model.lambda);
        for (std::size_t c = 0; c < nc; ++c) {
            double s = 0;
            for (int l = 1; l < levels[c]; ++l) s += acc[c][l];
            for (int l = 1; l < levels[c]; ++l) {
                double nm = s > 0 ? std::fmax(acc[c][l] / s, eps) : model.m[c][l];
                change = std::fmax(change, std::fabs(nm - model.m[c][l]));
                model.m[c][l] = nm;
            }
        }
        model.lambda = new_lambda;
        if (change < tol) {
            ++it;
            break;
        }
    }
    return it;
}

void em_train(const std::vector<std::vector<uint8_t>>& vectors, const std::vector<int>& levels,
              EmModel& model, int max_iter, double tol) {
    std::vector<double> ones(vectors.size(), 1.0);
    em_train_weighted(vectors, ones, levels, model, max_iter, tol);
}

}  // namespace cdp::linkage
