#include "core/phonetic/unicode_fold.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include "core/common/error.h"
#include "core/common/utf8.h"

namespace cdp::phonetic::detail {

namespace {

const icu::Normalizer2& nfkd() {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKDInstance(status);
    if (U_FAILURE(status) || n == nullptr)
        throw Error("ICU NFKD normaliser unavailable", sqlstate::kInternalError, u_errorName(status));
    return *n;
}

icu::UnicodeString from_utf8(std::string_view s) {
    return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

std::u32string to_u32(const icu::UnicodeString& u) {
    std::u32string out;
    out.reserve(static_cast<std::size_t>(u.length()));
    for (int32_t i = 0; i < u.length();) {
        UChar32 c = u.char32At(i);
        out.push_back(static_cast<char32_t>(c));
        i += U16_LENGTH(c);
    }
    return out;
}

}  // namespace

std::u32string lower_nfkd(std::string_view utf8) {
    if (utf8::is_ascii(utf8)) {
        std::u32string out(utf8.size(), U'\0');
        for (std::size_t i = 0; i < utf8.size(); ++i) {
            unsigned char c = static_cast<unsigned char>(utf8[i]);
            out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char32_t>(c + 32) : c;
        }
        return out;
    }
    utf8::decode(utf8);  // validates (throws 22021 on bad input)
    icu::UnicodeString u = from_utf8(utf8);
    u.toLower(icu::Locale::getRoot());
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString d = nfkd().normalize(u, status);
    if (U_FAILURE(status))
        throw Error("NFKD normalisation failed", sqlstate::kInternalError, u_errorName(status));
    return to_u32(d);
}

std::u32string upper(std::string_view utf8) {
    if (utf8::is_ascii(utf8)) {
        std::u32string out(utf8.size(), U'\0');
        for (std::size_t i = 0; i < utf8.size(); ++i) {
            unsigned char c = static_cast<unsigned char>(utf8[i]);
            out[i] = (c >= 'a' && c <= 'z') ? static_cast<char32_t>(c - 32) : c;
        }
        return out;
    }
    utf8::decode(utf8);
    icu::UnicodeString u = from_utf8(utf8);
    u.toUpper(icu::Locale::getRoot());
    return to_u32(u);
}

char32_t fold_to_ascii_letter(char32_t cp) {
    if (cp < 0x80) return cp;
    icu::UnicodeString d;
    if (!nfkd().getDecomposition(static_cast<UChar32>(cp), d) || d.length() == 0) return cp;
    UChar32 first = d.char32At(0);
    if ((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z')) return static_cast<char32_t>(first);
    return cp;
}

}  // namespace cdp::phonetic::detail
