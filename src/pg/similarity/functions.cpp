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

extern "C" {
PG_FUNCTION_INFO_V1(cdp_levenshtein);
PG_FUNCTION_INFO_V1(cdp_levenshtein_max);
PG_FUNCTION_INFO_V1(cdp_damerau_levenshtein);
PG_FUNCTION_INFO_V1(cdp_jaro);
PG_FUNCTION_INFO_V1(cdp_jaro_winkler);
PG_FUNCTION_INFO_V1(cdp_trigram_similarity);
PG_FUNCTION_INFO_V1(cdp_token_set_similarity);

Datum cdp_levenshtein(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        return Int32GetDatum(to_int32(
            cdp::similarity::levenshtein_utf8(cdp::pg::text_arg(fcinfo, 0), cdp::pg::text_arg(fcinfo, 1))));
    });
}

Datum cdp_levenshtein_max(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        const int32 max = PG_GETARG_INT32(2);
        if (max < 0)
            throw cdp::Error("levenshtein: max must not be negative, got " + std::to_string(max),
                             cdp::sqlstate::kInvalidParameterValue);
        return Int32GetDatum(to_int32(cdp::similarity::levenshtein_utf8(cdp::pg::text_arg(fcinfo, 0),
                                                                        cdp::pg::text_arg(fcinfo, 1), max)));
    });
}

Datum cdp_damerau_levenshtein(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        return Int32GetDatum(to_int32(cdp::similarity::damerau_levenshtein_utf8(
            cdp::pg::text_arg(fcinfo, 0), cdp::pg::text_arg(fcinfo, 1))));
    });
}

Datum cdp_jaro(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        return Float8GetDatum(
            cdp::similarity::jaro_utf8(cdp::pg::text_arg(fcinfo, 0), cdp::pg::text_arg(fcinfo, 1)));
    });
}

Datum cdp_jaro_winkler(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        return Float8GetDatum(
            cdp::similarity::jaro_winkler_utf8(cdp::pg::text_arg(fcinfo, 0), cdp::pg::text_arg(fcinfo, 1)));
    });
}

Datum cdp_trigram_similarity(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        return Float4GetDatum(cdp::similarity::trigram_similarity_utf8(cdp::pg::text_arg(fcinfo, 0),
                                                                       cdp::pg::text_arg(fcinfo, 1)));
    });
}

Datum cdp_token_set_similarity(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        return Float8GetDatum(cdp::similarity::token_set_similarity_utf8(cdp::pg::text_arg(fcinfo, 0),
                                                                         cdp::pg::text_arg(fcinfo, 1)));
    });
}
}
