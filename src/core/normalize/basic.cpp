// FIRST CUT (foundation): email, name and address normalisers with ASCII-only
// rules.  Issue 4 replaces name() with ICU transliteration and email() with
// ICU case folding + IDN punycode, and extends address() abbreviations.
#include <cctype>
#include <string>

#include "core/normalize/normalize.h"

namespace cdp::normalize {

namespace {
std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Lower-case, drop apostrophes, other punctuation and space runs -> one space.
std::string words(std::string_view raw) {
    std::string out;
    bool space = false;
    for (unsigned char c : raw) {
        if (c == '\'') continue;
        if (std::isalnum(c) || c >= 0x80) {
            if (space && !out.empty()) out.push_back(' ');
            space = false;
            out.push_back(static_cast<char>(std::tolower(c)));
        } else {
            space = true;
        }
    }
    return out;
}
}  // namespace

std::optional<std::string> email(std::string_view raw, const EmailOptions& opts) {
    std::string s = lower_ascii(trim(raw));
    auto at = s.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 >= s.size()) return std::nullopt;
    std::string local = s.substr(0, at), domain = s.substr(at + 1);
    if (domain.find('.') == std::string::npos || local.find('@') != std::string::npos) return std::nullopt;
    for (char c : s)
        if (std::isspace(static_cast<unsigned char>(c))) return std::nullopt;
    if (opts.provider_rules && (domain == "gmail.com" || domain == "googlemail.com")) {
        auto plus = local.find('+');
        if (plus != std::string::npos) local.resize(plus);
        std::string nodots;
        for (char c : local)
            if (c != '.') nodots.push_back(c);
        local = nodots;
        domain = "gmail.com";
        if (local.empty()) return std::nullopt;
    }
    return local + "@" + domain;
}

std::string name(std::string_view raw) { return words(raw); }

std::string address(std::string_view raw) { return words(raw); }

std::optional<std::string> identifier(std::string_view id_type, std::string_view raw,
                                      std::string_view default_region, const EmailOptions& opts) {
    if (id_type == "email") return email(raw, opts);
    if (id_type == "phone") return phone(raw, default_region);
    std::string_view t = trim(raw);
    if (t.empty()) return std::nullopt;
    return std::string(t);
}

}  // namespace cdp::normalize
