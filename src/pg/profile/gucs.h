// Settings of profiles and consent: cdp.consent_default.
#pragma once

namespace cdp::pg::profile {

extern bool consent_default;  // cdp.consent_default (default off)

}  // namespace cdp::pg::profile
