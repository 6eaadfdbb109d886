#pragma once

namespace cdp {
// Extension version; must equal default_version in cdp.control.
inline constexpr const char* kVersion = "0.2";
}  // namespace cdp
