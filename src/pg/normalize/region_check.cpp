// Kept apart from gucs.cpp: it includes libphonenumber through the core and
// must not see Postgres macros.  Exposes a C-style predicate to the glue.
#include "core/normalize/normalize.h"

namespace cdp::pg::normalize {
bool region_is_known(const char* region) noexcept {
    try {
        return cdp::normalize::is_known_region(region);
    } catch (...) {
        return false;
    }
}
}  // namespace cdp::pg::normalize
