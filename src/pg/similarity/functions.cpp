// SQL-callable string similarity functions (docs/similarity.md).  Thin
// wrappers over src/core/similarity: arguments are viewed in place (no copy
// unless toasted), results are plain numbers.
#include "pg/common/pg.h"

#include <string>

#include "core/common/error.h"
#include "core/similarity/similarity.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"

namespace {
int32 to_int32(std::int64_t v) { return static_cast<int32>(v); }  // lengths fit: text is < 1 GB
}  // namespace

CDP_FUNCTION(cdp_levenshtein) {
    return Int32GetDatum(to_int32(
        cdp::similarity::levenshtein_utf8(cdp::pg::text_arg(fcinfo, 0), cdp::pg::text_arg(fcinfo, 1))));
}

CDP_FUNCTION(cdp_levenshtein_max) {
    const int32 max = PG_GETARG_INT32(2);
    if (max < 0)
        throw cdp::Error("levenshtein: max must not be negative, got " + std::to_string(max),
                         cdp::sqlstate::kInvalidParameterValue);
    return Int32GetDatum(to_int32(
        cdp::similarity::levenshtein_utf8(cdp::pg::text_arg(fcinfo, 0), cdp::pg::text_arg(fcinfo, 1), max)));
}

CDP_FUNCTION(cdp_damerau_levenshtein) {
    return Int32GetDatum(to_int32(cdp::similarity::damerau_levenshtein_utf8(cdp::pg::text_arg(fcinfo, 0),
                                                                            cdp::pg::text_arg(fcinfo, 1))));
}

CDP_FUNCTION(cdp_jaro) {
    return Float8GetDatum(
        cdp::similarity::jaro_utf8(cdp::pg::text_arg(fcinfo, 0), cdp::pg::text_arg(fcinfo, 1)));
}

CDP_FUNCTION(cdp_jaro_winkler) {
    return Float8GetDatum(
        cdp::similarity::jaro_winkler_utf8(cdp::pg::text_arg(fcinfo, 0), cdp::pg::text_arg(fcinfo, 1)));
}

CDP_FUNCTION(cdp_trigram_similarity) {
    return Float4GetDatum(
        cdp::similarity::trigram_similarity_utf8(cdp::pg::text_arg(fcinfo, 0), cdp::pg::text_arg(fcinfo, 1)));
}

CDP_FUNCTION(cdp_token_set_similarity) {
    return Float8GetDatum(cdp::similarity::token_set_similarity_utf8(cdp::pg::text_arg(fcinfo, 0),
                                                                     cdp::pg::text_arg(fcinfo, 1)));
}
