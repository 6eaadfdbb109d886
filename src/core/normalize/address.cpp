// normalize::address(): fold to lower-case ASCII, split into words on
// punctuation and space, expand common Italian and English abbreviations on
// word boundaries (docs/normalize.md documents the table), join with one
// space.
#include <cstring>
#include <string>
#include <vector>

#include "core/normalize/fold.h"
#include "core/normalize/normalize.h"

namespace cdp::normalize {

namespace {

// Conditions under which an abbreviation is expanded.
enum Cond : unsigned {
    kAlways = 0,
    kNeedDot = 1,           // written with a period: "sc." but not "sc"
    kNeedSegmentStart = 2,  // first word of the address or after , ; : ( )
    kNeedNumberNext = 4,    // the next word starts with a digit ("n. 12")
    kSuffixOrTitle = 8,     // "st"/"dr": street type after a name, title before one
};

struct Abbrev {
    const char* abbr;       // lower-case, without periods
    const char* expansion;  // as a street type / in the default position
    unsigned cond;
    const char* title;  // kSuffixOrTitle: expansion before a name
};

// Keep in sync with the table in docs/normalize.md.
constexpr Abbrev kAbbrevs[] = {
    // Italian
    {"v", "via", kNeedSegmentStart, nullptr},
    {"str", "strada", kNeedSegmentStart, nullptr},
    {"pza", "piazza", kAlways, nullptr},
    {"pzza", "piazza", kAlways, nullptr},
    {"ple", "piazzale", kAlways, nullptr},
    {"ptta", "piazzetta", kAlways, nullptr},
    {"cso", "corso", kAlways, nullptr},
    {"vle", "viale", kAlways, nullptr},
    {"vlo", "vicolo", kAlways, nullptr},
    {"lgo", "largo", kAlways, nullptr},
    {"cda", "contrada", kAlways, nullptr},
    {"loc", "localita", kAlways, nullptr},
    {"fraz", "frazione", kAlways, nullptr},
    {"sc", "scala", kNeedDot, nullptr},
    {"int", "interno", kNeedDot, nullptr},
    {"pal", "palazzo", kNeedDot, nullptr},
    {"n", "numero", kNeedNumberNext, nullptr},
    {"nr", "numero", kNeedNumberNext, nullptr},
    {"nro", "numero", kNeedNumberNext, nullptr},
    {"num", "numero", kNeedNumberNext, nullptr},
    {"no", "numero", kNeedNumberNext, nullptr},
    {"ss", "strada statale", kNeedNumberNext, nullptr},
    {"sp", "strada provinciale", kNeedNumberNext, nullptr},
    {"sr", "strada regionale", kNeedNumberNext, nullptr},
    // English
    {"st", "street", kSuffixOrTitle, "saint"},
    {"dr", "drive", kSuffixOrTitle, "doctor"},
    {"rd", "road", kAlways, nullptr},
    {"ave", "avenue", kAlways, nullptr},
    {"blvd", "boulevard", kAlways, nullptr},
    {"ln", "lane", kAlways, nullptr},
    {"ct", "court", kAlways, nullptr},
    {"pl", "place", kAlways, nullptr},
    {"sq", "square", kAlways, nullptr},
    {"ter", "terrace", kAlways, nullptr},
    {"terr", "terrace", kAlways, nullptr},
    {"cres", "crescent", kAlways, nullptr},
    {"cir", "circle", kAlways, nullptr},
    {"pde", "parade", kAlways, nullptr},
    {"hwy", "highway", kAlways, nullptr},
    {"pkwy", "parkway", kAlways, nullptr},
    {"mt", "mount", kAlways, nullptr},
    {"apt", "apartment", kAlways, nullptr},
    {"ste", "suite", kAlways, nullptr},
    {"fl", "floor", kAlways, nullptr},
    {"bldg", "building", kAlways, nullptr},
    {"rte", "route", kAlways, nullptr},
};

// Words after which "st"/"dr" is a street type, not a title.
constexpr const char* kUnitWords[] = {"apartment", "suite", "floor",  "unit", "building",
                                      "interno",   "scala", "numero", "piano"};

const Abbrev* find_abbrev(std::string_view w) {
    for (const Abbrev& a : kAbbrevs)
        if (w == a.abbr) return &a;
    return nullptr;
}

struct Word {
    std::string text;  // [a-z0-9]+
    bool dotted = false;
    bool segment_start = false;
    bool segment_end = false;
};

bool is_segment_break(char c) {
    return c == ',' || c == ';' || c == ':' || c == '(' || c == ')' || c == '[' || c == ']' || c == '\n' ||
           c == '\r';
}

// One raw token ([a-z0-9.]+) into words: "p.za" -> "pza" (an abbreviation),
// "j.f.k." -> "jfk" (initials), "v.roma" -> "v." + "roma".
void split_token(const std::string& tok, bool seg_start, bool seg_end, std::vector<Word>& words) {
    std::size_t b = tok.find_first_not_of('.');
    if (b == std::string::npos) return;
    std::size_t e = tok.find_last_not_of('.');
    const bool trailing_dot = e + 1 < tok.size();
    std::string core = tok.substr(b, e + 1 - b);
    if (core.find('.') == std::string::npos) {
        words.push_back({core, trailing_dot, seg_start, seg_end});
        return;
    }
    std::vector<std::string> parts;
    std::string joined;
    bool initials = true;
    std::size_t p = 0;
    while (p <= core.size()) {
        std::size_t d = core.find('.', p);
        if (d == std::string::npos) d = core.size();
        if (d > p) {
            parts.push_back(core.substr(p, d - p));
            joined += parts.back();
            if (d - p != 1) initials = false;
        }
        p = d + 1;
    }
    if (initials || find_abbrev(joined) != nullptr) {
        words.push_back({joined, true, seg_start, seg_end});
        return;
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const bool last = i + 1 == parts.size();
        words.push_back({parts[i], !last || trailing_dot, seg_start && i == 0, seg_end && last});
    }
}

std::vector<Word> tokenize(const std::string& folded) {
    std::vector<Word> words;
    std::string tok;
    bool seg_start = true;  // the next token starts a segment
    bool tok_seg_start = false;
    auto flush = [&](bool seg_end) {
        if (tok.empty()) return;
        const std::size_t before = words.size();
        split_token(tok, tok_seg_start, seg_end, words);
        // A token of periods only carries its segment start to the next word.
        if (words.size() == before && tok_seg_start) seg_start = true;
        tok.clear();
    };
    for (char c : folded) {
        if (detail::is_ascii_alnum(c) || c == '.') {
            if (tok.empty()) {
                tok_seg_start = seg_start;
                seg_start = false;
            }
            tok.push_back(c);
        } else if (is_segment_break(c)) {
            flush(true);
            if (!words.empty()) words.back().segment_end = true;
            seg_start = true;
        } else {
            flush(false);
        }
    }
    flush(true);
    if (!words.empty()) words.back().segment_end = true;
    return words;
}

bool starts_with_digit(const Word* w) { return w != nullptr && detail::is_ascii_digit(w->text[0]); }

bool is_unit_word(const Word* w) {
    if (w == nullptr) return false;
    const Abbrev* a = find_abbrev(w->text);
    const std::string_view t =
        (a != nullptr && a->cond == kAlways) ? std::string_view(a->expansion) : std::string_view(w->text);
    for (const char* u : kUnitWords)
        if (t == u) return true;
    return false;
}

// The expansion of words[i], or nullptr to keep it.
const char* expansion(const std::vector<Word>& words, std::size_t i) {
    const Word& w = words[i];
    const Abbrev* a = find_abbrev(w.text);
    if (a == nullptr) return nullptr;
    const Word* next = i + 1 < words.size() ? &words[i + 1] : nullptr;
    if ((a->cond & kNeedDot) && !w.dotted) return nullptr;
    if ((a->cond & kNeedSegmentStart) && !w.segment_start) return nullptr;
    if ((a->cond & kNeedNumberNext) && !starts_with_digit(next)) return nullptr;
    if (a->cond & kSuffixOrTitle) {
        // "Main St", "Main St 5", "Main St Apt 2", "High St, London": street.
        // "St James Rd", "Dr King Blvd": title.
        const bool suffix = w.segment_end || starts_with_digit(next) || is_unit_word(next);
        return suffix ? a->expansion : a->title;
    }
    return a->expansion;
}

}  // namespace

std::string address(std::string_view raw) {
    const std::vector<Word> words = tokenize(detail::fold_ascii(raw));
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (!out.empty()) out.push_back(' ');
        const char* x = expansion(words, i);
        out += (x != nullptr) ? std::string_view(x) : std::string_view(words[i].text);
    }
    return out;
}

}  // namespace cdp::normalize
