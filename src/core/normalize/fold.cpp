// fold_ascii(): NFKC + ICU "Any-Latin; Latin-ASCII" + ASCII lower-case.
#include "core/normalize/fold.h"

#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <memory>
#include <string>

#include "core/common/error.h"
#include "core/common/interrupt.h"

namespace cdp::normalize::detail {

namespace {

// Chunks: cut at ASCII white space once a chunk has kMinChunk bytes, or at a
// code point boundary at kMaxChunk bytes when there is no white space.
constexpr std::size_t kMinChunk = 16 * 1024;
constexpr std::size_t kMaxChunk = 64 * 1024;

bool is_apostrophe(UChar32 c) {
    switch (c) {
        case 0x0027:  // '
        case 0x0060:  // `
        case 0x00B4:  // ´ acute accent
        case 0x02B9:  // ʹ modifier prime (Cyrillic soft sign in ICU output)
        case 0x02BB:  // ʻ okina
        case 0x02BC:  // ʼ modifier apostrophe
        case 0x02BD:  // ʽ
        case 0x02BE:  // ʾ
        case 0x02BF:  // ʿ
        case 0x02C8:  // ˈ
        case 0x055A:  // ՚ Armenian apostrophe
        case 0x2018:  // ‘
        case 0x2019:  // ’
        case 0x201B:  // ‛
        case 0x2032:  // ′ prime
        case 0xA78B:  // Ꞌ saltillo
        case 0xA78C:  // ꞌ
        case 0xFF07:  // ＇ fullwidth apostrophe
            return true;
        default:
            return false;
    }
}

// Built on the first non-ASCII input of the process (~35 ms) and kept: one
// per backend.  Postgres backends are single-threaded; the core is not used
// from several threads.
const icu::Transliterator& to_ascii_transliterator() {
    static std::unique_ptr<icu::Transliterator> instance;
    if (!instance) {
        UErrorCode status = U_ZERO_ERROR;
        instance.reset(icu::Transliterator::createInstance("Any-Latin; Latin-ASCII", UTRANS_FORWARD, status));
        if (U_FAILURE(status) || !instance) {
            instance.reset();
            throw Error(std::string("ICU transliterator \"Any-Latin; Latin-ASCII\" is not available: ") +
                            u_errorName(status),
                        sqlstate::kInternalError);
        }
    }
    return *instance;
}

const icu::Normalizer2& nfkc() {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(status);
    if (U_FAILURE(status) || n == nullptr)
        throw Error(std::string("ICU NFKC normaliser is not available: ") + u_errorName(status),
                    sqlstate::kInternalError);
    return *n;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

void fold_ascii_chunk(std::string_view s, std::string& out) {
    out.reserve(out.size() + s.size());
    for (char c : s) {
        if (c == '\'' || c == '`') continue;
        out.push_back(lower(c));
    }
}

void fold_unicode_chunk(std::string_view s, std::string& out) {
    icu::UnicodeString in =
        icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
    icu::UnicodeString kept;
    for (int32_t i = 0; i < in.length();) {
        UChar32 c = in.char32At(i);
        if (!is_apostrophe(c)) kept.append(c);
        i += U16_LENGTH(c);
    }
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString text = nfkc().normalize(kept, status);
    if (U_FAILURE(status))
        throw Error(std::string("ICU NFKC normalisation failed: ") + u_errorName(status),
                    sqlstate::kInternalError);
    to_ascii_transliterator().transliterate(text);
    for (int32_t i = 0; i < text.length();) {
        UChar32 c = text.char32At(i);
        i += U16_LENGTH(c);
        if (c < 0x80) {
            auto a = static_cast<char>(c);
            if (a == '\'' || a == '`') continue;
            out.push_back(lower(a));
            continue;
        }
        if (is_apostrophe(c)) continue;
        int8_t type = u_charType(c);
        if (type == U_MODIFIER_LETTER || type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK ||
            type == U_COMBINING_SPACING_MARK || type == U_FORMAT_CHAR)
            continue;
        out.push_back(' ');
    }
}

bool ascii_only(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

}  // namespace

std::string fold_ascii(std::string_view raw) {
    std::string out;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        std::size_t end = raw.size();
        if (end - pos > kMaxChunk) {
            end = pos + kMinChunk;
            const std::size_t limit = pos + kMaxChunk;
            while (end < limit && raw[end] != ' ' && raw[end] != '\n' && raw[end] != '\t') ++end;
            // No white space: cut before a UTF-8 lead byte.
            while (end > pos + 1 && (static_cast<unsigned char>(raw[end]) & 0xC0) == 0x80) --end;
            interrupt::poll();
        }
        std::string_view chunk = raw.substr(pos, end - pos);
        if (ascii_only(chunk))
            fold_ascii_chunk(chunk, out);
        else
            fold_unicode_chunk(chunk, out);
        pos = end;
    }
    return out;
}

}  // namespace cdp::normalize::detail
