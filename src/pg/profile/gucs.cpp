#include "pg/common/pg.h"

extern "C" {
#include "utils/guc.h"
}

#include "pg/common/init.h"
#include "pg/common/policy.h"
#include "pg/profile/gucs.h"

namespace cdp::pg::profile {

bool consent_default = false;

namespace {
// Policy settings (PGC_SUSET, SET granted to cdp_admin): see pg/common/policy.h.
CDP_POLICY_SETTING("cdp.consent_default");
void define_gucs() {
    DefineCustomBoolVariable("cdp.consent_default",
                             "Answer of cdp.has_consent() for a purpose the customer never decided on.",
                             nullptr, &consent_default, false, PGC_SUSET, 0, nullptr, nullptr, nullptr);
}
CDP_MODULE_INIT(define_gucs);
}  // namespace

}  // namespace cdp::pg::profile
