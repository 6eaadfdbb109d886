// Module entry: PG_MODULE_MAGIC and _PG_init.  Areas register their own
// start-up (GUCs) through CDP_MODULE_INIT (common/init.h).
#include "pg/common/pg.h"

extern "C" {
#include "utils/guc.h"
}

#include "pg/common/boundary.h"
#include "pg/common/compat.h"
#include "pg/common/init.h"
#include "pg/common/policy.h"

namespace cdp::pg {
namespace {
constexpr int kMaxInits = 32;
InitFn inits[kMaxInits];
int n_inits = 0;
bool overflow = false;
}  // namespace

ModuleInit::ModuleInit(InitFn fn) noexcept {
    if (n_inits < kMaxInits)
        inits[n_inits++] = fn;
    else
        overflow = true;
}

void run_module_inits() {
    if (overflow) elog(ERROR, "cdp: more than %d module start-up functions registered", kMaxInits);
    for (int i = 0; i < n_inits; ++i) inits[i]();
}
}  // namespace cdp::pg

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);

void _PG_init(void) {
    cdp::pg::check_policy_placeholders();
    cdp::pg::run_module_inits();
    cdp::pg::compat::reserve_guc_prefix("cdp");
    cdp::pg::install_interrupt_probe();
}
}
