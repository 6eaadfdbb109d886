#include "pg/common/pg.h"

extern "C" {
#include "utils/guc.h"
}

#include "pg/common/init.h"
#include "pg/profile/gucs.h"

namespace cdp::pg::profile {

bool consent_default = false;

namespace {
void define_gucs() {
    DefineCustomBoolVariable("cdp.consent_default",
                             "Answer of cdp.has_consent() for a purpose the customer never decided on.",
                             nullptr, &consent_default, false, PGC_USERSET, 0, nullptr, nullptr, nullptr);
}
CDP_MODULE_INIT(define_gucs);
}  // namespace

}  // namespace cdp::pg::profile
