// Module start-up registry: each area registers its own start-up function
// (GUC definitions, hooks) with CDP_MODULE_INIT, and _PG_init
// (common/module.cpp) runs them all, so a new area needs no edit here.
#pragma once

namespace cdp::pg {

using InitFn = void (*)();

// Registers fn at load time (static initialisation: no allocation, no
// Postgres call).  Registration beyond the fixed capacity is reported by
// run_module_inits().
struct ModuleInit {
    explicit ModuleInit(InitFn fn) noexcept;
};

// Runs every registered function, in registration order; called once from
// _PG_init.
void run_module_inits();

}  // namespace cdp::pg

#define CDP_MODULE_INIT_CAT2(a, b) a##b
#define CDP_MODULE_INIT_CAT(a, b) CDP_MODULE_INIT_CAT2(a, b)
#define CDP_MODULE_INIT(fn) \
    static const ::cdp::pg::ModuleInit CDP_MODULE_INIT_CAT(cdp_module_init_, __LINE__)(fn)
