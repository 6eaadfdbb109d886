// GIN operator class cdp.gin_name_ops for text %~ text.
//
// Keys are int4 hashes (cdp::namematch::index_keys / query_plan).  The query
// plan travels to consistent() through extra_data.  consistent() and
// triConsistent() return "maybe" (recheck) exactly when the score upper bound
// computed from the keys present reaches the threshold: by the key lemma
// (src/core/namematch/namematch.h, keys.cpp) a row whose score reaches it
// always passes.  When even a row sharing no key could reach the threshold
// (threshold <= kUnkeyed, or <= 0), the scan runs in GIN_SEARCH_MODE_ALL:
// every row goes through consistent() and the recheck, none is lost.
#include "pg/common/pg.h"

extern "C" {
#include "access/gin.h"
#include "access/reloptions.h"
#include "access/stratnum.h"
}

#include <algorithm>
#include <cstring>

#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/namematch/gucs.h"
#include "pg/namematch/prepared.h"

namespace {
constexpr StrategyNumber kSimilarStrategy = 1;

// Flat copy of a QueryPlan in palloc'd memory (lives as long as the scan).
// Nearly every key proves levels for one query token only; for those,
// `token[k]` is that token and `level_a[k]`/`level_b[k]` its levels in the two
// cases of the bound (QueryPlan), so consistent() (called for every candidate
// item) does two max operations per present key instead of two matrix rows.
// token[k] < 0: the key serves several tokens (pair keys), use the rows.
struct FlatPlan {
    int32 n_tokens;
    int32 n_keys;
    double threshold;
    const double* levels_b;                // n_keys * n_tokens
    const double* level_a;                 // n_keys
    const double* level_b;                 // n_keys
    const int32* token;                    // n_keys
    double levels[FLEXIBLE_ARRAY_MEMBER];  // n_keys * n_tokens, then the arrays above
};

template <class Present>
double flat_bound(const FlatPlan* fp, Present present) {
    namespace nm = cdp::namematch;
    const std::size_t n = static_cast<std::size_t>(fp->n_tokens), nk = static_cast<std::size_t>(fp->n_keys);
    if (n == 0) return nm::levels_upper_bound(0, nk, fp->levels, fp->levels_b, present);
    double ua[nm::kMaxTokens], ub[nm::kMaxTokens];
    for (std::size_t i = 0; i < n; ++i) ua[i] = ub[i] = nm::kUnkeyed;
    for (std::size_t k = 0; k < nk; ++k) {
        if (!present(k)) continue;
        const int32 t = fp->token[k];
        if (t >= 0) {
            if (fp->level_a[k] > ua[t]) ua[t] = fp->level_a[k];
            if (fp->level_b[k] > ub[t]) ub[t] = fp->level_b[k];
        } else {
            const double* la = fp->levels + k * n;
            const double* lb = fp->levels_b + k * n;
            for (std::size_t i = 0; i < n; ++i) {
                if (la[i] > ua[i]) ua[i] = la[i];
                if (lb[i] > ub[i]) ub[i] = lb[i];
            }
        }
    }
    return std::max(nm::upper_bound(ua, n), nm::upper_bound(ub, n));
}

// Operator class options: CREATE INDEX ... USING gin (name cdp.gin_name_ops (pairs = false)).
struct GinNameOptions {
    int32 vl_len_;  // varlena header (do not touch)
    bool pairs;     // index the initial/D pair keys (default true)
};

// extractValue and extractQuery read the index's option, so both sides of a
// scan agree on the key set.
bool pairs_option(FunctionCallInfo fcinfo) {
    bool pairs = true;
    cdp::pg::pg_call([&]() noexcept {
        if (PG_HAS_OPCLASS_OPTIONS())
            pairs = reinterpret_cast<const GinNameOptions*>(PG_GET_OPCLASS_OPTIONS())->pairs;
    });
    return pairs;
}

}  // namespace

// options(internal local_relopts) -> void
CDP_FUNCTION(cdp_gin_name_options) {
    auto* relopts = reinterpret_cast<local_relopts*>(PG_GETARG_POINTER(0));
    cdp::pg::pg_call([&]() noexcept {
        init_local_reloptions(relopts, sizeof(GinNameOptions));
        add_local_bool_reloption(relopts, "pairs",
                                 "index initial/token pair keys (faster %~ on names with common "
                                 "initials, larger index)",
                                 true, offsetof(GinNameOptions, pairs));
    });
    return Datum{0};
}

// extractValue(text, internal nkeys) -> internal (Datum[] of int4)
CDP_FUNCTION(cdp_gin_name_extract_value) {
    auto* nkeys = reinterpret_cast<int32*>(PG_GETARG_POINTER(1));
    const auto& name =
        cdp::pg::namematch::prepared(cdp::pg::text_arg(fcinfo, 0), cdp::pg::namematch::kStored);
    auto keys = cdp::namematch::index_keys(name, pairs_option(fcinfo));
    auto* out = static_cast<Datum*>(cdp::pg::palloc0_guarded(sizeof(Datum) * keys.size()));
    for (std::size_t i = 0; i < keys.size(); ++i) out[i] = Int32GetDatum(static_cast<int32>(keys[i]));
    *nkeys = static_cast<int32>(keys.size());
    return PointerGetDatum(out);
}

// extractQuery(text, internal nkeys, int2 strategy, internal pmatch,
//              internal extra_data, internal nullFlags, internal searchMode)
CDP_FUNCTION(cdp_gin_name_extract_query) {
    auto* nkeys = reinterpret_cast<int32*>(PG_GETARG_POINTER(1));
    StrategyNumber strategy = PG_GETARG_UINT16(2);
    auto** extra = reinterpret_cast<Pointer**>(PG_GETARG_POINTER(4));
    auto* search_mode = reinterpret_cast<int32*>(PG_GETARG_POINTER(6));
    if (strategy != kSimilarStrategy)
        throw cdp::Error("cdp.gin_name_ops: unknown strategy " + std::to_string(strategy),
                         cdp::sqlstate::kInternalError);
    const auto& name = cdp::pg::namematch::prepared(cdp::pg::text_arg(fcinfo, 0), cdp::pg::namematch::kQuery);
    const auto plan = cdp::namematch::query_plan(name, pairs_option(fcinfo));
    const double t = cdp::pg::namematch::similarity_threshold;
    const std::size_t nk = plan.keys.size(), nt = plan.n_tokens;

    auto* fp = static_cast<FlatPlan*>(cdp::pg::palloc0_guarded(
        offsetof(FlatPlan, levels) + sizeof(double) * (2 * nk * nt + 2 * nk) + sizeof(int32) * nk));
    fp->n_tokens = static_cast<int32>(nt);
    fp->n_keys = static_cast<int32>(nk);
    fp->threshold = t;
    double* levels_b = fp->levels + nk * nt;
    double* level_a = levels_b + nk * nt;
    double* level_b = level_a + nk;
    auto* token = reinterpret_cast<int32*>(level_b + nk);
    fp->levels_b = levels_b;
    fp->level_a = level_a;
    fp->level_b = level_b;
    fp->token = token;
    if (nk * nt > 0) {
        std::memcpy(fp->levels, plan.levels.data(), sizeof(double) * nk * nt);
        std::memcpy(levels_b, plan.levels_b.data(), sizeof(double) * nk * nt);
    }
    for (std::size_t k = 0; k < nk; ++k) {
        int32 tok = -1, used = 0;
        for (std::size_t i = 0; i < nt; ++i)
            if (plan.levels[k * nt + i] > 0.0 || plan.levels_b[k * nt + i] > 0.0) {
                tok = static_cast<int32>(i);
                ++used;
            }
        token[k] = used == 1 ? tok : -1;
        level_a[k] = used == 1 ? plan.levels[k * nt + static_cast<std::size_t>(tok)] : 0.0;
        level_b[k] = used == 1 ? plan.levels_b[k * nt + static_cast<std::size_t>(tok)] : 0.0;
    }
    auto* keys = static_cast<Datum*>(cdp::pg::palloc0_guarded(sizeof(Datum) * nk));
    auto* ex = static_cast<Pointer*>(cdp::pg::palloc0_guarded(sizeof(Pointer) * nk));
    for (std::size_t i = 0; i < nk; ++i) {
        keys[i] = Int32GetDatum(static_cast<int32>(plan.keys[i]));
        ex[i] = reinterpret_cast<Pointer>(fp);
    }
    *extra = ex;
    *nkeys = static_cast<int32>(nk);
    // Rows sharing no key score at most unkeyed_upper_bound(): if that can
    // reach the threshold, no key can be required.
    if (t <= 0.0 || cdp::namematch::unkeyed_upper_bound(plan) >= t)
        *search_mode = GIN_SEARCH_MODE_ALL;
    else
        *search_mode = GIN_SEARCH_MODE_DEFAULT;
    return PointerGetDatum(keys);
}

// consistent(internal check, int2, text, int4 nkeys, internal extra_data,
//            internal recheck, internal queryKeys, internal nullFlags)
CDP_FUNCTION(cdp_gin_name_consistent) {
    auto* check = reinterpret_cast<bool*>(PG_GETARG_POINTER(0));
    int32 nkeys = PG_GETARG_INT32(3);
    auto** extra = reinterpret_cast<Pointer*>(PG_GETARG_POINTER(4));
    auto* recheck = reinterpret_cast<bool*>(PG_GETARG_POINTER(5));
    *recheck = true;
    if (nkeys == 0) return BoolGetDatum(true);
    const auto* fp = reinterpret_cast<const FlatPlan*>(extra[0]);
    if (fp->threshold <= 0.0) return BoolGetDatum(true);
    double bound = flat_bound(fp, [&](std::size_t k) { return check[k]; });
    return BoolGetDatum(bound >= fp->threshold);
}

// triConsistent(internal check, int2, text, int4 nkeys, internal extra_data,
//               internal queryKeys, internal nullFlags) -> char
CDP_FUNCTION(cdp_gin_name_triconsistent) {
    auto* check = reinterpret_cast<GinTernaryValue*>(PG_GETARG_POINTER(0));
    int32 nkeys = PG_GETARG_INT32(3);
    auto** extra = reinterpret_cast<Pointer*>(PG_GETARG_POINTER(4));
    if (nkeys == 0) return GinTernaryValueGetDatum(GIN_MAYBE);
    const auto* fp = reinterpret_cast<const FlatPlan*>(extra[0]);
    if (fp->threshold <= 0.0) return GinTernaryValueGetDatum(GIN_MAYBE);
    double bound = flat_bound(fp, [&](std::size_t k) { return check[k] != GIN_FALSE; });
    return GinTernaryValueGetDatum(bound >= fp->threshold ? GIN_MAYBE : GIN_FALSE);
}
