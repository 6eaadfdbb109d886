// normalize::phone(): E.164 via libphonenumber.
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <string>
#include <unordered_map>

#include "core/common/error.h"
#include "core/normalize/normalize.h"

namespace cdp::normalize {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

constexpr std::size_t kMaxPhoneBytes = 256;  // libphonenumber itself stops at 250

bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Upper-cased two-letter code, or "" when it is not two ASCII letters.
std::string region_code(std::string_view region) {
    if (region.size() != 2) return {};
    std::string reg(region);
    for (auto& c : reg) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (c < 'A' || c > 'Z') return {};
    }
    return reg;
}

// For the error message: at most 40 bytes of what the caller passed.
std::string shown(std::string_view region) {
    std::size_t n = region.size() > 40 ? 40 : region.size();
    // Cut on a UTF-8 character boundary (never inside a multi-byte sequence).
    while (n < region.size() && n > 0 && (static_cast<unsigned char>(region[n]) & 0xC0) == 0x80) --n;
    std::string s(region.substr(0, n));
    for (auto& c : s)
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
    return region.size() > 40 ? s + "..." : s;
}

std::optional<std::string> parse_valid(const PhoneNumberUtil& util, const std::string& text,
                                       const std::string& region) {
    PhoneNumber number;
    if (util.Parse(text, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR) return std::nullopt;
    if (!util.IsValidNumber(number)) return std::nullopt;
    std::string out;
    util.Format(number, PhoneNumberUtil::E164, &out);
    return out;
}

// libphonenumber costs 20-50 us a call (ICU regular expressions); the same
// customer's number comes back with every message of an ingest stream, so
// recent results are memoised per backend (bounded: cleared when full).
constexpr std::size_t kCacheEntries = 8192;

std::optional<std::string> parse_e164(const PhoneNumberUtil& util, const std::string& text,
                                      const std::string& reg) {
    if (auto e164 = parse_valid(util, text, reg)) return e164;
    // "00" is the international call prefix of most of the world (ITU-T
    // E.164 recommends it); libphonenumber only accepts the region's own
    // prefix (011 in North America).  When the number is not valid as
    // written, read a leading "00" as "+".
    std::size_t i = 0;
    while (i < text.size() && (is_ascii_space(text[i]) || text[i] == '(')) ++i;
    if (text.compare(i, 2, "00") == 0) return parse_valid(util, "+" + text.substr(i + 2), reg);
    return std::nullopt;
}

}  // namespace

bool is_known_region(std::string_view region) {
    std::string reg = region_code(region);
    if (reg.empty()) return false;
    return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(reg) != 0;
}

std::optional<std::string> phone(std::string_view raw, std::string_view region) {
    std::string reg = region_code(region);
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    if (reg.empty() || util.GetCountryCodeForRegion(reg) == 0)
        throw Error("unknown region \"" + shown(region) + "\" for phone numbers",
                    sqlstate::kInvalidParameterValue,
                    "The region must be an ISO 3166-1 alpha-2 code that libphonenumber knows.",
                    "Use a code such as 'IT', 'GB', 'US' or 'DE'.");
    while (!raw.empty() && is_ascii_space(raw.front())) raw.remove_prefix(1);
    while (!raw.empty() && is_ascii_space(raw.back())) raw.remove_suffix(1);
    if (raw.empty() || raw.size() > kMaxPhoneBytes) return std::nullopt;

    static std::unordered_map<std::string, std::optional<std::string>> cache;
    std::string key = reg;  // two letters, then the text
    key.append(raw.data(), raw.size());
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    std::optional<std::string> result = parse_e164(util, std::string(raw), reg);
    if (cache.size() >= kCacheEntries) cache.clear();
    cache.emplace(std::move(key), result);
    return result;
}

}  // namespace cdp::normalize
