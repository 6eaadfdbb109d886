// libFuzzer: the normalisers never crash and their outputs keep their
// invariants: the fast paths of the ASCII folding keep the letters and digits
// of the full ICU transliteration; name/address are lower-case ASCII words separated by one space
// and idempotent; email is NULL or one '@' with an ASCII domain and is
// idempotent; phone is NULL or "+" and 8..15 digits (E.164), and re-reading it
// gives itself.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/common/error.h"
#include "core/common/utf8.h"
#include "core/normalize/fold.h"
#include "core/normalize/normalize.h"

namespace {

bool ascii_words(const std::string& s) {
    if (s.empty()) return true;
    if (s.front() == ' ' || s.back() == ' ') return false;
    char prev = 'x';
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ';
        if (!ok || (c == ' ' && prev == ' ')) return false;
        prev = c;
    }
    return true;
}

// Letters and digits of a folded string, runs of anything else as one space.
std::string alnum_words(const std::string& s) {
    std::string out;
    bool gap = false;
    for (char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (gap && !out.empty()) out.push_back(' ');
            gap = false;
            out.push_back(c);
        } else {
            gap = true;
        }
    }
    return out;
}

void check_email(const std::string& in, bool rules) {
    cdp::normalize::EmailOptions o;
    o.provider_rules = rules;
    auto e = cdp::normalize::email(in, o);
    if (!e) return;
    const auto at = e->find('@');
    if (at == std::string::npos || at == 0 || e->find('@', at + 1) != std::string::npos) std::abort();
    if (e->size() > 254) std::abort();
    for (std::size_t i = at + 1; i < e->size(); ++i) {
        const char c = (*e)[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) std::abort();
    }
    if (cdp::normalize::email(*e, o) != e) std::abort();
}

void check_phone(const std::string& in, const char* region) {
    auto p = cdp::normalize::phone(in, region);
    if (!p) return;
    if (p->size() < 4 || p->size() > 16 || (*p)[0] != '+') std::abort();
    for (std::size_t i = 1; i < p->size(); ++i)
        if ((*p)[i] < '0' || (*p)[i] > '9') std::abort();
    if (cdp::normalize::phone(*p, region) != p) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string in(reinterpret_cast<const char*>(data), size);
    try {
        // The fast paths (Latin code point by code point, other scripts word by
        // word) give the letters and digits the whole-string transliteration
        // gives.  Punctuation may differ: a Greek ';' next to Greek letters
        // becomes '?' in the whole string but stays ';' as a word of its own.
        // Only valid UTF-8 reaches the normalisers from PostgreSQL; on invalid
        // bytes ICU's whole-string path substitutes U+FFFD differently from
        // the fast path, so the equivalence is only required for valid input.
        bool valid = true;
        try {
            (void)cdp::utf8::decode(in);
        } catch (const cdp::Error&) {
            valid = false;
        }
        if (valid && alnum_words(cdp::normalize::detail::fold_ascii(in)) !=
                         alnum_words(cdp::normalize::detail::fold_ascii_reference(in)))
            std::abort();
        const std::string n = cdp::normalize::name(in);
        if (!ascii_words(n) || cdp::normalize::name(n) != n) std::abort();
        const std::string a = cdp::normalize::address(in);
        if (!ascii_words(a) || cdp::normalize::address(a) != a) std::abort();
        check_email(in, true);
        check_email(in, false);
        check_phone(in, size % 2 ? "IT" : "US");
    } catch (const cdp::Error& e) {
        // Only invalid UTF-8 may be refused (PostgreSQL never passes it).
        if (std::string(e.sqlstate()) != "22021") std::abort();
    }
    return 0;
}
