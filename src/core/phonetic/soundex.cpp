// American Soundex as fuzzystrmatch computes it: leading non-letters are
// skipped, the first letter is kept, a letter whose code equals the code of
// the character just before it is dropped (so H and W, code 0, separate equal
// codes: 'Ashcroft' -> A226, where jellyfish gives A261), codes 0 are not
// written, the result is padded with '0' to 4 characters.  "" without letters.
#include <cstdint>

#include "core/common/utf8.h"
#include "core/phonetic/phonetic.h"
#include "core/phonetic/unicode_fold.h"

namespace cdp::phonetic {

namespace {

constexpr char kCodes[] = "01230120022455012623010202";  // A..Z

bool is_letter(char32_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// Letter -> its digit; anything else keeps its own value (never equals a digit
// of a letter, as in fuzzystrmatch).
char32_t code(char32_t c) {
    if (c >= 'a' && c <= 'z') c -= 32;
    if (c >= 'A' && c <= 'Z') return static_cast<char32_t>(kCodes[c - 'A']);
    return c + 0x100;  // keep non-letters distinct from '0'..'6'
}

template <class Next>
std::string run(Next next) {
    char32_t c = 0;
    while (next(c) && !is_letter(c)) {
    }
    if (!is_letter(c)) return std::string();
    std::string out(1, static_cast<char>(c >= 'a' ? c - 32 : c));
    char32_t prev = c;
    while (out.size() < 4 && next(c)) {
        if (is_letter(c) && code(c) != code(prev)) {
            char32_t d = code(c);
            if (d != '0') out.push_back(static_cast<char>(d));
        }
        prev = c;
    }
    out.resize(4, '0');
    return out;
}

}  // namespace

std::string soundex(std::string_view s) {
    if (utf8::is_ascii(s)) {
        std::size_t i = 0;
        return run([&](char32_t& c) {
            if (i >= s.size()) return false;
            c = static_cast<unsigned char>(s[i++]);
            return true;
        });
    }
    std::u32string u = utf8::decode(s);
    std::size_t i = 0;
    return run([&](char32_t& c) {
        if (i >= u.size()) return false;
        c = detail::fold_to_ascii_letter(u[i++]);
        return true;
    });
}

}  // namespace cdp::phonetic
