// Normalisers for contact data (docs/normalize.md).  Pure C++ (ICU,
// libphonenumber); no PostgreSQL headers.  Each returns std::nullopt where
// the SQL function returns NULL (not a plausible value).  docs/normalize.md
// documents every rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cdp::normalize {

struct EmailOptions {
    bool provider_rules = true;  // GUC cdp.email_provider_rules
};

// "local@domain": white space trimmed; local part mapped with Unicode
// NFKC_Casefold (ASCII: lower-case; non-ASCII kept as UTF-8, RFC 6531);
// domain through UTS #46 (non-transitional) to ASCII/punycode; gmail.com and
// googlemail.com lose dots and "+tag" in the local part and become gmail.com
// when opts.provider_rules.  nullopt when not a plausible address.
std::optional<std::string> email(std::string_view raw, const EmailOptions& opts = {});

// E.164 ("+390212345678").  `region` is an ISO 3166-1 alpha-2 code (any
// case) used for numbers written without an international prefix; an
// unknown region throws cdp::Error (22023).  nullopt when the text is not a
// valid number for libphonenumber.
std::optional<std::string> phone(std::string_view raw, std::string_view region);

// True when `region` is a two-letter region libphonenumber knows (any case).
bool is_known_region(std::string_view region);

// Lower-case ASCII words separated by one space: NFKC, any script to Latin
// to ASCII (ICU), apostrophes dropped, other punctuation and space runs to
// one space.  "" when nothing is left.
std::string name(std::string_view raw);

// Like name() (apostrophes dropped), plus expansion of common Italian and
// English abbreviations on word boundaries ("p.za" -> "piazza", "st" ->
// "street").
std::string address(std::string_view raw);

// Normalise an identifier value by identifier type (identity graph):
// email -> email(), phone -> phone(default region), anything else -> trimmed
// as is.  Returns nullopt when the value is not usable for that type.
std::optional<std::string> identifier(std::string_view id_type, std::string_view raw,
                                      std::string_view default_region, const EmailOptions& opts = {});

}  // namespace cdp::normalize
