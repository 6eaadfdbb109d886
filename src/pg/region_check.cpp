// Kept apart from guc.cpp: it includes libphonenumber through the core and
// must not see Postgres macros.  Exposes a C-style predicate to the glue.
#include "core/normalize/normalize.h"

namespace cdp::pg {
bool region_is_known(const char* region) { return cdp::normalize::is_known_region(region); }
}  // namespace cdp::pg
