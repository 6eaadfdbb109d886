// Phonetic codes of names (docs/similarity.md).  Pure C++; no PostgreSQL
// headers.  Input is UTF-8 and is processed as Unicode code points.
//
//   soundex           fuzzystrmatch soundex() on ASCII (American Soundex with
//                     fuzzystrmatch's H/W rule); accented Latin letters are
//                     folded to their base letter first (jellyfish does the
//                     same through NFKD).  "" when there is no letter.
//   metaphone         jellyfish metaphone(): whole string, words separated by
//                     one space, no length limit.
//   nysiis            jellyfish nysiis().
//   double_metaphone  fuzzystrmatch dmetaphone()/dmetaphone_alt() (4-character
//                     codes).  Ç/ç and Ñ/ñ are the letters the algorithm knows;
//                     other non-ASCII code points are skipped.
#pragma once

#include <string>
#include <string_view>

namespace cdp::phonetic {

std::string soundex(std::string_view utf8);
std::string metaphone(std::string_view utf8);
std::string nysiis(std::string_view utf8);

struct DoubleMetaphone {
    std::string primary, alternate;
};
DoubleMetaphone double_metaphone(std::string_view utf8);

}  // namespace cdp::phonetic
