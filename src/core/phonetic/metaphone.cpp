// Metaphone with jellyfish's rules: the input is lower-cased and NFKD
// decomposed, every word is coded and words are separated by one space, the
// code has no length limit.  fuzzystrmatch's metaphone(text, max) differs
// (it drops spaces, keeps 'B' after 'M' out at the end of a word, needs a
// length): see docs/similarity.md.
#include <string>

#include "core/phonetic/phonetic.h"
#include "core/phonetic/unicode_fold.h"

namespace cdp::phonetic {

namespace {
constexpr char32_t kNone = 0xFFFFFFFFu;  // jellyfish's "*****" past the end

bool in(char32_t c, const char* set) {
    for (; *set; ++set)
        if (c == static_cast<unsigned char>(*set)) return true;
    return false;
}
}  // namespace

std::string metaphone(std::string_view utf8) {
    std::u32string s = detail::lower_nfkd(utf8);
    std::size_t start = 0;
    if (s.size() >= 2) {
        char32_t a = s[0], b = s[1];
        if ((a == 'k' && b == 'n') || (a == 'g' && b == 'n') || (a == 'p' && b == 'n') ||
            (a == 'w' && b == 'r') || (a == 'a' && b == 'e'))
            start = 1;
    }
    const std::u32string_view v(s.data() + start, s.size() - start);
    const std::size_t n = v.size();
    std::string r;
    r.reserve(n + 4);
    for (std::size_t i = 0; i < n; ++i) {
        const char32_t c = v[i];
        const char32_t next = i + 1 < n ? v[i + 1] : kNone;
        const char32_t nextnext = i + 2 < n ? v[i + 2] : kNone;
        const char32_t prev = i > 0 ? v[i - 1] : kNone;
        if (c == next && c != 'c') continue;  // skip doubles except cc
        switch (c) {
            case 'a':
            case 'e':
            case 'i':
            case 'o':
            case 'u':
                if (i == 0 || prev == ' ') r.push_back(static_cast<char>(c));
                break;
            case 'b':
                r.push_back('b');
                break;
            case 'c':
                if ((next == 'i' && nextnext == 'a') || next == 'h') {
                    r.push_back('x');
                    ++i;
                } else if (in(next, "iey")) {
                    r.push_back('s');
                    ++i;
                } else {
                    r.push_back('k');
                }
                break;
            case 'd':
                if (next == 'g' && in(nextnext, "iey")) {
                    r.push_back('j');
                    i += 2;
                } else {
                    r.push_back('t');
                }
                break;
            case 'f':
            case 'j':
            case 'l':
            case 'm':
            case 'n':
            case 'r':
                r.push_back(static_cast<char>(c));
                break;
            case 'g':
                if (in(next, "iey"))
                    r.push_back('j');
                else if (next == 'h' && !in(nextnext, "aeiou"))
                    ++i;
                else
                    r.push_back('k');
                break;
            case 'h':
                if (i == 0 || in(next, "aeiou") || !in(prev, "aeiou")) r.push_back('h');
                break;
            case 'k':
                if (i == 0 || prev != 'c') r.push_back('k');
                break;
            case 'p':
                if (next == 'h') {
                    r.push_back('f');
                    ++i;
                } else {
                    r.push_back('p');
                }
                break;
            case 'q':
                r.push_back('k');
                break;
            case 's':
                if (next == 'h') {
                    r.push_back('x');
                    ++i;
                } else if (next == 'i' && in(nextnext, "oa")) {
                    r.push_back('x');
                    i += 2;
                } else {
                    r.push_back('s');
                }
                break;
            case 't':
                if (next == 'i' && in(nextnext, "oa")) {
                    r.push_back('x');
                } else if (next == 'h') {
                    r.push_back('0');
                    ++i;
                } else if (next != 'c' || nextnext != 'h') {
                    r.push_back('t');
                }
                break;
            case 'v':
                r.push_back('f');
                break;
            case 'w':
                if (i == 0 && next == 'h') {
                    ++i;
                    r.push_back('w');
                } else if (in(next, "aeiou")) {
                    r.push_back('w');
                }
                break;
            case 'x':
                if (i == 0) {
                    r.push_back((next == 'h' || (next == 'i' && in(nextnext, "oa"))) ? 'x' : 's');
                } else {
                    r.push_back('k');
                    r.push_back('s');
                }
                break;
            case 'y':
                if (in(next, "aeiou")) r.push_back('y');
                break;
            case 'z':
                r.push_back('s');
                break;
            case ' ':
                if (!r.empty() && r.back() != ' ') r.push_back(' ');
                break;
            default:
                break;
        }
    }
    for (char& ch : r)
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
    return r;
}

}  // namespace cdp::phonetic
