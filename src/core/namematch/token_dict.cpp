// Token dictionaries (token_dict.h): encoding, union, order, and the score
// bound of a query against a dictionary.
#include "core/namematch/token_dict.h"

#include <algorithm>

#include "core/common/utf8.h"
#include "core/similarity/similarity.h"

namespace cdp::namematch {

namespace {
std::uint16_t read_u16(const char* p) {
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    return static_cast<std::uint16_t>(b[0] | (b[1] << 8));
}

void append_entry(std::string& out, std::string_view text, std::uint8_t mmask, std::uint16_t ph1,
                  std::uint16_t ph2) {
    out.push_back(static_cast<char>(text.size() | (utf8::is_ascii(text) ? 0u : 0x80u)));
    out.push_back(static_cast<char>(mmask));
    out.push_back(static_cast<char>(ph1 & 0xFF));
    out.push_back(static_cast<char>(ph1 >> 8));
    out.push_back(static_cast<char>(ph2 & 0xFF));
    out.push_back(static_cast<char>(ph2 >> 8));
    out.append(text);
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
    std::sort(toks.begin(), toks.end(), [](const Token* a, const Token* b) { return a->text < b->text; });
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
                     [](const DictEntry& a, const DictEntry& b) { return a.text < b.text; });
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
        while (hb && b.text < a.text) hb = rb.next(b);
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
        const int c = ea.text.compare(eb.text);
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
        q.ascii = utf8::is_ascii(t.text);
        q.ph1 = phonetic_hash16(t.dm_primary);
        q.ph2 = phonetic_hash16(t.dm_alternate);
        if (t.nick) {
            for (const auto& [text, level] : t.nick->related) {
                q.nick.push_back({text_hash(text), level, text});
                if (!text.empty())
                    nick_filter_[text.size() % 32] |= std::uint64_t{1}
                                                      << (static_cast<unsigned char>(text[0]) % 64);
            }
            std::sort(q.nick.begin(), q.nick.end(),
                      [](const NickRelation& a, const NickRelation& b) { return a.hash < b.hash; });
        }
        toks_.push_back(std::move(q));
    }
}

bool DictQuery::maybe_nick(std::string_view y) const {
    return !y.empty() && ((nick_filter_[y.size() % 32] >> (static_cast<unsigned char>(y[0]) % 64)) & 1u);
}

double DictQuery::nick_level(const QToken& x, std::string_view y, EntryHash& h) {
    if (x.nick.empty()) return 0.0;
    if (!h.done) {
        h.value = text_hash(y);
        h.done = true;
    }
    auto it = std::lower_bound(x.nick.begin(), x.nick.end(), h.value,
                               [](const NickRelation& r, std::uint32_t v) { return r.hash < v; });
    double l = 0.0;
    for (; it != x.nick.end() && it->hash == h.value; ++it)
        if (it->text == y) l = std::max(l, it->level);
    return l;
}

bool DictQuery::phonetic_agree(const QToken& x, const DictEntry& e) {
    return (e.ph1 != 0 && (e.ph1 == x.ph1 || e.ph1 == x.ph2)) ||
           (e.ph2 != 0 && (e.ph2 == x.ph1 || e.ph2 == x.ph2));
}

double DictQuery::typo_jw(const QToken& x, const std::u32string& y) {
    return y < x.cps ? similarity::jaro_winkler(y, x.cps) : similarity::jaro_winkler(x.cps, y);
}

double DictQuery::entry_level(std::size_t i, const DictEntry& e) const {
    const QToken& x = toks_[i];
    const std::string_view y = e.text;
    if (y == x.text) return 1.0;
    const std::size_t nx = x.cps.size(), ny = utf8::length(y);
    if (nx == 0 || ny == 0) return 0.0;
    if (nx == 1 || ny == 1) {
        if (nx == 1 && ny > 1 && y.substr(0, x.text.size()) == x.text) return kInitial;
        if (ny == 1 && nx > 1 && std::string_view(x.text).substr(0, y.size()) == y) return kInitial;
        return 0.0;
    }
    EntryHash h;
    double s = maybe_nick(y) ? nick_level(x, y, h) : 0.0;
    if (phonetic_agree(x, e)) s = std::max(s, kPhonetic);
    if (nx <= kMaxTypoLen && ny <= kMaxTypoLen) {
        const std::size_t d = nx > ny ? nx - ny : ny - nx;
        const std::u32string ycps = d <= 1 ? utf8::decode(y) : std::u32string();
        s = std::max(s, d <= 1 && within_one_edit(x.cps, ycps) ? typo_jw(x, ycps) : kUnkeyed);
    }
    return std::min(1.0, s);
}

double DictQuery::ascii_level(std::size_t i, const DictEntry& e, bool maybe_nick, EntryHash& h) const {
    const QToken& x = toks_[i];
    const std::size_t xl = x.text.size(), yl = e.text.size();
    const char* y = e.text.data();
    double l = 0.0;
    if (yl + 1 >= xl && yl <= xl + 1) {
        if (e.text == x.text) return 1.0;
        if (xl >= 2 && yl >= 2 && xl <= kMaxTypoLen && yl <= kMaxTypoLen &&
            within_one_edit_units<char>(x.text, e.text))
            l = typo_jw(x, std::u32string(e.text.begin(), e.text.end()));
    }
    if (xl == 1) {
        if (yl > 1 && y[0] == x.text[0]) l = std::max(l, kInitial);
        return l;
    }
    if (yl == 1) {
        if (x.text[0] == y[0]) l = std::max(l, kInitial);
        return l;
    }
    if (phonetic_agree(x, e)) l = std::max(l, kPhonetic);
    if (maybe_nick) l = std::max(l, nick_level(x, e.text, h));
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
        const bool nick = maybe_nick(e.text);
        EntryHash h;
        for (std::size_t i = 0; i < n; ++i)
            lv[i] = (e.ascii && toks_[i].ascii) ? ascii_level(i, e, nick, h) : entry_level(i, e);
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
