// Double Metaphone (Lawrence Philips) with the rules of fuzzystrmatch's
// dmetaphone()/dmetaphone_alt(): both codes are cut to 4 characters.
//
// fuzzystrmatch works on bytes; we work on code points: ASCII is upper-cased,
// Ç/ç and Ñ/ñ are the two non-ASCII letters the algorithm knows (it codes them
// S and N), every other non-ASCII code point is a neutral character that the
// main loop skips.  On ASCII input the result equals fuzzystrmatch's.
#include <cstring>
#include <initializer_list>
#include <string>

#include "core/common/utf8.h"
#include "core/phonetic/phonetic.h"

namespace cdp::phonetic {

namespace {

constexpr char kCedilla = '\x01';  // Ç
constexpr char kNTilde = '\x02';   // Ñ
constexpr char kOther = '\x03';    // any other non-ASCII code point

class Coder {
 public:
    explicit Coder(std::string_view utf8) {
        if (utf8::is_ascii(utf8)) {
            s_.assign(utf8.data(), utf8.size());
            for (char& c : s_)
                if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        } else {
            std::u32string u = utf8::decode(utf8);
            s_.reserve(u.size() + 5);
            for (char32_t c : u) {
                if (c < 0x80)
                    s_.push_back(static_cast<char>((c >= 'a' && c <= 'z') ? c - 32 : c));
                else if (c == U'\u00C7' || c == U'\u00E7')
                    s_.push_back(kCedilla);
                else if (c == U'\u00D1' || c == U'\u00F1')
                    s_.push_back(kNTilde);
                else
                    s_.push_back(kOther);
            }
        }
        length_ = static_cast<int>(s_.size());
        last_ = length_ - 1;
        s_.append("     ");  // pad so that look-ahead never leaves the buffer
        padded_ = static_cast<int>(s_.size());
        slavo_germanic_ = s_.find('W') != std::string::npos || s_.find('K') != std::string::npos ||
                          s_.find("CZ") != std::string::npos;
    }

    DoubleMetaphone run();

 private:
    char at(int pos) const { return (pos < 0 || pos >= padded_) ? '\0' : s_[static_cast<std::size_t>(pos)]; }
    bool vowel(int pos) const {
        char c = at(pos);
        return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U' || c == 'Y';
    }
    // True when one of `tests` (all of the same length) starts at `pos`.
    bool is(int pos, std::initializer_list<const char*> tests) const {
        if (pos < 0 || pos >= padded_) return false;
        for (const char* t : tests) {
            std::size_t n = std::strlen(t);
            if (static_cast<std::size_t>(pos) + n <= s_.size() &&
                s_.compare(static_cast<std::size_t>(pos), n, t) == 0)
                return true;
        }
        return false;
    }
    void add(const char* p, const char* a) {
        primary_ += p;
        alternate_ += a;
    }
    void add(const char* both) { add(both, both); }

    int step_c(int cur);
    int step_g(int cur);
    int step_j(int cur);
    int step_s(int cur);
    int step_w(int cur);

    std::string s_;
    int length_ = 0, last_ = 0, padded_ = 0;
    bool slavo_germanic_ = false;
    std::string primary_, alternate_;
};

int Coder::step_c(int cur) {
    // various Germanic
    if (cur > 1 && !vowel(cur - 2) && is(cur - 1, {"ACH"}) && at(cur + 2) != 'I' &&
        (at(cur + 2) != 'E' || is(cur - 2, {"BACHER", "MACHER"}))) {
        add("K");
        return cur + 2;
    }
    if (cur == 0 && is(cur, {"CAESAR"})) {
        add("S");
        return cur + 2;
    }
    if (is(cur, {"CHIA"})) {  // Italian 'chianti'
        add("K");
        return cur + 2;
    }
    if (is(cur, {"CH"})) {
        if (cur > 0 && is(cur, {"CHAE"})) {  // 'michael'
            add("K", "X");
            return cur + 2;
        }
        if (cur == 0 && (is(cur + 1, {"HARAC", "HARIS"}) || is(cur + 1, {"HOR", "HYM", "HIA", "HEM"})) &&
            !is(0, {"CHORE"})) {  // Greek roots
            add("K");
            return cur + 2;
        }
        if (is(0, {"VAN ", "VON "}) || is(0, {"SCH"}) || is(cur - 2, {"ORCHES", "ARCHIT", "ORCHID"}) ||
            is(cur + 2, {"T", "S"}) ||
            ((is(cur - 1, {"A", "O", "U", "E"}) || cur == 0) &&
             is(cur + 2, {"L", "R", "N", "M", "B", "H", "F", "V", "W", " "}))) {
            add("K");
        } else if (cur > 0) {
            if (is(0, {"MC"}))
                add("K");
            else
                add("X", "K");
        } else {
            add("X");
        }
        return cur + 2;
    }
    if (is(cur, {"CZ"}) && !is(cur - 2, {"WICZ"})) {  // 'czerny'
        add("S", "X");
        return cur + 2;
    }
    if (is(cur + 1, {"CIA"})) {  // 'focaccia'
        add("X");
        return cur + 3;
    }
    if (is(cur, {"CC"}) && !(cur == 1 && at(0) == 'M')) {  // double C, not 'McClellan'
        if (is(cur + 2, {"I", "E", "H"}) && !is(cur + 2, {"HU"})) {
            if ((cur == 1 && at(cur - 1) == 'A') || is(cur - 1, {"UCCEE", "UCCES"}))
                add("KS");  // 'accident', 'succeed'
            else
                add("X");  // 'bacci', 'bertucci'
            return cur + 3;
        }
        add("K");  // Pierce's rule
        return cur + 2;
    }
    if (is(cur, {"CK", "CG", "CQ"})) {
        add("K");
        return cur + 2;
    }
    if (is(cur, {"CI", "CE", "CY"})) {
        if (is(cur, {"CIO", "CIE", "CIA"}))
            add("S", "X");
        else
            add("S");
        return cur + 2;
    }
    add("K");
    if (is(cur + 1, {" C", " Q", " G"})) return cur + 3;  // 'mac caffrey'
    if (is(cur + 1, {"C", "K", "Q"}) && !is(cur + 1, {"CE", "CI"})) return cur + 2;
    return cur + 1;
}

int Coder::step_g(int cur) {
    if (at(cur + 1) == 'H') {
        if (cur > 0 && !vowel(cur - 1)) {
            add("K");
            return cur + 2;
        }
        if (cur == 0) {  // 'ghislane', 'ghiradelli'
            add(at(cur + 2) == 'I' ? "J" : "K");
            return cur + 2;
        }
        // Parker's rule: 'hugh', 'bough', 'broughton'
        if ((cur > 1 && is(cur - 2, {"B", "H", "D"})) || (cur > 2 && is(cur - 3, {"B", "H", "D"})) ||
            (cur > 3 && is(cur - 4, {"B", "H"})))
            return cur + 2;
        if (cur > 2 && at(cur - 1) == 'U' && is(cur - 3, {"C", "G", "L", "R", "T"}))
            add("F");  // 'laugh', 'cough'
        else if (cur > 0 && at(cur - 1) != 'I')
            add("K");
        return cur + 2;
    }
    if (at(cur + 1) == 'N') {
        if (cur == 1 && vowel(0) && !slavo_germanic_)
            add("KN", "N");
        else if (!is(cur + 2, {"EY"}) && at(cur + 1) != 'Y' && !slavo_germanic_)
            add("N", "KN");
        else
            add("KN");
        return cur + 2;
    }
    if (is(cur + 1, {"LI"}) && !slavo_germanic_) {  // 'tagliaro'
        add("KL", "L");
        return cur + 2;
    }
    if (cur == 0 && (at(cur + 1) == 'Y' ||
                     is(cur + 1, {"ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER"}))) {
        add("K", "J");
        return cur + 2;
    }
    if ((is(cur + 1, {"ER"}) || at(cur + 1) == 'Y') && !is(0, {"DANGER", "RANGER", "MANGER"}) &&
        !is(cur - 1, {"E", "I"}) && !is(cur - 1, {"RGY", "OGY"})) {
        add("K", "J");
        return cur + 2;
    }
    if (is(cur + 1, {"E", "I", "Y"}) || is(cur - 1, {"AGGI", "OGGI"})) {  // Italian 'biaggi'
        if (is(0, {"VAN ", "VON "}) || is(0, {"SCH"}) || is(cur + 1, {"ET"}))
            add("K");
        else if (is(cur + 1, {"IER "}))
            add("J");
        else
            add("J", "K");
        return cur + 2;
    }
    add("K");
    return at(cur + 1) == 'G' ? cur + 2 : cur + 1;
}

int Coder::step_j(int cur) {
    if (is(cur, {"JOSE"}) || is(0, {"SAN "})) {  // Spanish 'jose', 'san jacinto'
        if ((cur == 0 && at(cur + 4) == ' ') || is(0, {"SAN "}))
            add("H");
        else
            add("J", "H");
        return cur + 1;
    }
    if (cur == 0 && !is(cur, {"JOSE"})) {
        add("J", "A");  // Yankelovich / Jankelowicz
    } else if (vowel(cur - 1) && !slavo_germanic_ && (at(cur + 1) == 'A' || at(cur + 1) == 'O')) {
        add("J", "H");  // Spanish 'bajador'
    } else if (cur == last_) {
        add("J", "");
    } else if (!is(cur + 1, {"L", "T", "K", "S", "N", "M", "B", "Z"}) && !is(cur - 1, {"S", "K", "L"})) {
        add("J");
    }
    return at(cur + 1) == 'J' ? cur + 2 : cur + 1;
}

int Coder::step_s(int cur) {
    if (is(cur - 1, {"ISL", "YSL"})) return cur + 1;  // 'island', 'carlisle'
    if (cur == 0 && is(cur, {"SUGAR"})) {
        add("X", "S");
        return cur + 1;
    }
    if (is(cur, {"SH"})) {
        if (is(cur + 1, {"HEIM", "HOEK", "HOLM", "HOLZ"}))
            add("S");
        else
            add("X");
        return cur + 2;
    }
    if (is(cur, {"SIO", "SIA"}) || is(cur, {"SIAN"})) {  // Italian, Armenian
        if (!slavo_germanic_)
            add("S", "X");
        else
            add("S");
        return cur + 3;
    }
    if ((cur == 0 && is(cur + 1, {"M", "N", "L", "W"})) || is(cur + 1, {"Z"})) {
        add("S", "X");  // 'smith' ~ 'schmidt'
        return is(cur + 1, {"Z"}) ? cur + 2 : cur + 1;
    }
    if (is(cur, {"SC"})) {
        if (at(cur + 2) == 'H') {  // Schlesinger's rule
            if (is(cur + 3, {"OO", "ER", "EN", "UY", "ED", "EM"})) {
                if (is(cur + 3, {"ER", "EN"}))
                    add("X", "SK");
                else
                    add("SK");
                return cur + 3;
            }
            if (cur == 0 && !vowel(3) && at(3) != 'W')
                add("X", "S");
            else
                add("X");
            return cur + 3;
        }
        if (is(cur + 2, {"I", "E", "Y"})) {
            add("S");
            return cur + 3;
        }
        add("SK");
        return cur + 3;
    }
    if (cur == last_ && is(cur - 2, {"AI", "OI"}))  // French 'resnais'
        add("", "S");
    else
        add("S");
    return is(cur + 1, {"S", "Z"}) ? cur + 2 : cur + 1;
}

int Coder::step_w(int cur) {
    if (is(cur, {"WR"})) {
        add("R");
        return cur + 2;
    }
    if (cur == 0 && (vowel(cur + 1) || is(cur, {"WH"}))) {
        if (vowel(cur + 1))
            add("A", "F");  // Wasserman ~ Vasserman
        else
            add("A");  // Uomo ~ Womo
    }
    if ((cur == last_ && vowel(cur - 1)) || is(cur - 1, {"EWSKI", "EWSKY", "OWSKI", "OWSKY"}) ||
        is(0, {"SCH"})) {
        add("", "F");  // Arnow ~ Arnoff
        return cur + 1;
    }
    if (is(cur, {"WICZ", "WITZ"})) {  // Polish 'filipowicz'
        add("TS", "FX");
        return cur + 4;
    }
    return cur + 1;
}

DoubleMetaphone Coder::run() {
    int cur = 0;
    if (is(0, {"GN", "KN", "PN", "WR", "PS"})) cur += 1;
    if (at(0) == 'X') {  // initial X sounds Z: 'Xavier'
        add("S");
        cur += 1;
    }
    while ((primary_.size() < 4 || alternate_.size() < 4) && cur < length_) {
        const char c = at(cur);
        switch (c) {
            case 'A':
            case 'E':
            case 'I':
            case 'O':
            case 'U':
            case 'Y':
                if (cur == 0) add("A");
                cur += 1;
                break;
            case 'B':
                add("P");
                cur += at(cur + 1) == 'B' ? 2 : 1;
                break;
            case kCedilla:
                add("S");
                cur += 1;
                break;
            case 'C':
                cur = step_c(cur);
                break;
            case 'D':
                if (is(cur, {"DG"})) {
                    if (is(cur + 2, {"I", "E", "Y"})) {
                        add("J");  // 'edge'
                        cur += 3;
                    } else {
                        add("TK");  // 'edgar'
                        cur += 2;
                    }
                } else if (is(cur, {"DT", "DD"})) {
                    add("T");
                    cur += 2;
                } else {
                    add("T");
                    cur += 1;
                }
                break;
            case 'F':
                cur += at(cur + 1) == 'F' ? 2 : 1;
                add("F");
                break;
            case 'G':
                cur = step_g(cur);
                break;
            case 'H':
                if ((cur == 0 || vowel(cur - 1)) && vowel(cur + 1)) {
                    add("H");
                    cur += 2;
                } else {
                    cur += 1;
                }
                break;
            case 'J':
                cur = step_j(cur);
                break;
            case 'K':
                cur += at(cur + 1) == 'K' ? 2 : 1;
                add("K");
                break;
            case 'L':
                if (at(cur + 1) == 'L') {
                    if ((cur == length_ - 3 && is(cur - 1, {"ILLO", "ILLA", "ALLE"})) ||
                        ((is(last_ - 1, {"AS", "OS"}) || is(last_, {"A", "O"})) && is(cur - 1, {"ALLE"}))) {
                        add("L", "");  // Spanish 'cabrillo', 'gallegos'
                        cur += 2;
                        break;
                    }
                    cur += 2;
                } else {
                    cur += 1;
                }
                add("L");
                break;
            case 'M':
                if ((is(cur - 1, {"UMB"}) && (cur + 1 == last_ || is(cur + 2, {"ER"}))) || at(cur + 1) == 'M')
                    cur += 2;  // 'dumb', 'thumb'
                else
                    cur += 1;
                add("M");
                break;
            case 'N':
                cur += at(cur + 1) == 'N' ? 2 : 1;
                add("N");
                break;
            case kNTilde:
                cur += 1;
                add("N");
                break;
            case 'P':
                if (at(cur + 1) == 'H') {
                    add("F");
                    cur += 2;
                    break;
                }
                cur += is(cur + 1, {"P", "B"}) ? 2 : 1;  // 'campbell', 'raspberry'
                add("P");
                break;
            case 'Q':
                cur += at(cur + 1) == 'Q' ? 2 : 1;
                add("K");
                break;
            case 'R':
                if (cur == last_ && !slavo_germanic_ && is(cur - 2, {"IE"}) && !is(cur - 4, {"ME", "MA"}))
                    add("", "R");  // French 'rogier'
                else
                    add("R");
                cur += at(cur + 1) == 'R' ? 2 : 1;
                break;
            case 'S':
                cur = step_s(cur);
                break;
            case 'T':
                if (is(cur, {"TION", "TIA", "TCH"})) {
                    add("X");
                    cur += 3;
                } else if (is(cur, {"TH"}) || is(cur, {"TTH"})) {
                    if (is(cur + 2, {"OM", "AM"}) || is(0, {"VAN ", "VON "}) || is(0, {"SCH"}))
                        add("T");  // 'thomas', 'thames'
                    else
                        add("0", "T");
                    cur += 2;
                } else {
                    cur += is(cur + 1, {"T", "D"}) ? 2 : 1;
                    add("T");
                }
                break;
            case 'V':
                cur += at(cur + 1) == 'V' ? 2 : 1;
                add("F");
                break;
            case 'W':
                cur = step_w(cur);
                break;
            case 'X':
                if (!(cur == last_ && (is(cur - 3, {"IAU", "EAU"}) || is(cur - 2, {"AU", "OU"}))))
                    add("KS");  // not French 'breaux'
                cur += is(cur + 1, {"C", "X"}) ? 2 : 1;
                break;
            case 'Z':
                if (at(cur + 1) == 'H') {  // Chinese pinyin 'zhao'
                    add("J");
                    cur += 2;
                    break;
                }
                if (is(cur + 1, {"ZO", "ZI", "ZA"}) || (slavo_germanic_ && cur > 0 && at(cur - 1) != 'T'))
                    add("S", "TS");
                else
                    add("S");
                cur += at(cur + 1) == 'Z' ? 2 : 1;
                break;
            default:
                cur += 1;
                break;
        }
    }
    if (primary_.size() > 4) primary_.resize(4);
    if (alternate_.size() > 4) alternate_.resize(4);
    return DoubleMetaphone{std::move(primary_), std::move(alternate_)};
}

}  // namespace

DoubleMetaphone double_metaphone(std::string_view utf8) { return Coder(utf8).run(); }

}  // namespace cdp::phonetic
