// NYSIIS with jellyfish's rules (upper-cased input, no length limit).
#include <string>

#include "core/common/utf8.h"
#include "core/phonetic/phonetic.h"
#include "core/phonetic/unicode_fold.h"

namespace cdp::phonetic {

namespace {

bool vowel(char32_t c) { return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U'; }

bool starts(const std::u32string& s, const char* p) {
    std::size_t i = 0;
    for (; p[i]; ++i)
        if (i >= s.size() || s[i] != static_cast<unsigned char>(p[i])) return false;
    return true;
}

bool ends(const std::u32string& s, const char* p) {
    std::size_t n = std::char_traits<char>::length(p);
    if (s.size() < n) return false;
    for (std::size_t i = 0; i < n; ++i)
        if (s[s.size() - n + i] != static_cast<unsigned char>(p[i])) return false;
    return true;
}

}  // namespace

std::string nysiis(std::string_view utf8) {
    if (utf8.empty()) return std::string();
    std::u32string s = detail::upper(utf8);
    if (s.empty()) return std::string();
    // step 1: prefixes
    if (starts(s, "MAC")) {
        s.replace(0, 3, U"MCC");
    } else if (starts(s, "KN")) {
        s.erase(0, 1);
    } else if (starts(s, "K")) {
        s[0] = 'C';
    } else if (starts(s, "PH") || starts(s, "PF")) {
        s.replace(0, 2, U"FF");
    } else if (starts(s, "SCH")) {
        s.replace(0, 3, U"SSS");
    }
    // step 2: suffixes
    if (ends(s, "IE") || ends(s, "EE")) {
        s.replace(s.size() - 2, 2, U"Y");
    } else if (ends(s, "DT") || ends(s, "RT") || ends(s, "RD") || ends(s, "NT") || ends(s, "ND")) {
        s.replace(s.size() - 2, 2, U"D");
    }
    // step 3: first character of the key
    std::u32string key(1, s[0]);
    // step 4: translate the rest
    const std::size_t n = s.size();
    for (std::size_t i = 1; i < n; ++i) {
        const char32_t c = s[i];
        char32_t ch[2] = {c, 0};
        int len = 1;
        if (c == 'E' && i + 1 < n && s[i + 1] == 'V') {
            ch[0] = 'A';
            ch[1] = 'F';
            len = 2;
            ++i;
        } else if (vowel(c)) {
            ch[0] = 'A';
        } else if (c == 'Q') {
            ch[0] = 'G';
        } else if (c == 'Z') {
            ch[0] = 'S';
        } else if (c == 'M') {
            ch[0] = 'N';
        } else if (c == 'K') {
            ch[0] = (i + 1 < n && s[i + 1] == 'N') ? 'N' : 'C';
        } else if (c == 'S' && i + 2 < n && s[i + 1] == 'C' && s[i + 2] == 'H') {
            ch[0] = 'S';
            ch[1] = 'S';
            len = 2;
            i += 2;
        } else if (c == 'P' && i + 1 < n && s[i + 1] == 'H') {
            ch[0] = 'F';
            ++i;
        } else if (c == 'H' && (!vowel(s[i - 1]) || (i + 1 < n && !vowel(s[i + 1])) || i + 1 == n)) {
            ch[0] = vowel(s[i - 1]) ? 'A' : s[i - 1];
        } else if (c == 'W' && vowel(s[i - 1])) {
            ch[0] = s[i - 1];
        }
        if (ch[len - 1] != key.back()) key.append(ch, static_cast<std::size_t>(len));
    }
    // step 5: trailing S
    if (key.size() > 1 && key.back() == 'S') key.pop_back();
    // step 6: AY -> Y
    if (key.size() >= 2 && key[key.size() - 2] == 'A' && key.back() == 'Y')
        key.replace(key.size() - 2, 2, U"Y");
    // step 7: trailing A
    if (key.size() > 1 && key.back() == 'A') key.pop_back();
    return utf8::encode(key);
}

}  // namespace cdp::phonetic
