// fold_ascii(): NFKC + ICU "Any-Latin; Latin-ASCII" + ASCII lower-case.
#include "core/normalize/fold.h"

#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "core/common/error.h"
#include "core/common/interrupt.h"

namespace cdp::normalize::detail {

namespace {

// Chunks: cut at ASCII white space once a chunk has kMinChunk bytes, or at a
// code point boundary at kMaxChunk bytes when there is no white space.
constexpr std::size_t kMinChunk = std::size_t{16} * 1024;
constexpr std::size_t kMaxChunk = std::size_t{64} * 1024;

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

std::unique_ptr<icu::Transliterator> make_transliterator(const char* id) {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> t(icu::Transliterator::createInstance(id, UTRANS_FORWARD, status));
    if (U_FAILURE(status) || !t)
        throw Error(std::string("ICU transliterator \"") + id + "\" is not available: " + u_errorName(status),
                    sqlstate::kInternalError);
    return t;
}

// Built on first use (~35 ms for Any-Latin) and kept: one per backend.
// Postgres backends are single-threaded; the core is not used from several
// threads.
const icu::Transliterator& any_to_ascii() {
    static std::unique_ptr<icu::Transliterator> instance;
    if (!instance) instance = make_transliterator("Any-Latin; Latin-ASCII");
    return *instance;
}

const icu::Transliterator& latin_to_ascii() {
    static std::unique_ptr<icu::Transliterator> instance;
    if (!instance) instance = make_transliterator("Latin-ASCII");
    return *instance;
}

// Latin-ASCII of one code point, memoised (bounded by the number of Latin
// and Common code points).  Latin-ASCII maps Latin letters one by one (its
// few context rules only choose the case of "AE"/"Ae", which lower-casing
// erases), so mapping a Latin/Common string code point by code point gives
// what the whole-string transliteration gives, at a fraction of the cost.
const icu::UnicodeString& latin_to_ascii_cp(UChar32 c) {
    static std::unordered_map<UChar32, icu::UnicodeString> memo;
    auto it = memo.find(c);
    if (it != memo.end()) return it->second;
    icu::UnicodeString u(c);
    latin_to_ascii().transliterate(u);
    return memo.emplace(c, u).first->second;
}

// Any-Latin; Latin-ASCII of one white-space-free word, cached: names repeat
// their words (a million customers share a few ten thousand given names and
// surnames) and the transliterator costs 10-60 us per word.  The cache is
// cleared when full, so it stays bounded.
struct UnicodeStringHash {
    std::size_t operator()(const icu::UnicodeString& s) const {
        return static_cast<std::size_t>(s.hashCode());
    }
};
constexpr std::size_t kWordCacheEntries = 16384;
constexpr int32_t kMaxCachedWord = 64;  // UTF-16 units

void append_word(const icu::UnicodeString& word, icu::UnicodeString& out) {
    if (word.length() > kMaxCachedWord) {
        icu::UnicodeString t(word);
        any_to_ascii().transliterate(t);
        out.append(t);
        return;
    }
    static std::unordered_map<icu::UnicodeString, icu::UnicodeString, UnicodeStringHash> cache;
    auto it = cache.find(word);
    if (it == cache.end()) {
        if (cache.size() >= kWordCacheEntries) cache.clear();
        icu::UnicodeString t(word);
        any_to_ascii().transliterate(t);
        it = cache.emplace(word, t).first;
    }
    out.append(it->second);
}

// Transliterate word by word (white space separates; ICU's rules do not
// look across it), so that repeated words hit the cache.
icu::UnicodeString any_to_ascii_by_word(const icu::UnicodeString& text) {
    // A combining mark at the start of a word takes its script from the text
    // before the white space (ICU's script runs do cross it), so such text
    // is transliterated whole.
    bool word_start = true;
    for (int32_t i = 0; i < text.length();) {
        UChar32 c = text.char32At(i);
        i += U16_LENGTH(c);
        if (word_start && (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0) {
            icu::UnicodeString whole(text);
            any_to_ascii().transliterate(whole);
            return whole;
        }
        word_start = u_isUWhiteSpace(c);
    }
    icu::UnicodeString out, word;
    for (int32_t i = 0; i < text.length();) {
        UChar32 c = text.char32At(i);
        i += U16_LENGTH(c);
        if (u_isUWhiteSpace(c)) {
            if (!word.isEmpty()) append_word(word, out);
            word.remove();
            out.append(c);
        } else {
            word.append(c);
        }
    }
    if (!word.isEmpty()) append_word(word, out);
    return out;
}

bool latin_or_common_only(const icu::UnicodeString& s) {
    for (int32_t i = 0; i < s.length();) {
        UChar32 c = s.char32At(i);
        i += U16_LENGTH(c);
        if (c < 0x80) continue;
        UErrorCode status = U_ZERO_ERROR;
        UScriptCode sc = uscript_getScript(c, &status);
        if (U_FAILURE(status) || (sc != USCRIPT_LATIN && sc != USCRIPT_COMMON && sc != USCRIPT_INHERITED))
            return false;
    }
    return true;
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

void fold_unicode_chunk(std::string_view s, std::string& out, bool latin_fast_path) {
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
    if (latin_fast_path && latin_or_common_only(text)) {
        icu::UnicodeString mapped;
        for (int32_t i = 0; i < text.length();) {
            UChar32 c = text.char32At(i);
            i += U16_LENGTH(c);
            if (c < 0x80)
                mapped.append(c);
            else
                mapped.append(latin_to_ascii_cp(c));
        }
        text = mapped;
    } else if (latin_fast_path) {
        text = any_to_ascii_by_word(text);
    } else {
        any_to_ascii().transliterate(text);
    }
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

std::string fold(std::string_view raw, bool latin_fast_path) {
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
            fold_unicode_chunk(chunk, out, latin_fast_path);
        pos = end;
    }
    return out;
}

}  // namespace

std::string fold_ascii(std::string_view raw) { return fold(raw, true); }

std::string fold_ascii_reference(std::string_view raw) { return fold(raw, false); }

}  // namespace cdp::normalize::detail
