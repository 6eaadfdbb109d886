#include "pg/pg.h"

extern "C" {
#include "utils/guc.h"
}

#include <cctype>
#include <cstring>

#include "pg/guc.h"

namespace cdp::pg {
bool region_is_known(const char* region);
}

namespace cdp::pg::guc {

char* default_region = nullptr;
double similarity_threshold = 0.85;
bool defer_resolution = false;
int max_cluster_records = 10000;
bool consent_default = false;
bool email_provider_rules = true;
int bulk_rewrite_min_records = 100000;

namespace {
bool check_region(char** newval, void** /*extra*/, GucSource /*source*/) {
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
    bool known = false;
    try {
        known = region_is_known(v);
    } catch (...) {
        known = false;
    }
    if (!known) {
        GUC_check_errdetail("Region \"%s\" is not known to libphonenumber.", v);
        return false;
    }
    return true;
}
}  // namespace

void define_all() {
    DefineCustomStringVariable(
        "cdp.default_region", "Default ISO 3166-1 region for phone numbers written without a country code.",
        nullptr, &default_region, "IT", PGC_USERSET, 0, check_region, nullptr, nullptr);
    DefineCustomRealVariable(
        "cdp.similarity_threshold", "Threshold of cdp.name_similarity() used by the %~ operator.", nullptr,
        &similarity_threshold, 0.85, 0.0, 1.0, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomBoolVariable(
        "cdp.defer_resolution",
        "Store records without resolving identities; run cdp.resolve_identities() afterwards.", nullptr,
        &defer_resolution, false, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "cdp.max_cluster_records",
        "Largest number of records one customer may hold; bigger merges are refused and logged.", nullptr,
        &max_cluster_records, 10000, 1, INT_MAX, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomBoolVariable("cdp.consent_default",
                             "Answer of cdp.has_consent() for a purpose the customer never decided on.",
                             nullptr, &consent_default, false, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomBoolVariable("cdp.email_provider_rules",
                             "Apply provider rules (gmail dots and +tags) in cdp.normalize_email().", nullptr,
                             &email_provider_rules, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "cdp.bulk_rewrite_min_records",
        "cdp.resolve_identities() rewrites cdp.records in one pass (instead of updating row by row) when at "
        "least this many records, and a quarter of the table, change customer.",
        "The rewrite needs the table's ACCESS EXCLUSIVE lock at once; when another session holds a lock on "
        "cdp.records it falls back to UPDATE. 0 disables the rewrite.",
        &bulk_rewrite_min_records, 100000, 0, INT_MAX, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("cdp");
}

}  // namespace cdp::pg::guc
