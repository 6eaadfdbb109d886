// GiST operator class cdp.gist_name_ops for text %~ text and KNN ordering
// by text <~> text.
//
// Index keys (stored as bytea):
//   leaf      the sorted key hashes of the name (cdp::namematch::index_keys)
//             and its token count; a name with very many keys is stored as a
//             signature instead;
//   internal  a signature (bitmap of kSigBytes bytes; key h sets bit
//             h mod 8*kSigBytes) of every key below, and the range of token
//             counts below.
// A key "may be present" below an entry when the leaf array holds it or its
// signature bit is set: never a false "absent", so the bound of
// cdp::namematch::plan_upper_bound over the present keys is an upper bound of
// the score of every name below (key lemma, namematch.h).  consistent()
// accepts when the bound reaches the threshold (recheck); distance() returns
// 1 - bound, a lower bound of the true distance (recheck for leaves), which
// is what GiST's KNN ordering needs to return the exact nearest rows.
#include "pg/pg.h"

extern "C" {
#include "access/gist.h"
#include "access/stratnum.h"
}

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "pg/boundary.h"
#include "pg/convert.h"
#include "pg/guc.h"
#include "pg/namematch_common.h"

namespace {
namespace nm = cdp::namematch;

constexpr StrategyNumber kSimilarStrategy = 1;
constexpr StrategyNumber kDistanceStrategy = 2;
constexpr std::size_t kSigBytes = 128;     // 1024 bits per internal entry
constexpr std::size_t kMaxLeafKeys = 256;  // more keys: the leaf stores a signature

enum Flags : uint8 { kArray = 1, kSignature = 2, kAllTrue = 4 };

struct NameKey {
    int32 vl_len_;
    uint8 flags;
    uint8 m_min;  // token counts of the names below
    uint8 m_max;
    uint8 pad;
    // kArray: uint32 keys[]; kSignature: uint8 sig[kSigBytes]; kAllTrue: nothing
};
constexpr std::size_t kHeader = sizeof(NameKey);

const uint32* key_array(const NameKey* k) {
    return reinterpret_cast<const uint32*>(reinterpret_cast<const char*>(k) + kHeader);
}
std::size_t key_count(const NameKey* k) { return (VARSIZE(k) - kHeader) / sizeof(uint32); }
const uint8* key_sig(const NameKey* k) { return reinterpret_cast<const uint8*>(k) + kHeader; }
uint8* key_sig(NameKey* k) { return reinterpret_cast<uint8*>(k) + kHeader; }

void* palloc_guarded(std::size_t n) {
    void* p = nullptr;
    cdp::pg::pg_call([&] { p = palloc0(n); });
    return p;
}

NameKey* make_key(uint8 flags, std::size_t payload, uint8 m_min, uint8 m_max) {
    auto* k = static_cast<NameKey*>(palloc_guarded(kHeader + payload));
    SET_VARSIZE(k, kHeader + payload);
    k->flags = flags;
    k->m_min = m_min;
    k->m_max = m_max;
    return k;
}

NameKey* leaf_key(const nm::Name& name) {
    auto keys = nm::index_keys(name, /*pairs=*/false);
    const auto m = static_cast<uint8>(name.tokens.size());
    if (keys.size() <= kMaxLeafKeys) {
        NameKey* k = make_key(kArray, keys.size() * sizeof(uint32), m, m);
        std::memcpy(reinterpret_cast<char*>(k) + kHeader, keys.data(), keys.size() * sizeof(uint32));
        return k;
    }
    NameKey* k = make_key(kSignature, kSigBytes, m, m);
    for (uint32 h : keys) nm::signature_add(key_sig(k), kSigBytes, h);
    return k;
}

// OR the keys of `k` into the signature `sig`; false when k is all-true.
bool add_to_signature(uint8* sig, const NameKey* k) {
    if (k->flags & kAllTrue) return false;
    if (k->flags & kArray) {
        const uint32* a = key_array(k);
        for (std::size_t i = 0, n = key_count(k); i < n; ++i) nm::signature_add(sig, kSigBytes, a[i]);
    } else {
        const uint8* s = key_sig(k);
        for (std::size_t i = 0; i < kSigBytes; ++i) sig[i] |= s[i];
    }
    return true;
}

// Signature form of any key (all ones for all-true).
void to_signature(const NameKey* k, uint8* sig) {
    std::memset(sig, 0, kSigBytes);
    if (!add_to_signature(sig, k)) std::memset(sig, 0xFF, kSigBytes);
}

NameKey* detoasted(Datum d) {
    NameKey* k = nullptr;
    cdp::pg::pg_call([&] { k = reinterpret_cast<NameKey*>(PG_DETOAST_DATUM(d)); });
    return k;
}

// The query plan of the last query text (consistent/distance are called
// once per visited entry with the same query).
const nm::QueryPlan& cached_plan(std::string_view raw) {
    static std::string last;
    static bool valid = false;
    static nm::QueryPlan plan;
    if (!valid || last != raw) {
        valid = false;
        plan = nm::query_plan(cdp::pg::namematch::prepared(raw, cdp::pg::namematch::kQuery), /*pairs=*/false);
        last.assign(raw);
        valid = true;
    }
    return plan;
}

double key_bound(const NameKey* k, const nm::QueryPlan& plan) {
    const std::size_t m_min = k->m_min, m_max = k->m_max;
    if (k->flags & kAllTrue)
        return nm::plan_upper_bound(
            plan, [](std::size_t) { return true; }, m_min, m_max);
    if (k->flags & kArray) {
        return nm::sorted_keys_upper_bound(plan, key_array(k), key_count(k), m_min, m_max);
    }
    const uint8* s = key_sig(k);
    return nm::plan_upper_bound(
        plan, [&](std::size_t i) { return nm::signature_has(s, kSigBytes, plan.keys[i]); }, m_min, m_max);
}
}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(cdp_gist_name_compress);
PG_FUNCTION_INFO_V1(cdp_gist_name_decompress);
PG_FUNCTION_INFO_V1(cdp_gist_name_union);
PG_FUNCTION_INFO_V1(cdp_gist_name_penalty);
PG_FUNCTION_INFO_V1(cdp_gist_name_picksplit);
PG_FUNCTION_INFO_V1(cdp_gist_name_same);
PG_FUNCTION_INFO_V1(cdp_gist_name_consistent);
PG_FUNCTION_INFO_V1(cdp_gist_name_distance);

Datum cdp_gist_name_compress(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        auto* entry = reinterpret_cast<GISTENTRY*>(PG_GETARG_POINTER(0));
        if (!entry->leafkey) return PointerGetDatum(entry);
        const auto& name =
            cdp::pg::namematch::prepared(cdp::pg::text_view(entry->key), cdp::pg::namematch::kStored);
        NameKey* k = leaf_key(name);
        auto* out = static_cast<GISTENTRY*>(palloc_guarded(sizeof(GISTENTRY)));
        gistentryinit(*out, PointerGetDatum(k), entry->rel, entry->page, entry->offset, false);
        return PointerGetDatum(out);
    });
}

Datum cdp_gist_name_decompress(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        auto* entry = reinterpret_cast<GISTENTRY*>(PG_GETARG_POINTER(0));
        NameKey* k = detoasted(entry->key);
        if (reinterpret_cast<Pointer>(k) == DatumGetPointer(entry->key)) return PointerGetDatum(entry);
        auto* out = static_cast<GISTENTRY*>(palloc_guarded(sizeof(GISTENTRY)));
        gistentryinit(*out, PointerGetDatum(k), entry->rel, entry->page, entry->offset, false);
        return PointerGetDatum(out);
    });
}

// union(entryvec internal, size internal) -> bytea
Datum cdp_gist_name_union(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        auto* entryvec = reinterpret_cast<GistEntryVector*>(PG_GETARG_POINTER(0));
        auto* size = reinterpret_cast<int*>(PG_GETARG_POINTER(1));
        NameKey* out = make_key(kSignature, kSigBytes, UINT8_MAX, 0);
        bool all = false;
        for (int i = 0; i < entryvec->n; ++i) {
            const auto* k = reinterpret_cast<const NameKey*>(DatumGetPointer(entryvec->vector[i].key));
            out->m_min = std::min(out->m_min, k->m_min);
            out->m_max = std::max(out->m_max, k->m_max);
            if (!all && !add_to_signature(key_sig(out), k)) all = true;
        }
        if (all || nm::signature_popcount(key_sig(out), kSigBytes) == kSigBytes * 8) {
            uint8 lo = out->m_min, hi = out->m_max;
            out = make_key(kAllTrue, 0, lo, hi);
        }
        *size = static_cast<int>(VARSIZE(out));
        return PointerGetDatum(out);
    });
}

// penalty(orig internal, new internal, result internal): bits the new entry
// adds to the subtree's signature, plus a little for widening the token range.
Datum cdp_gist_name_penalty(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        auto* orig = reinterpret_cast<GISTENTRY*>(PG_GETARG_POINTER(0));
        auto* add = reinterpret_cast<GISTENTRY*>(PG_GETARG_POINTER(1));
        auto* result = reinterpret_cast<float*>(PG_GETARG_POINTER(2));
        const auto* o = reinterpret_cast<const NameKey*>(DatumGetPointer(orig->key));
        const auto* n = reinterpret_cast<const NameKey*>(DatumGetPointer(add->key));
        uint8 so[kSigBytes], sn[kSigBytes];
        to_signature(o, so);
        to_signature(n, sn);
        const std::size_t added = nm::signature_added(so, sn, kSigBytes);
        double widen = 0;
        if (n->m_min < o->m_min) widen += o->m_min - n->m_min;
        if (n->m_max > o->m_max) widen += n->m_max - o->m_max;
        *result = static_cast<float>(added + 0.5 * widen);
        return PointerGetDatum(result);
    });
}

// picksplit: Guttman's quadratic split on signatures.  Seeds are the two
// entries farthest apart (Hamming distance); every other entry goes to the
// side whose signature it enlarges least (ties: the smaller side).
Datum cdp_gist_name_picksplit(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        auto* entryvec = reinterpret_cast<GistEntryVector*>(PG_GETARG_POINTER(0));
        auto* v = reinterpret_cast<GIST_SPLITVEC*>(PG_GETARG_POINTER(1));
        const int maxoff = entryvec->n - 1;  // entries at FirstOffsetNumber..maxoff
        const std::size_t n = static_cast<std::size_t>(maxoff);
        std::vector<uint8> sigs(n * kSigBytes);
        std::vector<const NameKey*> keys(n);
        for (std::size_t i = 0; i < n; ++i) {
            keys[i] = reinterpret_cast<const NameKey*>(DatumGetPointer(entryvec->vector[i + 1].key));
            to_signature(keys[i], &sigs[i * kSigBytes]);
        }
        // Seeds in linear time: the entry farthest from the first, and the
        // entry farthest from that one.
        auto farthest = [&](std::size_t from, std::size_t skip) {
            std::size_t arg = skip == 0 ? 1 : 0, best = 0;
            for (std::size_t j = 0; j < n; ++j) {
                if (j == skip) continue;
                std::size_t d =
                    nm::signature_hamming(&sigs[from * kSigBytes], &sigs[j * kSigBytes], kSigBytes);
                if (d > best) best = d, arg = j;
            }
            return arg;
        };
        const std::size_t s1 = farthest(0, n), s2 = farthest(s1, s1);
        auto nbytes = sizeof(OffsetNumber) * (n + 1);
        v->spl_left = static_cast<OffsetNumber*>(palloc_guarded(nbytes));
        v->spl_right = static_cast<OffsetNumber*>(palloc_guarded(nbytes));
        v->spl_nleft = v->spl_nright = 0;
        std::vector<uint8> left(sigs.begin() + s1 * kSigBytes, sigs.begin() + (s1 + 1) * kSigBytes);
        std::vector<uint8> right(sigs.begin() + s2 * kSigBytes, sigs.begin() + (s2 + 1) * kSigBytes);
        uint8 lmin = keys[s1]->m_min, lmax = keys[s1]->m_max, rmin = keys[s2]->m_min, rmax = keys[s2]->m_max;
        auto cost = [&](const std::vector<uint8>& side, std::size_t i) {
            return nm::signature_added(side.data(), &sigs[i * kSigBytes], kSigBytes);
        };
        // Entries with the strongest preference first; the cubic term keeps
        // the halves balanced (as pg_trgm's picksplit does).
        std::vector<std::pair<std::ptrdiff_t, std::size_t>> order;
        order.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            if (i == s1 || i == s2) continue;
            auto d = static_cast<std::ptrdiff_t>(cost(left, i)) - static_cast<std::ptrdiff_t>(cost(right, i));
            order.emplace_back(d < 0 ? -d : d, i);
        }
        std::stable_sort(order.begin(), order.end(),
                         [](const auto& x, const auto& y) { return x.first > y.first; });
        auto place = [&](std::size_t i, bool to_left) {
            const auto off = static_cast<OffsetNumber>(i + 1);
            auto& side = to_left ? left : right;
            for (std::size_t b = 0; b < kSigBytes; ++b) side[b] |= sigs[i * kSigBytes + b];
            if (to_left) {
                v->spl_left[v->spl_nleft++] = off;
                lmin = std::min(lmin, keys[i]->m_min);
                lmax = std::max(lmax, keys[i]->m_max);
            } else {
                v->spl_right[v->spl_nright++] = off;
                rmin = std::min(rmin, keys[i]->m_min);
                rmax = std::max(rmax, keys[i]->m_max);
            }
        };
        place(s1, true);
        place(s2, false);
        for (const auto& [pref, i] : order) {
            (void)pref;
            const double cl = static_cast<double>(cost(left, i)), cr = static_cast<double>(cost(right, i));
            const double diff = static_cast<double>(v->spl_nleft) - static_cast<double>(v->spl_nright);
            const double wish = -diff * diff * diff * 0.1;
            place(i, cl < cr + wish);
        }
        auto finish = [&](const std::vector<uint8>& sig, uint8 lo, uint8 hi) {
            NameKey* k = make_key(kSignature, kSigBytes, lo, hi);
            std::memcpy(key_sig(k), sig.data(), kSigBytes);
            return PointerGetDatum(k);
        };
        v->spl_ldatum = finish(left, lmin, lmax);
        v->spl_rdatum = finish(right, rmin, rmax);
        return PointerGetDatum(v);
    });
}

// same(bytea, bytea, internal)
Datum cdp_gist_name_same(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        const auto* a = reinterpret_cast<const NameKey*>(PG_GETARG_POINTER(0));
        const auto* b = reinterpret_cast<const NameKey*>(PG_GETARG_POINTER(1));
        auto* result = reinterpret_cast<bool*>(PG_GETARG_POINTER(2));
        *result = VARSIZE(a) == VARSIZE(b) && std::memcmp(a, b, VARSIZE(a)) == 0;
        return PointerGetDatum(result);
    });
}

// consistent(internal entry, text query, int2 strategy, oid, internal recheck)
Datum cdp_gist_name_consistent(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        auto* entry = reinterpret_cast<GISTENTRY*>(PG_GETARG_POINTER(0));
        StrategyNumber strategy = PG_GETARG_UINT16(2);
        auto* recheck = reinterpret_cast<bool*>(PG_GETARG_POINTER(4));
        if (strategy != kSimilarStrategy)
            throw cdp::Error("cdp.gist_name_ops: unknown strategy " + std::to_string(strategy),
                             cdp::sqlstate::kInternalError);
        *recheck = true;
        const double t = cdp::pg::guc::similarity_threshold;
        if (t <= 0.0) return BoolGetDatum(true);
        const auto& plan = cached_plan(cdp::pg::text_arg(fcinfo, 1));
        const auto* k = reinterpret_cast<const NameKey*>(DatumGetPointer(entry->key));
        return BoolGetDatum(key_bound(k, plan) >= t);
    });
}

// distance(internal entry, text query, int2 strategy, oid, internal recheck)
Datum cdp_gist_name_distance(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        auto* entry = reinterpret_cast<GISTENTRY*>(PG_GETARG_POINTER(0));
        StrategyNumber strategy = PG_GETARG_UINT16(2);
        auto* recheck = reinterpret_cast<bool*>(PG_GETARG_POINTER(4));
        if (strategy != kDistanceStrategy)
            throw cdp::Error("cdp.gist_name_ops: unknown strategy " + std::to_string(strategy),
                             cdp::sqlstate::kInternalError);
        *recheck = true;  // 1 - bound is a lower bound of the distance
        const auto& plan = cached_plan(cdp::pg::text_arg(fcinfo, 1));
        const auto* k = reinterpret_cast<const NameKey*>(DatumGetPointer(entry->key));
        return Float8GetDatum(std::max(0.0, 1.0 - key_bound(k, plan)));
    });
}
}
