#include "pg/common/pg.h"

extern "C" {
#include "access/xact.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
}

#include "pg/common/policy.h"

namespace cdp::pg {
namespace {
constexpr int kMaxPolicy = 32;
const char* policy_names[kMaxPolicy];
int n_policy = 0;

// May `role`, in `context`, set the PGC_SUSET setting `name`?  (The rule of
// set_config_option: only PGC_USERSET and PGC_BACKEND need the privilege.)
bool may_set(const char* name, GucContext context, Oid role) {
    if (context != PGC_USERSET && context != PGC_BACKEND) return true;
    return superuser_arg(role) || pg_parameter_aclcheck(name, role, ACL_SET) == ACLCHECK_OK;
}

config_generic* placeholder(const char* name) {
    config_generic** vars = get_guc_variables();
    const int n = GetNumConfigOptions();
    for (int i = 0; i < n; ++i)
        if ((vars[i]->flags & GUC_CUSTOM_PLACEHOLDER) != 0 && pg_strcasecmp(vars[i]->name, name) == 0)
            return vars[i];
    return nullptr;
}
}  // namespace

PolicySetting::PolicySetting(const char* name) noexcept {
    if (n_policy < kMaxPolicy) policy_names[n_policy++] = name;
}

// Runs from _PG_init with no C++ object alive, so ereport may longjmp.
void check_policy_placeholders() {
    if (!IsTransactionState()) return;
    for (int i = 0; i < n_policy; ++i) {
        config_generic* p = placeholder(policy_names[i]);
        if (p == nullptr || p->reset_source <= PGC_S_DEFAULT) continue;
        if (may_set(p->name, p->reset_scontext, p->reset_srole)) continue;
        ereport(
            ERROR,
            (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
             errmsg("permission denied to set parameter \"%s\"", p->name),
             errdetail("The value was given as a connection option by a role that may not set this policy "
                       "setting; dropping it would also drop the database's or role's own value."),
             errhint("Reconnect without the option (RESET goes back to the same value).")));
    }
}

}  // namespace cdp::pg
