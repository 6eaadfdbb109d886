// Policy settings: the cdp.* settings that change identity or privacy policy
// (PGC_SUSET; SET granted to cdp_admin in the area's install fragment, see
// docs/operations.md).  An area declares each of its policy settings next to
// its definition:
//
//   CDP_POLICY_SETTING("cdp.max_cluster_records");
//
// PostgreSQL keeps a value given for a cdp.* setting before the library is
// loaded as a placeholder and re-checks it when the setting is defined.  A
// value from an unprivileged role is then dropped with a WARNING, which is
// safe for a SET, but a connection option (PGOPTIONS='-c cdp.x=...') has
// replaced the reset value, so dropping it falls back to the built-in default
// and loses a stricter ALTER DATABASE / ALTER ROLE / postgresql.conf value.
// check_policy_placeholders() (called by _PG_init before any definition)
// refuses to load the library in that case: fail closed, with a hint.
#pragma once

namespace cdp::pg {

struct PolicySetting {
    explicit PolicySetting(const char* name) noexcept;  // static registration
};

// ERROR when a registered policy setting has a placeholder reset value set
// by a role that may not set it.  Needs a transaction to read
// pg_parameter_acl; outside one (session_preload_libraries) it checks
// nothing and PostgreSQL's own handling applies.
void check_policy_placeholders();

}  // namespace cdp::pg

#define CDP_POLICY_SETTING_CAT2(a, b) a##b
#define CDP_POLICY_SETTING_CAT(a, b) CDP_POLICY_SETTING_CAT2(a, b)
#define CDP_POLICY_SETTING(name) \
    static const ::cdp::pg::PolicySetting CDP_POLICY_SETTING_CAT(cdp_policy_setting_, __LINE__)(name)
