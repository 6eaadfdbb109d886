// normalize::identifier(): normalisation by identifier type (identity graph).
#include <string>

#include "core/normalize/normalize.h"

namespace cdp::normalize {

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim_ascii(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}
}  // namespace

std::optional<std::string> identifier(std::string_view id_type, std::string_view raw,
                                      std::string_view default_region, const EmailOptions& opts) {
    if (id_type == "email") return email(raw, opts);
    if (id_type == "phone") return phone(raw, default_region);
    std::string_view t = trim_ascii(raw);
    if (t.empty()) return std::nullopt;
    return std::string(t);
}

}  // namespace cdp::normalize
