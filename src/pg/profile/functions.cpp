// SQL-callable functions of profiles (DESIGN.md section 5) written in C++:
// rfm_segment, create_computed_trait, refresh_computed_traits,
// rebuild_profiles.  Consent, customer_profile, forget/export are SQL
// (sql/install/50_profile.sql).
#include "pg/common/pg.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
}

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "core/profile/computed.h"
#include "core/profile/rfm.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/common/spi.h"
#include "pg/identity/graph.h"
#include "pg/profile/maintain.h"

namespace prof = cdp::profile;
namespace pp = cdp::pg::profile;

namespace {

void refresh(bool full) {
    cdp::pg::Spi spi;
    // One refresh at a time (the state row is locked until commit).
    spi.exec_prepared("SELECT last_refresh_at FROM cdp.computed_state FOR UPDATE", {});
    const bool first = spi.rows() == 0 || spi.is_null(0, 0);
    std::string last = first ? "" : *spi.get_text(0, 0);
    const pp::Compiled& c = pp::compiled(spi);
    const Datum now = TimestampTzGetDatum(pp::clock_now());
    if (full || first) {
        pp::recompute_computed({}, true);
    } else {
        // Customers with an event that left a window since the last refresh.
        std::vector<int64> ids;
        for (int64_t w : c.windows) {
            spi.exec_prepared(
                "SELECT DISTINCT r.customer_id FROM cdp.events e JOIN cdp.records r ON r.record_id = "
                "e.record_id "
                "WHERE e.occurred_at > $1::timestamptz - make_interval(secs => $3) "
                "AND e.occurred_at <= $2::timestamptz - make_interval(secs => $3) AND r.customer_id IS NOT "
                "NULL",
                {{TEXTOID, cdp::pg::text_datum(last)},
                 {TIMESTAMPTZOID, now},
                 {FLOAT8OID, Float8GetDatum(double(w))}});
            for (uint64 i = 0; i < spi.rows(); ++i) ids.push_back(*spi.get_int64(i, 0));
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        pp::recompute_computed(ids, false);
        // days_since traits move with the clock for everyone.
        for (const auto& [name, src] : c.days_since) {
            std::string v = "floor(extract(epoch FROM ($1::timestamptz - (computed ->> " +
                            prof::sql_literal(src) + ")::timestamptz)) / 86400)::int";
            std::string sql = "UPDATE cdp.profiles SET computed = computed || jsonb_build_object(";
            sql += prof::sql_literal(name) + ", " + v + "), updated_at = now() WHERE computed ? ";
            sql += prof::sql_literal(src) + " AND computed -> " + prof::sql_literal(name);
            sql += " IS DISTINCT FROM to_jsonb(" + v + ")";
            spi.exec_prepared(sql.c_str(), {{TIMESTAMPTZOID, now}});
        }
    }
    // RFM quintile cut points over the customers with an order, then scores.
    spi.exec_prepared(
        "UPDATE cdp.computed_state SET rfm_cuts = (SELECT CASE WHEN count(*) = 0 THEN NULL ELSE "
        "percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY v.rd) || "
        "percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY v.fq) || "
        "percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY v.mo) END "
        "FROM (SELECT (computed ->> 'rfm_recency_days')::float8 AS rd, (computed ->> "
        "'rfm_frequency')::float8 AS fq, "
        "coalesce((computed ->> 'rfm_monetary')::float8, 0) AS mo FROM cdp.profiles "
        "WHERE (computed ->> 'rfm_frequency')::float8 > 0 AND computed ? 'rfm_recency_days') v), "
        "last_refresh_at = $1",
        {{TIMESTAMPTZOID, now}});
    spi.exec_prepared(
        "UPDATE cdp.profiles p SET computed = x.j, updated_at = now() FROM ("
        "SELECT q.customer_id, jsonb_strip_nulls((q.computed - 'rfm_r' - 'rfm_f' - 'rfm_m' - 'rfm_segment') "
        "|| "
        "cdp._rfm_scores(q.computed, (SELECT s.rfm_cuts FROM cdp.computed_state s))) AS j FROM cdp.profiles "
        "q "
        "OFFSET 0) x "
        "WHERE p.customer_id = x.customer_id AND p.computed IS DISTINCT FROM x.j",
        {});
}

}  // namespace

// cdp.rfm_segment(r int, f int) -> text
CDP_FUNCTION(cdp_rfm_segment) {
    int32 r = PG_GETARG_INT32(0), f = PG_GETARG_INT32(1);
    bool isnull = false;
    Datum d = cdp::pg::guarded([&]() -> Datum {
        const char* s = prof::rfm_segment(r, f);
        if (*s == '\0') {
            isnull = true;
            return Datum(0);
        }
        return cdp::pg::text_datum(s);
    });
    if (isnull) PG_RETURN_NULL();
    return d;
}

// cdp.create_computed_trait(name text, definition jsonb) -> void
CDP_FUNCTION(cdp_create_computed_trait) {
    std::string name(cdp::pg::text_arg(fcinfo, 0));
    std::string def = cdp::pg::jsonb_arg_text(fcinfo, 1);
    prof::ComputedTrait t = prof::compile_computed_trait(name, def);
    {
        cdp::pg::Spi spi;
        spi.exec_prepared("SELECT builtin FROM cdp.computed_traits WHERE name = $1 FOR UPDATE",
                          {{TEXTOID, cdp::pg::text_datum(name)}});
        if (spi.rows() > 0 && spi.get_text(0, 0) == std::optional<std::string>("t"))
            throw cdp::Error("computed trait \"" + name + "\" is built in",
                             cdp::sqlstate::kFeatureNotSupported);
        if (t.aggregate == prof::Aggregate::kDaysSince) {
            spi.exec_prepared(
                "SELECT 1 FROM cdp.computed_traits WHERE name = $1 AND definition ->> 'aggregate' IN "
                "('first', 'last', 'min', 'max') AND NOT definition ? 'property' AND NOT definition ? "
                "'measure'",
                {{TEXTOID, cdp::pg::text_datum(t.source_trait)}});
            if (spi.rows() == 0)
                throw cdp::Error("computed trait definition: $.trait: \"" + t.source_trait +
                                     "\" is not a computed trait holding an event time",
                                 cdp::sqlstate::kInvalidParameterValue, {},
                                 "Use a trait with aggregate first, last, min or max and no property.");
        } else {
            spi.exec_prepared(
                "SELECT name FROM cdp.computed_traits WHERE definition ->> 'trait' = $1 LIMIT 1",
                {{TEXTOID, cdp::pg::text_datum(name)}});
            if (spi.rows() > 0 && t.aggregate != prof::Aggregate::kFirst &&
                t.aggregate != prof::Aggregate::kLast && t.aggregate != prof::Aggregate::kMin &&
                t.aggregate != prof::Aggregate::kMax)
                throw cdp::Error("computed trait \"" + name + "\" is read by \"" + *spi.get_text(0, 0) +
                                     "\" (days_since) and must stay an event time",
                                 cdp::sqlstate::kInvalidParameterValue);
        }
        spi.exec_prepared(
            "INSERT INTO cdp.computed_traits (name, definition) VALUES ($1, $2::text::jsonb) "
            "ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, created_at = now()",
            {{TEXTOID, cdp::pg::text_datum(name)}, {TEXTOID, cdp::pg::text_datum(def)}});
    }
    pp::recompute_computed({}, true);
    PG_RETURN_VOID();
}

// CALL cdp.refresh_computed_traits(full_refresh boolean DEFAULT false)
CDP_FUNCTION(cdp_refresh_computed_traits) {
    bool full = !PG_ARGISNULL(0) && PG_GETARG_BOOL(0);
    cdp::pg::guarded_void([&] { refresh(full); });
    PG_RETURN_VOID();
}

// CALL cdp.rebuild_profiles()
CDP_FUNCTION(cdp_rebuild_profiles) {
    (void)fcinfo;
    cdp::pg::guarded_void([&] { pp::rebuild_all(true); });
    PG_RETURN_VOID();
}

// cdp._rfm_scores(j jsonb, cuts float8[]) -> jsonb: {rfm_r, rfm_f, rfm_m,
// rfm_segment} of computed traits j, or {} (no cut points, no order).
CDP_FUNCTION(cdp_rfm_scores) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    return cdp::pg::guarded([&]() -> Datum {
        double vals[3] = {0, 0, 0};
        bool have[3] = {false, false, false};
        double cuts[12];
        bool cuts_ok = false;
        cdp::pg::pg_call([&]() noexcept {
            Jsonb* jb = PG_GETARG_JSONB_P(0);
            static const char* const keys[3] = {"rfm_recency_days", "rfm_frequency", "rfm_monetary"};
            for (int i = 0; i < 3; ++i) {
                JsonbValue v;
                if (JB_ROOT_IS_OBJECT(jb) &&
                    getKeyJsonValueFromContainer(&jb->root, keys[i], static_cast<uint32>(strlen(keys[i])),
                                                 &v) &&
                    v.type == jbvNumeric) {
                    vals[i] =
                        DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
                    have[i] = true;
                }
            }
            if (!PG_ARGISNULL(1)) {
                ArrayType* a = PG_GETARG_ARRAYTYPE_P(1);
                if (ARR_NDIM(a) == 1 && ARR_DIMS(a)[0] == 12 && !ARR_HASNULL(a) &&
                    ARR_ELEMTYPE(a) == FLOAT8OID) {
                    memcpy(cuts, ARR_DATA_PTR(a), sizeof cuts);
                    cuts_ok = true;
                }
            }
        });
        if (!cuts_ok || !have[0] || !have[1] || vals[1] <= 0) return cdp::pg::jsonb_datum("{}");
        std::array<double, 4> rc{cuts[0], cuts[1], cuts[2], cuts[3]}, fc{cuts[4], cuts[5], cuts[6], cuts[7]},
            mc{cuts[8], cuts[9], cuts[10], cuts[11]};
        int r = prof::rfm_score_lower_better(vals[0], rc);
        int f = prof::rfm_score_higher_better(vals[1], fc);
        int m = prof::rfm_score_higher_better(have[2] ? vals[2] : 0, mc);
        std::string out = "{\"rfm_r\":" + std::to_string(r) + ",\"rfm_f\":" + std::to_string(f) +
                          ",\"rfm_m\":" + std::to_string(m) + ",\"rfm_segment\":\"" +
                          prof::rfm_segment(r, f) + "\"}";
        return cdp::pg::jsonb_datum(out);
    });
}

// cdp._normalize_identifier(id_type text, id_value text) -> text
CDP_FUNCTION(cdp_normalize_identifier) {
    std::string type(cdp::pg::text_arg(fcinfo, 0));
    std::string raw(cdp::pg::text_arg(fcinfo, 1));
    cdp::pg::Spi spi;
    cdp::pg::identity::Graph g;
    cdp::pg::identity::load_rules(spi, g, true);
    cdp::pg::identity::type_or_error(g, type);
    auto v = cdp::pg::identity::normalise(type, raw);
    if (!v) {
        fcinfo->isnull = true;
        return Datum(0);
    }
    return cdp::pg::text_datum(*v);
}
