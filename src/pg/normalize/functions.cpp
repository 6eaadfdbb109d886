// SQL-callable normalisers (docs/normalize.md): cdp.normalize_email,
// cdp.normalize_phone, cdp.normalize_name, cdp.normalize_address.
#include "pg/common/pg.h"

#include <optional>
#include <string>

#include "core/normalize/normalize.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/normalize/gucs.h"

namespace {

Datum optional_text(FunctionCallInfo fcinfo, const std::optional<std::string>& s) {
    if (!s) {
        fcinfo->isnull = true;
        return static_cast<Datum>(0);
    }
    return cdp::pg::text_datum(*s);
}

const char* default_region() { return cdp::pg::normalize::region(); }

}  // namespace

// cdp.normalize_email(email text) -> text; provider rules from cdp.email_provider_rules.
CDP_FUNCTION(cdp_normalize_email) {
    cdp::normalize::EmailOptions opts;
    opts.provider_rules = cdp::pg::normalize::email_provider_rules;
    return optional_text(fcinfo, cdp::normalize::email(cdp::pg::text_arg(fcinfo, 0), opts));
}

// cdp.normalize_email(email text, provider_rules boolean) -> text.
CDP_FUNCTION(cdp_normalize_email_rules) {
    cdp::normalize::EmailOptions opts;
    opts.provider_rules = PG_GETARG_BOOL(1);
    return optional_text(fcinfo, cdp::normalize::email(cdp::pg::text_arg(fcinfo, 0), opts));
}

// cdp.normalize_phone(phone text) -> text; region from cdp.default_region.
CDP_FUNCTION(cdp_normalize_phone) {
    return optional_text(fcinfo, cdp::normalize::phone(cdp::pg::text_arg(fcinfo, 0), default_region()));
}

// cdp.normalize_phone(phone text, region text) -> text.
CDP_FUNCTION(cdp_normalize_phone_region) {
    return optional_text(fcinfo,
                         cdp::normalize::phone(cdp::pg::text_arg(fcinfo, 0), cdp::pg::text_arg(fcinfo, 1)));
}

CDP_FUNCTION(cdp_normalize_name) {
    return cdp::pg::text_datum(cdp::normalize::name(cdp::pg::text_arg(fcinfo, 0)));
}

CDP_FUNCTION(cdp_normalize_address) {
    return cdp::pg::text_datum(cdp::normalize::address(cdp::pg::text_arg(fcinfo, 0)));
}
