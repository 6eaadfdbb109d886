// Token dictionaries (token_dict.h): encoding, union, order, and the score
// bound of a query against a dictionary.
#include "core/namematch/token_dict.h"

#include <algorithm>
#include <cstring>

#include "core/common/utf8.h"
#include "core/similarity/similarity.h"

namespace cdp::namematch {

namespace {
std::uint16_t read_u16(const char* p) {
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    return static_cast<std::uint16_t>(b[0] | (b[1] << 8));
}

bool is_ascii(std::string_view s) {
    unsigned char any = 0;
    for (unsigned char c : s) any |= c;
    return any < 0x80;
}

void append_entry(std::string& out, std::string_view text, std::uint8_t mmask, std::uint16_t ph1,
                  std::uint16_t ph2) {
    out.push_back(static_cast<char>(text.size() | (is_ascii(text) ? 0u : 0x80u)));
    out.push_back(static_cast<char>(mmask));
    out.push_back(static_cast<char>(ph1 & 0xFF));
    out.push_back(static_cast<char>(ph1 >> 8));
    out.push_back(static_cast<char>(ph2 & 0xFF));
    out.push_back(static_cast<char>(ph2 >> 8));
    out.append(text);
}

// Bytewise order of texts (std::string_view::compare is bytewise on char
// traits; made explicit for signed char platforms).
int text_compare(std::string_view a, std::string_view b) {
    const std::size_t n = std::min(a.size(), b.size());
    const int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
    if (c != 0) return c;
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

bool bytes_equal(const char* a, const char* b, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return false;
    return true;
}

// within_one_edit on bytes (ASCII texts: bytes are code points); loops
// instead of memcmp calls: tokens are a few bytes long.
bool one_edit_bytes(std::string_view a, std::string_view b) {
    if (a.size() > b.size()) std::swap(a, b);
    const std::size_t la = a.size(), lb = b.size();
    if (lb - la > 1) return false;
    const char* p = a.data();
    const char* q = b.data();
    std::size_t i = 0;
    while (i < la && p[i] == q[i]) ++i;
    if (i == la) return true;
    if (la == lb) {
        if (bytes_equal(p + i + 1, q + i + 1, la - i - 1)) return true;
        return i + 1 < la && p[i] == q[i + 1] && p[i + 1] == q[i] &&
               bytes_equal(p + i + 2, q + i + 2, la - i - 2);
    }
    return bytes_equal(p + i, q + i + 1, la - i);
}

std::uint32_t text_hash(std::string_view s) { return key_hash(KeyKind::kDeletion, s); }
}  // namespace

std::uint8_t token_count_bit(std::size_t m) {
    if (m == 0) return 0;
    return static_cast<std::uint8_t>(1u << (std::min<std::size_t>(m, kTokenCountClasses) - 1));
}

std::uint16_t phonetic_hash16(std::string_view code) {
    if (code.empty()) return 0;
    const std::uint32_t h = key_hash(KeyKind::kPhonetic, code);
    const auto v = static_cast<std::uint16_t>(h ^ (h >> 16));
    return v == 0 ? 1 : v;
}

bool DictReader::next(DictEntry& e) {
    if (p_.empty()) return false;
    if (p_.size() < kDictEntryHeader) {
        ok_ = false;
        return false;
    }
    const unsigned head = static_cast<unsigned char>(p_[0]);
    const std::size_t len = head & 0x7Fu;
    e.ascii = (head & 0x80u) == 0;
    if (p_.size() < kDictEntryHeader + len) {
        ok_ = false;
        return false;
    }
    e.mmask = static_cast<std::uint8_t>(p_[1]);
    e.ph1 = read_u16(p_.data() + 2);
    e.ph2 = read_u16(p_.data() + 4);
    e.text = p_.substr(kDictEntryHeader, len);
    e.bytes = kDictEntryHeader + len;
    p_.remove_prefix(e.bytes);
    return true;
}

bool encode_name_dict(const Name& name, std::string& out) {
    out.clear();
    std::vector<const Token*> toks;
    toks.reserve(name.tokens.size());
    for (const auto& t : name.tokens) {
        if (t.text.size() > kDictMaxTokenBytes) return false;
        toks.push_back(&t);
    }
    std::sort(toks.begin(), toks.end(),
              [](const Token* a, const Token* b) { return text_compare(a->text, b->text) < 0; });
    std::string_view prev;
    bool first = true;
    for (const Token* t : toks) {
        if (!first && t->text == prev) continue;
        first = false;
        prev = t->text;
        append_entry(out, t->text, token_count_bit(name.tokens.size()), phonetic_hash16(t->dm_primary),
                     phonetic_hash16(t->dm_alternate));
    }
    return true;
}

bool merge_dicts(const std::vector<std::string_view>& dicts, std::size_t max_bytes, std::string& out) {
    out.clear();
    std::vector<DictEntry> all;
    for (auto d : dicts) {
        DictReader r(d);
        DictEntry e;
        while (r.next(e)) all.push_back(e);
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const DictEntry& a, const DictEntry& b) { return text_compare(a.text, b.text) < 0; });
    std::size_t total = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (i > 0 && all[i].text == all[i - 1].text) continue;
        total += all[i].bytes;
        if (total > max_bytes) return false;
    }
    out.reserve(total);
    for (std::size_t i = 0; i < all.size();) {
        std::size_t j = i;
        std::uint8_t mask = 0;
        for (; j < all.size() && all[j].text == all[i].text; ++j)
            mask = static_cast<std::uint8_t>(mask | all[j].mmask);
        append_entry(out, all[i].text, mask, all[i].ph1, all[i].ph2);
        i = j;
    }
    return true;
}

std::size_t dict_added_bytes(std::string_view base, std::string_view add) {
    DictReader rb(base), ra(add);
    DictEntry b, a;
    bool hb = rb.next(b);
    std::size_t added = 0;
    while (ra.next(a)) {
        while (hb && text_compare(b.text, a.text) < 0) hb = rb.next(b);
        if (!hb || b.text != a.text) added += a.bytes;
    }
    return added;
}

int dict_compare(std::string_view a, std::string_view b) {
    DictReader ra(a), rb(b);
    DictEntry ea, eb;
    for (;;) {
        const bool ha = ra.next(ea), hb = rb.next(eb);
        if (!ha || !hb) return ha == hb ? 0 : (ha ? 1 : -1);
        const int c = text_compare(ea.text, eb.text);
        if (c != 0) return c;
    }
}

std::string_view dict_first_token(std::string_view dict) {
    DictReader r(dict);
    DictEntry e;
    return r.next(e) ? e.text : std::string_view{};
}

DictQuery::DictQuery(const Name& query) {
    toks_.reserve(query.tokens.size());
    for (const auto& t : query.tokens) {
        QToken q;
        q.text = t.text;
        q.cps = t.cps;
        q.ncp = t.cps.size();
        q.ascii = is_ascii(t.text);
        q.ph1 = phonetic_hash16(t.dm_primary);
        q.ph2 = phonetic_hash16(t.dm_alternate);
        if (t.nick) {
            std::vector<std::size_t> order(t.nick->related.size());
            for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
            std::vector<std::uint32_t> hashes(order.size());
            for (std::size_t i = 0; i < order.size(); ++i) hashes[i] = text_hash(t.nick->related[i].first);
            std::sort(order.begin(), order.end(),
                      [&](std::size_t a, std::size_t b) { return hashes[a] < hashes[b]; });
            for (std::size_t i : order) {
                const std::string_view text = t.nick->related[i].first;
                q.nick.emplace_back(hashes[i], t.nick->related[i].second);
                q.nick_texts.emplace_back(text);
                if (!text.empty())
                    nick_filter_[text.size() % 32] |= std::uint64_t{1}
                                                      << (static_cast<unsigned char>(text[0]) % 64);
            }
        }
        toks_.push_back(std::move(q));
    }
}

DictQuery::EntryFacts DictQuery::facts(const DictEntry& e) const {
    EntryFacts f;
    f.ascii = e.ascii;
    f.ncp = e.ascii ? e.text.size() : code_points(e.text);
    if (!e.text.empty() &&
        ((nick_filter_[e.text.size() % 32] >> (static_cast<unsigned char>(e.text[0]) % 64)) & 1u)) {
        f.maybe_nick = true;
        f.hash = text_hash(e.text);
    }
    return f;
}

double DictQuery::entry_level(std::size_t i, const DictEntry& e) const { return level(i, e, facts(e)); }

double DictQuery::level(std::size_t i, const DictEntry& e, const EntryFacts& f) const {
    const QToken& x = toks_[i];
    const std::string_view y = e.text;
    if (y == x.text) return 1.0;
    const std::size_t ny = f.ncp;
    if (x.ncp == 0 || ny == 0) return 0.0;
    if (x.ncp == 1 || ny == 1) {
        if (x.ncp == 1 && ny > 1 && y.substr(0, x.text.size()) == x.text) return kInitial;
        if (ny == 1 && x.ncp > 1 && std::string_view(x.text).substr(0, y.size()) == y) return kInitial;
        return 0.0;
    }
    double s = 0.0;
    if (f.maybe_nick && !x.nick.empty()) {
        const std::uint32_t h = f.hash;
        auto it = std::lower_bound(x.nick.begin(), x.nick.end(), std::make_pair(h, -1.0));
        for (; it != x.nick.end() && it->first == h; ++it)
            if (x.nick_texts[static_cast<std::size_t>(it - x.nick.begin())] == y) s = std::max(s, it->second);
    }
    if ((e.ph1 != 0 && (e.ph1 == x.ph1 || e.ph1 == x.ph2)) ||
        (e.ph2 != 0 && (e.ph2 == x.ph1 || e.ph2 == x.ph2)))
        s = std::max(s, kPhonetic);
    if (x.ncp <= kMaxTypoLen && ny <= kMaxTypoLen) {
        const std::size_t d = x.ncp > ny ? x.ncp - ny : ny - x.ncp;
        bool one_edit = false;
        std::u32string ycps;
        if (d <= 1) {
            if (x.ascii && f.ascii) {
                one_edit = one_edit_bytes(x.text, y);
            } else {
                ycps = utf8::decode(y);
                one_edit = within_one_edit(x.cps, ycps);
            }
        }
        if (one_edit) {
            if (ycps.empty()) ycps = utf8::decode(y);
            // Same argument order as token_score (canonical by code points).
            const double jw =
                ycps < x.cps ? similarity::jaro_winkler(ycps, x.cps) : similarity::jaro_winkler(x.cps, ycps);
            s = std::max(s, jw);
        } else {
            s = std::max(s, kUnkeyed);
        }
    }
    return std::min(1.0, s);
}

double DictQuery::ascii_level(std::size_t i, const DictEntry& e, bool maybe_nick, std::uint32_t& hash,
                              bool& hashed) const {
    const QToken& x = toks_[i];
    const std::size_t xl = x.text.size(), yl = e.text.size();
    const char* y = e.text.data();
    double l = 0.0;
    if (yl + 1 >= xl && yl <= xl + 1) {
        if (yl == xl && bytes_equal(y, x.text.data(), xl)) return 1.0;
        if (xl >= 2 && yl >= 2 && xl <= kMaxTypoLen && yl <= kMaxTypoLen && one_edit_bytes(x.text, e.text)) {
            const std::u32string ycps(e.text.begin(), e.text.end());
            l = ycps < x.cps ? similarity::jaro_winkler(ycps, x.cps) : similarity::jaro_winkler(x.cps, ycps);
        }
    }
    if (xl == 1) {
        if (yl > 1 && y[0] == x.text[0]) l = std::max(l, kInitial);
        return l;
    }
    if (yl == 1) {
        if (x.text[0] == y[0]) l = std::max(l, kInitial);
        return l;
    }
    if ((e.ph1 != 0 && (e.ph1 == x.ph1 || e.ph1 == x.ph2)) ||
        (e.ph2 != 0 && (e.ph2 == x.ph1 || e.ph2 == x.ph2)))
        l = std::max(l, kPhonetic);
    if (maybe_nick && !x.nick.empty()) {
        if (!hashed) {
            hash = text_hash(e.text);
            hashed = true;
        }
        auto it = std::lower_bound(x.nick.begin(), x.nick.end(), std::make_pair(hash, -1.0));
        for (; it != x.nick.end() && it->first == hash; ++it)
            if (const auto& t = x.nick_texts[static_cast<std::size_t>(it - x.nick.begin())];
                t.size() == yl && bytes_equal(t.data(), y, yl))
                l = std::max(l, it->second);
    }
    return l;
}

template <class Level>
double DictQuery::bound_impl(std::string_view dict, std::size_t m_min, std::size_t m_max,
                             Level level_of) const {
    const std::size_t n = toks_.size();
    if (n == 0) return m_min == 0 ? 1.0 : 0.0;
    // Token-count classes in range: class c holds names with c + 1 tokens
    // (the last class: kTokenCountClasses or more).
    unsigned range = 0;
    for (std::size_t c = 0; c < kTokenCountClasses; ++c) {
        const std::size_t lo = c + 1, hi = c + 1 == kTokenCountClasses ? kMaxTokens : c + 1;
        if (hi >= m_min && lo <= m_max) range |= 1u << c;
    }
    double ub[kTokenCountClasses][kMaxTokens];
    unsigned seen = 0;
    double lv[kMaxTokens];
    DictReader r(dict);
    DictEntry e;
    while (r.next(e)) {
        const unsigned classes = e.mmask & range;
        if (classes == 0) continue;
        level_of(e, lv);
        for (unsigned rest = classes; rest != 0; rest &= rest - 1) {
            const unsigned c = static_cast<unsigned>(__builtin_ctz(rest));
            double* u = ub[c];
            if (!(seen & (1u << c))) {
                for (std::size_t i = 0; i < n; ++i) u[i] = kUnkeyed;
                seen |= 1u << c;
            }
            for (std::size_t i = 0; i < n; ++i) u[i] = std::max(u[i], lv[i]);
        }
    }
    if (!r.ok()) return unknown_upper_bound(m_min, m_max);
    // Names whose token counts have no entry: only names without tokens,
    // which score 0 against a non-empty query.
    double best = 0.0;
    for (unsigned rest = seen; rest != 0; rest &= rest - 1) {
        const unsigned c = static_cast<unsigned>(__builtin_ctz(rest));
        const std::size_t lo = std::max<std::size_t>(m_min, c + 1);
        const std::size_t hi = c + 1 == kTokenCountClasses ? m_max : c + 1;
        best = std::max(best, namematch::upper_bound(ub[c], n, lo, hi));
    }
    return best;
}

double DictQuery::upper_bound(std::string_view dict, std::size_t m_min, std::size_t m_max) const {
    const std::size_t n = toks_.size();
    return bound_impl(dict, m_min, m_max, [&](const DictEntry& e, double* lv) {
        const bool maybe_nick =
            !e.text.empty() &&
            ((nick_filter_[e.text.size() % 32] >> (static_cast<unsigned char>(e.text[0]) % 64)) & 1u);
        std::uint32_t hash = 0;
        bool hashed = false;
        for (std::size_t i = 0; i < n; ++i)
            lv[i] =
                (e.ascii && toks_[i].ascii) ? ascii_level(i, e, maybe_nick, hash, hashed) : entry_level(i, e);
    });
}

double DictQuery::reference_upper_bound(std::string_view dict, std::size_t m_min, std::size_t m_max) const {
    const std::size_t n = toks_.size();
    return bound_impl(dict, m_min, m_max, [&](const DictEntry& e, double* lv) {
        for (std::size_t i = 0; i < n; ++i) lv[i] = entry_level(i, e);
    });
}

double DictQuery::unknown_upper_bound(std::size_t m_min, std::size_t m_max) const {
    const std::size_t n = toks_.size();
    if (n == 0) return m_min == 0 ? 1.0 : 0.0;
    double ub[kMaxTokens];
    for (std::size_t i = 0; i < n; ++i) ub[i] = 1.0;
    return namematch::upper_bound(ub, n, m_min, m_max);
}

}  // namespace cdp::namematch
