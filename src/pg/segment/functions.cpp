// SQL-callable C functions of segments (DESIGN.md section 6): the DSL
// compiler (src/core/segment) and the date reader of generated SQL.  The
// segment procedures themselves (create/alter/drop, refresh, preview,
// scheduling) are SQL in sql/install/60_segment.sql, executing the SQL the
// compiler generated with every user value bound as a parameter.
#include "pg/common/pg.h"

extern "C" {
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
}

#include <string>

#include "core/ingest/timestamp.h"
#include "core/segment/dsl.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"

// cdp._segment_compile(definition jsonb) -> jsonb
CDP_FUNCTION(cdp_segment_compile) {
    std::string def = cdp::pg::jsonb_arg_text(fcinfo, 0);
    cdp::segment::Compiled c = cdp::segment::compile(def);
    return cdp::pg::jsonb_datum(cdp::segment::compiled_json(c));
}

// cdp._segment_time(v jsonb) -> timestamptz: the point in time of a JSON
// string holding an ISO-8601 date or date-time (no zone: UTC), else NULL.
CDP_FUNCTION(cdp_segment_time) {
    bool isnull = true;
    Datum d = cdp::pg::guarded([&]() -> Datum {
        std::string s;
        bool is_string = false;
        cdp::pg::pg_call([&]() noexcept {
            Jsonb* jb = PG_GETARG_JSONB_P(0);
            JsonbValue v;
            if (JB_ROOT_IS_SCALAR(jb) && JsonbExtractScalar(&jb->root, &v) && v.type == jbvString &&
                v.val.string.len <= 64) {
                is_string = true;
                s.assign(v.val.string.val, static_cast<size_t>(v.val.string.len));
            }
        });
        if (!is_string) return Datum(0);
        auto m = cdp::ingest::parse_iso8601(s);
        if (!m || !cdp::ingest::in_range(*m)) return Datum(0);
        isnull = false;
        // Unix epoch -> PostgreSQL epoch (2000-01-01).
        return TimestampTzGetDatum(static_cast<TimestampTz>(*m - int64_t(946684800) * 1000000));
    });
    if (isnull) PG_RETURN_NULL();
    return d;
}

// cdp._segment_num(v jsonb) -> numeric: a JSON number, or a JSON string
// holding a plain decimal number ("42", " -3.5 ", "1e3"), else NULL.
CDP_FUNCTION(cdp_segment_num) {
    bool isnull = true;
    Datum d = cdp::pg::guarded([&]() -> Datum {
        Datum out = 0;
        bool have_string = false;
        std::string s;
        cdp::pg::pg_call([&]() noexcept {
            Jsonb* jb = PG_GETARG_JSONB_P(0);
            JsonbValue v;
            if (!JB_ROOT_IS_SCALAR(jb) || !JsonbExtractScalar(&jb->root, &v)) return;
            if (v.type == jbvNumeric) {
                out = datumCopy(NumericGetDatum(v.val.numeric), false, -1);
                isnull = false;
            } else if (v.type == jbvString && v.val.string.len <= 64) {
                have_string = true;
                s.assign(v.val.string.val, static_cast<size_t>(v.val.string.len));
            }
        });
        if (!have_string) return out;
        // [space] [+-] (digits [. digits] | . digits) [e [+-] 1-3 digits] [space]
        size_t i = 0, n = s.size();
        auto digits = [&] {
            size_t k = i;
            while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
            return i - k;
        };
        while (i < n && s[i] == ' ') ++i;
        if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
        size_t intd = digits(), frac = 0;
        if (i < n && s[i] == '.') {
            ++i;
            frac = digits();
        }
        if (intd + frac == 0) return out;
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
            ++i;
            if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
            size_t e = digits();
            if (e == 0 || e > 3) return out;
        }
        while (i < n && s[i] == ' ') ++i;
        if (i != n) return out;
        const char* cs = s.c_str();
        cdp::pg::pg_call([&]() noexcept {
            out = DirectFunctionCall3(numeric_in, CStringGetDatum(cs), ObjectIdGetDatum(InvalidOid),
                                      Int32GetDatum(-1));
        });
        isnull = false;
        return out;
    });
    if (isnull) PG_RETURN_NULL();
    return d;
}
