// Settings of the normalisers: cdp.default_region, cdp.email_provider_rules.
#pragma once

namespace cdp::pg::normalize {

extern char* default_region;       // cdp.default_region (ISO 3166 alpha-2, default 'IT')
extern bool email_provider_rules;  // cdp.email_provider_rules (default on)

// The current cdp.default_region ('IT' before the setting exists).
const char* region();

}  // namespace cdp::pg::normalize
