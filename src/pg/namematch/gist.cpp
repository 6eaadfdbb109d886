// GiST operator class cdp.gist_name_ops for text %~ text and KNN ordering
// by text <~> text.
//
// Keys (type cdp.gist_name_key, storage plain, so never compressed or
// packed; read through VARDATA_ANY all the same):
//   byte 0    flags: kDict (a token dictionary follows) or kAll (lossy:
//             nothing known but the token counts)
//   bytes 1-2 range of token counts of the names below (m_min, m_max)
//   kRange    (internal keys) range of the leading tokens of the names below,
//             [u8 len][lo][u8 len][hi], each cut to kRangeBytes: it guides
//             penalty/picksplit only; a leaf's range is its first token
//   then      the token dictionary (core/namematch/token_dict.h)
// A leaf is the dictionary of its name.  An internal key is the union of the
// dictionaries below while it fits in kMaxDictBytes, else kAll.  The bound
// lemma (token_dict.h) makes DictQuery::upper_bound an upper bound of the
// score of every name below: consistent() accepts when it reaches the
// threshold (recheck), distance() returns 1 - bound, a lower bound of the
// true distance (recheck), which is what GiST's KNN ordering needs to return
// the exact nearest rows.
//
// Clustering: sortsupport orders leaves by their token sequences (tokens
// sorted), so CREATE INDEX builds the tree bottom-up from sorted leaves and a
// leaf page holds names sharing their alphabetically first token; the union
// of a page is then small and specific, and a subtree without a token
// related to every query token is pruned.  Later inserts follow the leading
// token ranges (penalty), and splits cut pages in sort order (picksplit).
#include "pg/common/pg.h"

extern "C" {
#include "access/gist.h"
#include "access/stratnum.h"
#include "utils/sortsupport.h"
}

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/namematch/token_dict.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/namematch/gucs.h"
#include "pg/namematch/prepared.h"

namespace {
namespace nm = cdp::namematch;

constexpr StrategyNumber kSimilarStrategy = 1;
constexpr StrategyNumber kDistanceStrategy = 2;
constexpr uint8 kDict = 1, kAll = 2, kHasRange = 4;
// Format mark in the flags byte: keys of the first GiST design (signatures,
// flags 1/2/4 without it) are refused with a clear error instead of being
// misread.
constexpr uint8 kFormatMask = 0xC0, kFormat = 0x40;
constexpr std::size_t kRangeBytes = 24;
// Keys must fit GISTMaxIndexKeySize (2024 bytes with 8 kB pages).
constexpr std::size_t kMaxDictBytes = GISTMaxIndexKeySize - VARHDRSZ - 3 - 2 * (kRangeBytes + 1) - 16;
// A name whose dictionary is larger is stored lossily (kAll).
constexpr std::size_t kMaxLeafDictBytes = 1024;

// Parsed view of a key.
struct KeyView {
    uint8 flags = kAll;
    uint8 m_min = 0, m_max = nm::kMaxTokens;
    std::string_view lo, hi;  // leading-token range
    std::string_view dict;    // kDict only
};

// Parse a key; false (and a lossy view) when it is not of this format.
bool parse_into(const void* p, KeyView& v) {
    const char* data = VARDATA_ANY(p);
    const std::size_t len = VARSIZE_ANY_EXHDR(p);
    v = KeyView{};
    if (len < 3) return true;  // malformed: lossy, never a wrong "absent"
    const auto flags = static_cast<uint8>(data[0]);
    if ((flags & kFormatMask) != kFormat) return false;
    v.flags = flags;
    v.m_min = static_cast<uint8>(data[1]);
    v.m_max = static_cast<uint8>(data[2]);
    std::string_view rest(data + 3, len - 3);
    if (v.flags & kHasRange) {
        auto take = [&rest](std::string_view& out) {
            if (rest.empty()) return false;
            const std::size_t n = static_cast<unsigned char>(rest[0]);
            if (rest.size() < 1 + n) return false;
            out = rest.substr(1, n);
            rest.remove_prefix(1 + n);
            return true;
        };
        if (!take(v.lo) || !take(v.hi)) {
            v = KeyView{};
            return true;
        }
    }
    if (v.flags & kDict) {
        v.dict = rest;
        if (!(v.flags & kHasRange)) v.lo = v.hi = nm::dict_first_token(v.dict).substr(0, kRangeBytes);
    }
    return true;
}

KeyView parse(const void* p) {
    KeyView v;
    if (!parse_into(p, v))
        throw cdp::Error(
            "cdp.gist_name_ops index key of an unknown format", cdp::sqlstate::kObjectNotInPrerequisiteState,
            "The index was built by an older cdp with a different key format.", "REINDEX the index.");
    return v;
}

const KeyView parse_entry(const GISTENTRY& e) { return parse(DatumGetPointer(e.key)); }

// Build a key: flags, counts, optional range, dictionary.
Datum make_key(uint8 flags, uint8 m_min, uint8 m_max, const std::string_view* range_lo,
               const std::string_view* range_hi, std::string_view dict) {
    std::string payload;
    payload.push_back(static_cast<char>(kFormat | flags | (range_lo ? kHasRange : 0)));
    payload.push_back(static_cast<char>(m_min));
    payload.push_back(static_cast<char>(m_max));
    if (range_lo) {
        const std::string_view lo = range_lo->substr(0, kRangeBytes), hi = range_hi->substr(0, kRangeBytes);
        payload.push_back(static_cast<char>(lo.size()));
        payload.append(lo);
        payload.push_back(static_cast<char>(hi.size()));
        payload.append(hi);
    }
    if (flags & kDict) payload.append(dict);
    auto* k = static_cast<char*>(cdp::pg::palloc0_guarded(VARHDRSZ + payload.size()));
    SET_VARSIZE(k, VARHDRSZ + payload.size());
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result): a byte payload, not a string
    std::memcpy(VARDATA(k), payload.data(), payload.size());
    return PointerGetDatum(k);
}

// Sort order of keys: leading-token range, then the token sequence.
int key_compare(const KeyView& a, const KeyView& b) {
    int c = a.lo.compare(b.lo);
    if (c != 0) return c;
    if ((a.flags & kDict) && (b.flags & kDict)) {
        c = nm::dict_compare(a.dict, b.dict);
        if (c != 0) return c;
    } else if ((a.flags & kDict) != (b.flags & kDict)) {
        return (a.flags & kDict) ? -1 : 1;
    }
    return a.hi.compare(b.hi);
}

// Union of parsed keys.
Datum union_of(const std::vector<KeyView>& keys) {
    uint8 m_min = UINT8_MAX, m_max = 0;
    std::string_view lo, hi;
    bool all = false, first = true;
    std::vector<std::string_view> dicts;
    dicts.reserve(keys.size());
    for (const auto& k : keys) {
        m_min = std::min(m_min, k.m_min);
        m_max = std::max(m_max, k.m_max);
        if (first || k.lo < lo) lo = k.lo;
        if (first || k.hi > hi) hi = k.hi;
        first = false;
        if (!(k.flags & kDict))
            all = true;
        else
            dicts.push_back(k.dict);
    }
    std::string merged;
    if (!all && !nm::merge_dicts(dicts, kMaxDictBytes, merged)) all = true;
    return make_key(all ? kAll : kDict, m_min, m_max, &lo, &hi, merged);
}

// The query of the last query text (consistent/distance are called once per
// visited entry with the same query).
const nm::DictQuery& cached_query(std::string_view raw) {
    static std::string last;
    static std::unique_ptr<nm::DictQuery> query;
    if (!query || last != raw) {
        query.reset();
        query =
            std::make_unique<nm::DictQuery>(cdp::pg::namematch::prepared(raw, cdp::pg::namematch::kQuery));
        last.assign(raw);
    }
    return *query;
}

double key_bound(const KeyView& k, const nm::DictQuery& q) {
    if (k.flags & kDict) return q.upper_bound(k.dict, k.m_min, k.m_max);
    return q.unknown_upper_bound(k.m_min, k.m_max);
}

std::size_t common_prefix(std::string_view a, std::string_view b) {
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    return i;
}

// Sortsupport comparator on leaf keys (called from tuplesort: never throws;
// the keys are fresh from compress).
int sort_compare(Datum a, Datum b, SortSupport) noexcept {
    KeyView x, y;
    parse_into(DatumGetPointer(a), x);
    parse_into(DatumGetPointer(b), y);
    return key_compare(x, y);
}
}  // namespace

CDP_FUNCTION(cdp_gist_name_key_in) {
    throw cdp::Error("cannot accept a value of type cdp.gist_name_key", cdp::sqlstate::kFeatureNotSupported);
}

// Text form for inspection (pageinspect): kind, token counts, range, tokens.
CDP_FUNCTION(cdp_gist_name_key_out) {
    const KeyView k = parse(PG_GETARG_POINTER(0));
    std::string s = (k.flags & kDict) ? "dict" : "all";
    s += " m=" + std::to_string(k.m_min) + ".." + std::to_string(k.m_max);
    s += " range=[" + std::string(k.lo) + "," + std::string(k.hi) + "]";
    if (k.flags & kDict) {
        nm::DictReader r(k.dict);
        nm::DictEntry e;
        std::size_t n = 0;
        std::string toks;
        while (r.next(e)) {
            if (n < 8) toks += (n ? " " : "") + std::string(e.text);
            ++n;
        }
        s += " tokens=" + std::to_string(n) + " bytes=" + std::to_string(k.dict.size()) + " {" + toks +
             (n > 8 ? " ...}" : "}");
    }
    char* out = nullptr;
    cdp::pg::pg_call([&]() noexcept { out = pstrdup(s.c_str()); });
    return CStringGetDatum(out);
}

CDP_FUNCTION(cdp_gist_name_compress) {
    auto* entry = reinterpret_cast<GISTENTRY*>(PG_GETARG_POINTER(0));
    if (!entry->leafkey) return PointerGetDatum(entry);
    const auto& name =
        cdp::pg::namematch::prepared(cdp::pg::text_view(entry->key), cdp::pg::namematch::kStored);
    const auto m = static_cast<uint8>(std::min<std::size_t>(name.tokens.size(), UINT8_MAX));
    std::string dict;
    Datum key;
    if (nm::encode_name_dict(name, dict) && dict.size() <= kMaxLeafDictBytes) {
        key = make_key(kDict, m, m, nullptr, nullptr, dict);
    } else {
        std::string_view lead;
        for (const auto& t : name.tokens)
            if (lead.empty() || std::string_view(t.text) < lead) lead = t.text;
        key = make_key(kAll, m, m, &lead, &lead, {});
    }
    auto* out = static_cast<GISTENTRY*>(cdp::pg::palloc0_guarded(sizeof(GISTENTRY)));
    gistentryinit(*out, key, entry->rel, entry->page, entry->offset, false);
    return PointerGetDatum(out);
}

// Keys are stored plain (never compressed); detoast only if that ever changes.
CDP_FUNCTION(cdp_gist_name_decompress) {
    auto* entry = reinterpret_cast<GISTENTRY*>(PG_GETARG_POINTER(0));
    auto* p = reinterpret_cast<varlena*>(DatumGetPointer(entry->key));
    if (!VARATT_IS_COMPRESSED(p) && !VARATT_IS_EXTERNAL(p)) return PointerGetDatum(entry);
    varlena* d = nullptr;
    cdp::pg::pg_call([&]() noexcept { d = PG_DETOAST_DATUM(entry->key); });
    auto* out = static_cast<GISTENTRY*>(cdp::pg::palloc0_guarded(sizeof(GISTENTRY)));
    gistentryinit(*out, PointerGetDatum(d), entry->rel, entry->page, entry->offset, false);
    return PointerGetDatum(out);
}

// union(entryvec internal, size internal) -> cdp.gist_name_key
CDP_FUNCTION(cdp_gist_name_union) {
    auto* entryvec = reinterpret_cast<GistEntryVector*>(PG_GETARG_POINTER(0));
    auto* size = reinterpret_cast<int*>(PG_GETARG_POINTER(1));
    std::vector<KeyView> keys;
    keys.reserve(static_cast<std::size_t>(entryvec->n));
    for (int i = 0; i < entryvec->n; ++i) keys.push_back(parse_entry(entryvec->vector[i]));
    Datum out = union_of(keys);
    *size = static_cast<int>(VARSIZE(DatumGetPointer(out)));
    return out;
}

// penalty(orig internal, new internal, result internal): outside the
// subtree's leading-token range costs most (less the longer the common
// prefix with the nearer end); then the dictionary bytes the new name adds;
// then widening the token-count range.
CDP_FUNCTION(cdp_gist_name_penalty) {
    auto* orig = reinterpret_cast<GISTENTRY*>(PG_GETARG_POINTER(0));
    auto* add = reinterpret_cast<GISTENTRY*>(PG_GETARG_POINTER(1));
    auto* result = reinterpret_cast<float*>(PG_GETARG_POINTER(2));
    const KeyView o = parse_entry(*orig), n = parse_entry(*add);
    double p = 0.0;
    const std::string_view lead = n.lo;
    const bool below = lead < o.lo;
    // A hi cut to kRangeBytes covers every token it prefixes.
    const bool above = lead > o.hi && !(o.hi.size() == kRangeBytes && lead.substr(0, kRangeBytes) == o.hi);
    if (below || above) {
        const double shared = static_cast<double>(common_prefix(lead, below ? o.lo : o.hi));
        p += 4.0 + 1.0 / (1.0 + shared);
    }
    if (o.flags & kDict) {
        const double added =
            (n.flags & kDict) ? static_cast<double>(nm::dict_added_bytes(o.dict, n.dict)) : kMaxDictBytes;
        p += std::min(1.0, added / static_cast<double>(kMaxDictBytes));
    }
    double widen = 0;
    if (n.m_min < o.m_min) widen += o.m_min - n.m_min;
    if (n.m_max > o.m_max) widen += n.m_max - o.m_max;
    p += 0.01 * widen;
    *result = static_cast<float>(p);
    return PointerGetDatum(result);
}

// picksplit: entries in sort order, cut in the middle (keeps pages clustered
// by leading token, as the sorted build made them).
CDP_FUNCTION(cdp_gist_name_picksplit) {
    auto* entryvec = reinterpret_cast<GistEntryVector*>(PG_GETARG_POINTER(0));
    auto* v = reinterpret_cast<GIST_SPLITVEC*>(PG_GETARG_POINTER(1));
    const int maxoff = entryvec->n - 1;  // entries at FirstOffsetNumber..maxoff
    const std::size_t n = static_cast<std::size_t>(maxoff);
    std::vector<KeyView> keys(n);
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) {
        keys[i] = parse_entry(entryvec->vector[i + 1]);
        order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return key_compare(keys[a], keys[b]) < 0; });
    const std::size_t half = n / 2;
    auto nbytes = sizeof(OffsetNumber) * (n + 1);
    v->spl_left = static_cast<OffsetNumber*>(cdp::pg::palloc0_guarded(nbytes));
    v->spl_right = static_cast<OffsetNumber*>(cdp::pg::palloc0_guarded(nbytes));
    v->spl_nleft = v->spl_nright = 0;
    std::vector<KeyView> left, right;
    for (std::size_t r = 0; r < n; ++r) {
        const std::size_t i = order[r];
        const auto off = static_cast<OffsetNumber>(i + 1);
        if (r < half) {
            v->spl_left[v->spl_nleft++] = off;
            left.push_back(keys[i]);
        } else {
            v->spl_right[v->spl_nright++] = off;
            right.push_back(keys[i]);
        }
    }
    v->spl_ldatum = union_of(left);
    v->spl_rdatum = union_of(right);
    return PointerGetDatum(v);
}

// same(key, key, internal)
CDP_FUNCTION(cdp_gist_name_same) {
    const auto* a = PG_GETARG_POINTER(0);
    const auto* b = PG_GETARG_POINTER(1);
    auto* result = reinterpret_cast<bool*>(PG_GETARG_POINTER(2));
    *result = VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
              std::memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
    return PointerGetDatum(result);
}

// consistent(internal entry, text query, int2 strategy, oid, internal recheck)
CDP_FUNCTION(cdp_gist_name_consistent) {
    auto* entry = reinterpret_cast<GISTENTRY*>(PG_GETARG_POINTER(0));
    StrategyNumber strategy = PG_GETARG_UINT16(2);
    auto* recheck = reinterpret_cast<bool*>(PG_GETARG_POINTER(4));
    if (strategy != kSimilarStrategy)
        throw cdp::Error("cdp.gist_name_ops: unknown strategy " + std::to_string(strategy),
                         cdp::sqlstate::kInternalError);
    *recheck = true;
    const double t = cdp::pg::namematch::similarity_threshold;
    if (t <= 0.0) return BoolGetDatum(true);
    const auto& q = cached_query(cdp::pg::text_arg(fcinfo, 1));
    return BoolGetDatum(key_bound(parse_entry(*entry), q) >= t);
}

// distance(internal entry, text query, int2 strategy, oid, internal recheck)
CDP_FUNCTION(cdp_gist_name_distance) {
    auto* entry = reinterpret_cast<GISTENTRY*>(PG_GETARG_POINTER(0));
    StrategyNumber strategy = PG_GETARG_UINT16(2);
    auto* recheck = reinterpret_cast<bool*>(PG_GETARG_POINTER(4));
    if (strategy != kDistanceStrategy)
        throw cdp::Error("cdp.gist_name_ops: unknown strategy " + std::to_string(strategy),
                         cdp::sqlstate::kInternalError);
    *recheck = true;  // 1 - bound is a lower bound of the distance
    const auto& q = cached_query(cdp::pg::text_arg(fcinfo, 1));
    return Float8GetDatum(std::max(0.0, 1.0 - key_bound(parse_entry(*entry), q)));
}

// sortsupport(internal): order of leaves for the sorted index build.
CDP_FUNCTION(cdp_gist_name_sortsupport) {
    auto* ssup = reinterpret_cast<SortSupport>(PG_GETARG_POINTER(0));
    ssup->comparator = cdp::pg::pg_callback(&sort_compare);
    PG_RETURN_VOID();
}
