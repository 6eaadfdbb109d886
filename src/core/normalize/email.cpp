// normalize::email(): trim, exactly one '@', local part mapped with Unicode
// NFKC_Casefold (ASCII: lower-case), domain through UTS #46 to ASCII
// (punycode), plausibility checks, gmail/googlemail provider rules.
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uidna.h>
#include <unicode/unistr.h>

#include <string>

#include "core/common/error.h"
#include "core/common/utf8.h"
#include "core/normalize/normalize.h"

namespace cdp::normalize {

namespace {

constexpr std::size_t kMaxRawBytes = 4096;  // longer input: not an address (NULL)
constexpr std::size_t kMaxTrimmedBytes = 1024;
constexpr std::size_t kMaxLocalBytes = 64;    // RFC 5321 4.5.3.1.1 (octets)
constexpr std::size_t kMaxDomainBytes = 253;  // RFC 1035, without the root dot
constexpr std::size_t kMaxLabelBytes = 63;
constexpr std::size_t kMaxAddressBytes = 254;  // RFC 5321 path (256) minus "<>"

bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_at_sign(char32_t c) { return c == 0x40 || c == 0xFF20 || c == 0xFE6B; }

// Code points never allowed anywhere in an address.
bool is_forbidden(char32_t c) {
    if (u_isUWhiteSpace(static_cast<UChar32>(c))) return true;
    switch (u_charType(static_cast<UChar32>(c))) {
        case U_CONTROL_CHAR:
        case U_SURROGATE:
        case U_PRIVATE_USE_CHAR:
        case U_UNASSIGNED:
            return true;
        default:
            return false;
    }
}

// RFC 5322 atext (plus '.', checked separately).
bool is_atext_ascii(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '/':
        case '=':
        case '?':
        case '^':
        case '_':
        case '`':
        case '{':
        case '|':
        case '}':
        case '~':
            return true;
        default:
            return false;
    }
}

const icu::Normalizer2& nfkc_casefold() {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_FAILURE(status) || n == nullptr)
        throw Error(std::string("ICU NFKC_Casefold normaliser is not available: ") + u_errorName(status),
                    sqlstate::kInternalError);
    return *n;
}

// UTS #46, non-transitional (ß and ς are kept, as browsers do since 2023),
// STD3 ASCII rules (letters, digits, hyphen), CONTEXTJ and Bidi checks.
const UIDNA* uts46() {
    static UIDNA* idna = nullptr;
    if (idna == nullptr) {
        UErrorCode status = U_ZERO_ERROR;
        idna = uidna_openUTS46(
            UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ | UIDNA_USE_STD3_RULES,
            &status);
        if (U_FAILURE(status)) {
            idna = nullptr;
            throw Error(std::string("ICU UTS #46 IDNA is not available: ") + u_errorName(status),
                        sqlstate::kInternalError);
        }
    }
    return idna;
}

// Local part: mapped and checked as a dot-atom (RFC 5322) whose atoms may
// also hold non-ASCII code points (RFC 6531).  nullopt when implausible.
std::optional<std::string> map_local(std::u32string_view local) {
    bool ascii = true;
    for (char32_t c : local) {
        if (is_forbidden(c)) return std::nullopt;
        if (c >= 0x80) ascii = false;
    }
    std::string mapped;
    if (ascii) {
        for (char32_t c : local)
            mapped.push_back(static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c));
    } else {
        icu::UnicodeString u;
        for (char32_t c : local) u.append(static_cast<UChar32>(c));
        UErrorCode status = U_ZERO_ERROR;
        icu::UnicodeString folded = nfkc_casefold().normalize(u, status);
        if (U_FAILURE(status)) return std::nullopt;
        folded.toUTF8String(mapped);
    }
    if (mapped.empty() || mapped.size() > kMaxLocalBytes) return std::nullopt;
    if (mapped.front() == '.' || mapped.back() == '.' || mapped.find("..") != std::string::npos)
        return std::nullopt;
    // Non-ASCII code points must be letters or digits (documented rule);
    // a combining mark only after a letter or digit of the same atom, so a
    // local part of emoji, symbols or bare combining marks is refused.
    bool base_before = false;
    for (char32_t c : utf8::decode(mapped)) {
        if (c < 0x80) {
            if (c == '.') {
                base_before = false;
                continue;
            }
            if (!is_atext_ascii(static_cast<char>(c))) return std::nullopt;
            base_before = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            continue;
        }
        if (is_forbidden(c)) return std::nullopt;
        const auto mask = U_GET_GC_MASK(static_cast<UChar32>(c));
        if ((mask & (U_GC_L_MASK | U_GC_N_MASK)) != 0) {
            base_before = true;
        } else if ((mask & U_GC_M_MASK) != 0) {
            if (!base_before) return std::nullopt;
        } else {
            return std::nullopt;
        }
    }
    return mapped;
}

std::optional<std::string> map_domain(std::u32string_view domain) {
    for (char32_t c : domain)
        if (is_forbidden(c)) return std::nullopt;
    const std::string utf8 = utf8::encode(domain);
    char buf[1024];
    UIDNAInfo info = UIDNA_INFO_INITIALIZER;
    UErrorCode status = U_ZERO_ERROR;
    int32_t n = uidna_nameToASCII_UTF8(uts46(), utf8.data(), static_cast<int32_t>(utf8.size()), buf,
                                       static_cast<int32_t>(sizeof buf), &info, &status);
    if (U_FAILURE(status) || info.errors != 0 || n <= 0 || n >= static_cast<int32_t>(sizeof buf))
        return std::nullopt;
    std::string ascii(buf, static_cast<std::size_t>(n));
    if (ascii.size() > kMaxDomainBytes || ascii.back() == '.') return std::nullopt;
    // At least two labels, each 1..63 bytes; the top-level label is not all digits.
    std::size_t start = 0, labels = 0;
    bool last_all_digits = false;
    while (start <= ascii.size()) {
        std::size_t dot = ascii.find('.', start);
        std::size_t end = (dot == std::string::npos) ? ascii.size() : dot;
        std::size_t len = end - start;
        if (len == 0 || len > kMaxLabelBytes) return std::nullopt;
        ++labels;
        last_all_digits = true;
        for (std::size_t i = start; i < end; ++i)
            if (ascii[i] < '0' || ascii[i] > '9') last_all_digits = false;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    if (labels < 2 || last_all_digits) return std::nullopt;
    return ascii;
}

}  // namespace

std::optional<std::string> email(std::string_view raw, const EmailOptions& opts) {
    while (!raw.empty() && is_ascii_space(raw.front())) raw.remove_prefix(1);
    while (!raw.empty() && is_ascii_space(raw.back())) raw.remove_suffix(1);
    if (raw.empty() || raw.size() > kMaxRawBytes) return std::nullopt;
    std::u32string cps = utf8::decode(raw);
    std::u32string_view s(cps);
    while (!s.empty() && u_isUWhiteSpace(static_cast<UChar32>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && u_isUWhiteSpace(static_cast<UChar32>(s.back()))) s.remove_suffix(1);
    if (utf8::encode(s).size() > kMaxTrimmedBytes) return std::nullopt;

    std::size_t at = std::u32string_view::npos;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (!is_at_sign(s[i])) continue;
        if (at != std::u32string_view::npos) return std::nullopt;  // more than one '@'
        at = i;
    }
    if (at == std::u32string_view::npos || at == 0 || at + 1 == s.size()) return std::nullopt;

    std::optional<std::string> local = map_local(s.substr(0, at));
    if (!local) return std::nullopt;
    std::optional<std::string> domain = map_domain(s.substr(at + 1));
    if (!domain) return std::nullopt;

    if (opts.provider_rules && (*domain == "gmail.com" || *domain == "googlemail.com")) {
        // Gmail ignores dots in the local part and delivers user+tag to user.
        std::string bare;
        for (char c : *local) {
            if (c == '+') break;
            if (c != '.') bare.push_back(c);
        }
        if (bare.empty()) return std::nullopt;
        *local = std::move(bare);
        *domain = "gmail.com";
    }
    std::string out = *local + "@" + *domain;
    if (out.size() > kMaxAddressBytes) return std::nullopt;
    return out;
}

}  // namespace cdp::normalize
