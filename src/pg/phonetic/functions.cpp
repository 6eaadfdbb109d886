// SQL-callable phonetic codes (docs/similarity.md), over src/core/phonetic.
#include "pg/common/pg.h"

#include <optional>
#include <string>
#include <vector>

#include "core/phonetic/phonetic.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"

CDP_FUNCTION(cdp_soundex) {
    return cdp::pg::text_datum(cdp::phonetic::soundex(cdp::pg::text_arg(fcinfo, 0)));
}

CDP_FUNCTION(cdp_metaphone) {
    return cdp::pg::text_datum(cdp::phonetic::metaphone(cdp::pg::text_arg(fcinfo, 0)));
}

CDP_FUNCTION(cdp_nysiis) { return cdp::pg::text_datum(cdp::phonetic::nysiis(cdp::pg::text_arg(fcinfo, 0))); }

CDP_FUNCTION(cdp_double_metaphone) {
    cdp::phonetic::DoubleMetaphone dm = cdp::phonetic::double_metaphone(cdp::pg::text_arg(fcinfo, 0));
    std::vector<std::optional<std::string>> items{std::move(dm.primary), std::move(dm.alternate)};
    return cdp::pg::text_array_datum(items);
}
