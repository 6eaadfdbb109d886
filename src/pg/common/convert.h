// Datum <-> C++ conversions.  All return values are palloc'd in the current
// memory context (the per-call context of the SQL function), which Postgres
// frees after the call; big intermediate work lives in C++ containers.
#pragma once

#include "pg/common/pg.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cdp::pg {

// View of a text argument's bytes (detoasted; valid for the call).
std::string_view text_arg(FunctionCallInfo fcinfo, int argno);

// View of a text Datum's bytes (detoasted in the current memory context).
std::string_view text_view(Datum d);

// Optional text argument (nullopt for SQL NULL), for non-STRICT functions.
std::optional<std::string_view> opt_text_arg(FunctionCallInfo fcinfo, int argno);

// std::string -> text Datum.
Datum text_datum(std::string_view s);

// jsonb argument rendered as JSON text (for parsing in C++).
std::string jsonb_arg_text(FunctionCallInfo fcinfo, int argno);

// JSON text -> jsonb Datum (errors as invalid_text_representation if malformed).
Datum jsonb_datum(std::string_view json);

// std::vector<std::string> -> text[] Datum.  nullopt elements become NULL.
Datum text_array_datum(const std::vector<std::optional<std::string>>& items);

// One-dimensional array of any element type from Datums already of that type
// (e.g. INT8OID, TIMESTAMPTZOID, JSONBOID); `nulls` may be empty (no NULLs).
Datum array_datum(Oid elemtype, const std::vector<Datum>& elems, const std::vector<bool>& nulls = {});
// std::vector<int64> -> bigint[] Datum.
Datum int64_array_datum(const std::vector<int64>& items);

// text[] Datum -> its elements in order (nullopt for a NULL element).
std::vector<std::optional<std::string>> text_array_from_datum(Datum d);

// bigint[] Datum -> std::vector<int64> (NULL elements are an error).
std::vector<int64> int64_array_from_datum(Datum d);

}  // namespace cdp::pg
