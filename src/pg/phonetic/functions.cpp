// SQL-callable phonetic codes (docs/similarity.md), over src/core/phonetic.
#include "pg/common/pg.h"

#include <optional>
#include <string>
#include <vector>

#include "core/phonetic/phonetic.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"

extern "C" {
PG_FUNCTION_INFO_V1(cdp_soundex);
PG_FUNCTION_INFO_V1(cdp_metaphone);
PG_FUNCTION_INFO_V1(cdp_nysiis);
PG_FUNCTION_INFO_V1(cdp_double_metaphone);

Datum cdp_soundex(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded(
        [&] { return cdp::pg::text_datum(cdp::phonetic::soundex(cdp::pg::text_arg(fcinfo, 0))); });
}

Datum cdp_metaphone(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded(
        [&] { return cdp::pg::text_datum(cdp::phonetic::metaphone(cdp::pg::text_arg(fcinfo, 0))); });
}

Datum cdp_nysiis(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded(
        [&] { return cdp::pg::text_datum(cdp::phonetic::nysiis(cdp::pg::text_arg(fcinfo, 0))); });
}

Datum cdp_double_metaphone(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&] {
        cdp::phonetic::DoubleMetaphone dm = cdp::phonetic::double_metaphone(cdp::pg::text_arg(fcinfo, 0));
        std::vector<std::optional<std::string>> items{std::move(dm.primary), std::move(dm.alternate)};
        return cdp::pg::text_array_datum(items);
    });
}
}
