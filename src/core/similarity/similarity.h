// String similarity on Unicode code points (DESIGN.md section 2).
// Pure C++; no PostgreSQL headers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cdp::similarity {

// Edit distance.  `max` < 0 means unbounded; otherwise the result is
// min(distance, max + 1) and the computation may stop early.
std::int64_t levenshtein(std::u32string_view a, std::u32string_view b, std::int64_t max = -1);

// Jaro similarity in [0,1] (jellyfish semantics).
double jaro(std::u32string_view a, std::u32string_view b);

// Jaro-Winkler, prefix scale 0.1, common prefix capped at 4 (jellyfish).
double jaro_winkler(std::u32string_view a, std::u32string_view b);

}  // namespace cdp::similarity
