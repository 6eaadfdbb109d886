// Normalisers for contact data (DESIGN.md section 1).  Pure C++ (ICU,
// libphonenumber); no PostgreSQL headers.  Each returns std::nullopt where
// the SQL function returns NULL (not a plausible value).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cdp::normalize {

struct EmailOptions {
    bool provider_rules = true;  // GUC cdp.email_provider_rules
};

std::optional<std::string> email(std::string_view raw, const EmailOptions& opts = {});

// E.164 ("+390212345678").  `region` is an ISO 3166-1 alpha-2 code used for
// numbers written without an international prefix.
std::optional<std::string> phone(std::string_view raw, std::string_view region);

// True when `region` is a region libphonenumber knows (for GUC validation).
bool is_known_region(std::string_view region);

std::string name(std::string_view raw);
std::string address(std::string_view raw);

// Normalise an identifier value by identifier type (identity graph):
// email -> email(), phone -> phone(default region), anything else -> trimmed
// as is.  Returns nullopt when the value is not usable for that type.
std::optional<std::string> identifier(std::string_view id_type, std::string_view raw,
                                      std::string_view default_region, const EmailOptions& opts = {});

}  // namespace cdp::normalize
