// RFM (recency, frequency, monetary) quintile scores and the 11-cell segment
// map.  Cut points are the 20/40/60/80th percentiles (percentile_disc) of
// rfm_recency_days, rfm_frequency and rfm_monetary over the customers with at
// least one order, computed by CALL cdp.refresh_computed_traits().
//
//   frequency/monetary score = 1 + number of cut points the value exceeds
//   recency score            = 5 - number of cut points the value exceeds
//                              (fewer days since the last order is better)
//
// Segment from (R, F), the usual RFM grid:
//   R\F   1            2            3             4            5
//   5     New Customers Potential Loyalists ...   Champions    Champions
//   (see rfm.cpp for the whole table; documented in docs/profile.md)
#pragma once

#include <array>
#include <string>

namespace cdp::profile {

int rfm_score_higher_better(double value, const std::array<double, 4>& cuts);
int rfm_score_lower_better(double value, const std::array<double, 4>& cuts);
// r, f in 1..5; anything else gives "".
const char* rfm_segment(int r, int f);

}  // namespace cdp::profile
