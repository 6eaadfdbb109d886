// See rfm.h.
#include "core/profile/rfm.h"

namespace cdp::profile {

int rfm_score_higher_better(double value, const std::array<double, 4>& cuts) {
    int s = 1;
    for (double c : cuts)
        if (value > c) ++s;
    return s;
}

int rfm_score_lower_better(double value, const std::array<double, 4>& cuts) {
    int s = 5;
    for (double c : cuts)
        if (value > c) --s;
    return s;
}

const char* rfm_segment(int r, int f) {
    // Rows R = 5..1, columns F = 1..5.
    static const char* const kGrid[5][5] = {
        {"New Customers", "Potential Loyalists", "Potential Loyalists", "Champions", "Champions"},
        {"Promising", "Potential Loyalists", "Potential Loyalists", "Loyal Customers", "Loyal Customers"},
        {"About to Sleep", "About to Sleep", "Need Attention", "Loyal Customers", "Loyal Customers"},
        {"Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"},
        {"Lost", "Lost", "At Risk", "At Risk", "Can't Lose Them"},
    };
    if (r < 1 || r > 5 || f < 1 || f > 5) return "";
    return kGrid[5 - r][f - 1];
}

}  // namespace cdp::profile
