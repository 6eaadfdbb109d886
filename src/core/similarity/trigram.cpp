// pg_trgm's similarity(), reproduced exactly (PostgreSQL 15 trgm_op.c
// behaviour; this code is written from the documented behaviour, not copied):
//  * a word is a maximal run of characters for which t_isalnum() holds: for
//    ASCII isalnum(), for other characters iswalnum() of the process's
//    LC_CTYPE (inside the server: the database's LC_CTYPE);
//  * the word is lower-cased (ASCII: tolower; other characters: towlower()),
//    framed as "  word " and cut into overlapping trigrams of characters;
//  * a trigram of three one-byte characters is those three bytes; any other
//    trigram is the first three bytes in memory (little-endian: the low three
//    bytes) of the legacy CRC-32 (reflected table, MSB-first update) of its
//    UTF-8 bytes;
//  * similarity = |A ∩ B| / |A ∪ B| over the distinct trigrams, as float4;
//    0 when either set is empty.
#include <algorithm>
#include <array>
#include <cwctype>
#include <vector>

#include "core/common/interrupt.h"
#include "core/common/utf8.h"
#include "core/similarity/similarity.h"

namespace cdp::similarity {

namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
        t[i] = c;
    }
    return t;
}
constexpr std::array<std::uint32_t, 256> kCrc = make_crc_table();

inline bool ascii_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline unsigned char ascii_lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c + 32) : c;
}

// Decode one code point at s[i] (input is valid UTF-8 inside PostgreSQL; bad
// bytes are treated as single non-word characters).
inline char32_t next_cp(const unsigned char* s, std::size_t n, std::size_t& i) {
    unsigned char c = s[i];
    if (c < 0x80) {
        ++i;
        return c;
    }
    int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (len == 1 || i + static_cast<std::size_t>(len) > n) {
        ++i;
        return 0xFFFFFFFFu;
    }
    char32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (s[i + static_cast<std::size_t>(k)] & 0x3F);
    i += static_cast<std::size_t>(len);
    return cp;
}

inline bool word_char(char32_t c) {
    if (c < 0x80) return ascii_alnum(static_cast<unsigned char>(c));
    if (c == 0xFFFFFFFFu) return false;
    return std::iswalnum(static_cast<std::wint_t>(c)) != 0;
}

inline char32_t lower(char32_t c) {
    if (c < 0x80) return ascii_lower(static_cast<unsigned char>(c));
    return static_cast<char32_t>(std::towlower(static_cast<std::wint_t>(c)));
}

inline int put_utf8(char32_t cp, unsigned char* out) {
    if (cp < 0x80) {
        out[0] = static_cast<unsigned char>(cp);
        return 1;
    }
    if (cp < 0x800) {
        out[0] = static_cast<unsigned char>(0xC0 | (cp >> 6));
        out[1] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = static_cast<unsigned char>(0xE0 | (cp >> 12));
        out[1] = static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F));
        out[2] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = static_cast<unsigned char>(0xF0 | (cp >> 18));
    out[1] = static_cast<unsigned char>(0x80 | ((cp >> 12) & 0x3F));
    out[2] = static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F));
    out[3] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
    return 4;
}

inline std::uint32_t trigram_key(char32_t a, char32_t b, char32_t c) {
    if (a < 0x80 && b < 0x80 && c < 0x80) return a | (b << 8) | (c << 16);
    unsigned char buf[12];
    int len = put_utf8(a, buf);
    len += put_utf8(b, buf + len);
    len += put_utf8(c, buf + len);
    std::uint32_t crc = 0xFFFFFFFFu;
    for (int k = 0; k < len; ++k) crc = kCrc[((crc >> 24) ^ buf[k]) & 0xFF] ^ (crc << 8);
    crc ^= 0xFFFFFFFFu;
    return crc & 0xFFFFFFu;
}

// Distinct trigram keys of s, sorted, into out.
void trigrams(std::string_view sv, std::vector<std::uint32_t>& out) {
    out.clear();
    const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
    const std::size_t n = sv.size();
    interrupt::Ticker ticker(1 << 16);
    if (utf8::is_ascii(sv)) {
        std::size_t i = 0;
        while (i < n) {
            while (i < n && !ascii_alnum(s[i])) ++i;
            if (i >= n) break;
            unsigned char p0 = ' ', p1 = ' ';
            while (i < n && ascii_alnum(s[i])) {
                ticker.tick();
                const unsigned char c = ascii_lower(s[i++]);
                out.push_back(p0 | (p1 << 8) | (static_cast<std::uint32_t>(c) << 16));
                p0 = p1;
                p1 = c;
            }
            out.push_back(p0 | (p1 << 8) | (static_cast<std::uint32_t>(' ') << 16));
        }
    } else {
        std::size_t i = 0;
        bool in_word = false;
        char32_t p0 = ' ', p1 = ' ';
        while (i < n) {
            ticker.tick();
            const char32_t c = next_cp(s, n, i);
            if (word_char(c)) {
                if (!in_word) {
                    in_word = true;
                    p0 = p1 = ' ';
                }
                const char32_t lc = lower(c);
                out.push_back(trigram_key(p0, p1, lc));
                p0 = p1;
                p1 = lc;
            } else if (in_word) {
                out.push_back(trigram_key(p0, p1, ' '));
                in_word = false;
            }
        }
        if (in_word) out.push_back(trigram_key(p0, p1, ' '));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

}  // namespace

float trigram_similarity_utf8(std::string_view a, std::string_view b) {
    thread_local std::vector<std::uint32_t> ta, tb;
    trigrams(a, ta);
    trigrams(b, tb);
    if (ta.empty() || tb.empty()) return 0.0f;
    std::size_t i = 0, j = 0, common = 0;
    while (i < ta.size() && j < tb.size()) {
        if (ta[i] < tb[j]) {
            ++i;
        } else if (ta[i] > tb[j]) {
            ++j;
        } else {
            ++common;
            ++i;
            ++j;
        }
    }
    const float c = static_cast<float>(common);
    return c / static_cast<float>(ta.size() + tb.size() - common);
}

}  // namespace cdp::similarity
