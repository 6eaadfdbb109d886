// Unicode helpers of the phonetic codes (ICU; internal to src/core/phonetic).
#pragma once

#include <string>
#include <string_view>

namespace cdp::phonetic::detail {

// Full lower-casing (root locale) then NFKD, as jellyfish's
// unicodedata.normalize("NFKD", s.lower()).
std::u32string lower_nfkd(std::string_view utf8);

// Full upper-casing (root locale), as Python's str.upper().
std::u32string upper(std::string_view utf8);

// The base ASCII letter of a precomposed Latin letter ('é' -> 'e', 'Ç' -> 'C'):
// the first code point of its NFKD decomposition when that is an ASCII
// letter; otherwise `cp` unchanged.
char32_t fold_to_ascii_letter(char32_t cp);

}  // namespace cdp::phonetic::detail
