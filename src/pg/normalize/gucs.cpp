#include "pg/common/pg.h"

extern "C" {
#include "utils/guc.h"
}

#include <cctype>
#include <cstring>

#include "pg/common/boundary.h"
#include "pg/common/init.h"
#include "pg/common/policy.h"
#include "pg/normalize/gucs.h"

namespace cdp::pg::normalize {

bool region_is_known(const char* region) noexcept;  // region_check.cpp

char* default_region = nullptr;
bool email_provider_rules = true;

const char* region() { return default_region != nullptr ? default_region : "IT"; }

namespace {
// Policy settings (PGC_SUSET, SET granted to cdp_admin): see pg/common/policy.h.
CDP_POLICY_SETTING("cdp.email_provider_rules");
bool check_region(char** newval, void** /*extra*/, GucSource /*source*/) noexcept {
    char* v = *newval;
    if (v == nullptr) return false;
    if (std::strlen(v) != 2 || !std::isalpha(static_cast<unsigned char>(v[0])) ||
        !std::isalpha(static_cast<unsigned char>(v[1]))) {
        GUC_check_errdetail(
            "cdp.default_region must be a two-letter ISO 3166-1 region code such as 'IT' or 'GB'.");
        return false;
    }
    v[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(v[0])));
    v[1] = static_cast<char>(std::toupper(static_cast<unsigned char>(v[1])));
    if (!region_is_known(v)) {
        GUC_check_errdetail("Region \"%s\" is not known to libphonenumber.", v);
        return false;
    }
    return true;
}

void define_gucs() {
    DefineCustomStringVariable("cdp.default_region",
                               "Default ISO 3166-1 region for phone numbers written without a country code.",
                               nullptr, &default_region, "IT", PGC_USERSET, 0,
                               cdp::pg::pg_callback(&check_region), nullptr, nullptr);
    DefineCustomBoolVariable("cdp.email_provider_rules",
                             "Apply provider rules (gmail dots and +tags) in cdp.normalize_email().", nullptr,
                             &email_provider_rules, true, PGC_SUSET, 0, nullptr, nullptr, nullptr);
}
CDP_MODULE_INIT(define_gucs);
}  // namespace

}  // namespace cdp::pg::normalize
