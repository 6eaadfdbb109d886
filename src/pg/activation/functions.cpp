// SQL-callable helpers of activation (DESIGN.md section 8) written in C++:
// spec validation and payload projection (core/activation), the webhook
// signature.  The destinations, the feed and its triggers are SQL
// (sql/install/70_activation.sql).
#include "pg/common/pg.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

#include <set>
#include <string>
#include <vector>

#include "core/activation/activation.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"

namespace act = cdp::activation;

namespace {

// text[] argument -> strings (NULL array: empty; NULL elements skipped).
std::set<std::string> text_set(FunctionCallInfo fcinfo, int argno) {
    std::set<std::string> out;
    if (PG_ARGISNULL(argno)) return out;
    for (auto& e : cdp::pg::text_array_from_datum(PG_GETARG_DATUM(argno)))
        if (e) out.insert(std::move(*e));
    return out;
}

std::vector<std::string> text_list(FunctionCallInfo fcinfo, int argno) {
    std::vector<std::string> out;
    if (PG_ARGISNULL(argno)) return out;
    auto items = cdp::pg::text_array_from_datum(PG_GETARG_DATUM(argno));
    out.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (!items[i])
            throw cdp::Error("fields[" + std::to_string(i + 1) + "]: a field name must not be NULL",
                             cdp::sqlstate::kInvalidParameterValue);
        out.push_back(std::move(*items[i]));
    }
    return out;
}

}  // namespace

// cdp._activation_compile_spec(spec jsonb, segments text[], purposes text[],
//   id_types text[], computed text[], traits text[]) -> jsonb
CDP_FUNCTION(cdp_activation_compile_spec) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    return cdp::pg::guarded([&]() -> Datum {
        act::Catalog c;
        c.segments = text_set(fcinfo, 1);
        c.purposes = text_set(fcinfo, 2);
        c.id_types = text_set(fcinfo, 3);
        c.computed = text_set(fcinfo, 4);
        c.traits = text_set(fcinfo, 5);
        std::string spec = cdp::pg::jsonb_arg_text(fcinfo, 0);
        return cdp::pg::jsonb_datum(act::compile_spec(spec, c));
    });
}

// cdp._activation_projection(fields text[], id_types text[], computed text[],
//   traits text[]) -> text: the payload expression over alias p.
CDP_FUNCTION(cdp_activation_projection) {
    act::Catalog c;
    c.id_types = text_set(fcinfo, 1);
    c.computed = text_set(fcinfo, 2);
    c.traits = text_set(fcinfo, 3);
    std::vector<act::Field> fields;
    std::vector<std::string> names = text_list(fcinfo, 0);
    std::set<std::string> seen;
    for (size_t i = 0; i < names.size(); ++i) {
        std::string where = "segment export: fields[" + std::to_string(i + 1) + "]";
        if (names[i] == "customer_id")
            throw cdp::Error(where + ": \"customer_id\" is always exported",
                             cdp::sqlstate::kInvalidParameterValue);
        if (!seen.insert(names[i]).second)
            throw cdp::Error(where + ": field listed twice", cdp::sqlstate::kInvalidParameterValue);
        fields.push_back(act::resolve_field(names[i], c, where));
    }
    if (fields.size() > static_cast<size_t>(act::kMaxFields))
        throw cdp::Error("segment export: more than 50 fields", cdp::sqlstate::kInvalidParameterValue);
    return cdp::pg::text_datum(act::projection_sql(fields));
}

// cdp._activation_signature(secret text, body text) -> text
CDP_FUNCTION(cdp_activation_signature) {
    std::string_view key = cdp::pg::text_arg(fcinfo, 0);
    std::string_view body = cdp::pg::text_arg(fcinfo, 1);
    return cdp::pg::text_datum("sha256=" + act::hmac_sha256_hex(key, body));
}
