// SQL-callable person-name matching: cdp.name_similarity and the functions
// behind the %~ and <~> operators (docs/namematch.md).  The index support
// functions are in name_gin.cpp and name_gist.cpp.
#include "pg/common/pg.h"

#include <array>
#include <string>

#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/namematch/gucs.h"
#include "pg/namematch/prepared.h"

namespace cdp::pg::namematch {

const cdp::namematch::Name& prepared(std::string_view raw, Slot slot) {
    struct Entry {
        bool valid = false;
        std::string raw;
        cdp::namematch::Name name;
    };
    static std::array<Entry, 4> cache;
    Entry& e = cache[slot];
    if (!e.valid || e.raw != raw) {
        e.valid = false;
        e.name = cdp::namematch::prepare(raw);
        e.raw.assign(raw);
        e.valid = true;
    }
    return e.name;
}

}  // namespace cdp::pg::namematch

namespace {
double similarity_args(FunctionCallInfo fcinfo) {
    using cdp::pg::namematch::prepared;
    const auto& a = prepared(cdp::pg::text_arg(fcinfo, 0), cdp::pg::namematch::kLeft);
    const auto& b = prepared(cdp::pg::text_arg(fcinfo, 1), cdp::pg::namematch::kRight);
    return cdp::namematch::score(a, b);
}
}  // namespace

// cdp.name_similarity(a text, b text) -> float8
CDP_FUNCTION(cdp_name_similarity) { return Float8GetDatum(similarity_args(fcinfo)); }

// a %~ b: name_similarity(a, b) >= cdp.similarity_threshold
CDP_FUNCTION(cdp_name_similar_op) {
    return BoolGetDatum(similarity_args(fcinfo) >= cdp::pg::namematch::similarity_threshold);
}

// a <~> b: 1 - name_similarity(a, b)
CDP_FUNCTION(cdp_name_distance) { return Float8GetDatum(1.0 - similarity_args(fcinfo)); }
