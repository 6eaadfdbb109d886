// SQL-callable functions of the identity graph (DESIGN.md section 3):
// upsert_record, customer_id, delete_record, block_identifier, explain_link.
// The batch resolver lives in identity_resolve.cpp.
#include "pg/pg.h"

extern "C" {
#include "catalog/pg_type.h"
}

#include <algorithm>
#include <map>
#include <set>

#include "core/identity/engine.h"
#include "core/identity/input.h"
#include "pg/boundary.h"
#include "pg/convert.h"
#include "pg/guc.h"
#include "pg/identity_graph.h"
#include "pg/identity_locks.h"
#include "pg/identity_upsert.h"
#include "pg/spi.h"

namespace {

using cdp::identity::json_quote;
namespace ident = cdp::pg::identity;
namespace L = cdp::pg::identity_locks;

std::string first_char_kind(const std::string& json) {
    for (char c : json)
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') return std::string(1, c);
    return "";
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(cdp_upsert_record);
PG_FUNCTION_INFO_V1(cdp_customer_id);

// cdp.upsert_record(source text, source_key text, identifiers jsonb, traits jsonb DEFAULT '{}') -> bigint
Datum cdp_upsert_record(PG_FUNCTION_ARGS) {
    bool isnull = false;
    Datum d = cdp::pg::guarded([&]() -> Datum {
        std::string source(cdp::pg::text_arg(fcinfo, 0));
        std::string key(cdp::pg::text_arg(fcinfo, 1));
        if (source.empty())
            throw cdp::Error("source must not be empty", cdp::sqlstate::kInvalidParameterValue);
        auto raw = cdp::identity::parse_identifiers(cdp::pg::jsonb_arg_text(fcinfo, 2));
        std::string traits = cdp::pg::jsonb_arg_text(fcinfo, 3);
        if (first_char_kind(traits) != "{")
            throw cdp::Error("traits must be a JSON object", cdp::sqlstate::kInvalidParameterValue,
                             "traits: " + traits.substr(0, 200));
        auto r = ident::upsert_record(source, key, raw, traits.c_str());
        if (r.customer_id == 0) isnull = true;
        return Int64GetDatum(r.customer_id);
    });
    if (isnull) PG_RETURN_NULL();
    return d;
}

// cdp.customer_id(id_type text, id_value text) -> bigint
Datum cdp_customer_id(PG_FUNCTION_ARGS) {
    bool isnull = false;
    Datum d = cdp::pg::guarded([&]() -> Datum {
        std::string type(cdp::pg::text_arg(fcinfo, 0));
        std::string raw(cdp::pg::text_arg(fcinfo, 1));
        cdp::pg::Spi spi;
        ident::Graph g;
        ident::load_rules(spi, g, true);
        ident::type_or_error(g, type);
        auto v = ident::normalise(type, raw);
        if (!v) {
            isnull = true;
            return Datum(0);
        }
        // The customer of the oldest record holding the value (records hold
        // current ids; aliases resolve ids merged away before the read).
        spi.exec_prepared(
            "SELECT coalesce(a.customer_id, r.customer_id) FROM cdp.identifiers i "
            "JOIN cdp.records r ON r.record_id = i.record_id "
            "LEFT JOIN cdp.customer_aliases a ON a.old_id = r.customer_id "
            "WHERE i.id_type = $1 AND i.id_value = $2 AND r.customer_id IS NOT NULL "
            "ORDER BY r.record_id LIMIT 1",
            {{TEXTOID, cdp::pg::text_datum(type)}, {TEXTOID, cdp::pg::text_datum(*v)}}, true);
        if (spi.rows() == 0) {
            isnull = true;
            return Datum(0);
        }
        return Int64GetDatum(*spi.get_int64(0, 0));
    });
    if (isnull) PG_RETURN_NULL();
    return d;
}
}
