// libFuzzer: person-name matching and its index keys never crash and keep
// their invariants on arbitrary input (query, stored name and raw key bytes
// split at 0xFF bytes):
//  * name_similarity in [0, 1] and symmetric;
//  * GIN: the bound from the stored name's keys is above the score;
//  * GiST: the bound from the stored name's token dictionary (fast path and
//    reference) is above the score;
//  * arbitrary bytes read as a dictionary never read out of bounds (ASan)
//    and a malformed one bounds at least as high as "nothing known".
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/common/error.h"
#include "core/namematch/namematch.h"
#include "core/namematch/token_dict.h"

namespace nm = cdp::namematch;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string in(reinterpret_cast<const char*>(data), size);
    std::string parts[3];
    for (int i = 0; i < 3; ++i) {
        const std::size_t cut = in.find('\xFF');
        parts[i] = in.substr(0, cut);
        in = cut == std::string::npos ? std::string() : in.substr(cut + 1);
    }
    try {
        const nm::Name q = nm::prepare(parts[0]), d = nm::prepare(parts[1]);
        const double s = nm::score(q, d);
        if (!(s >= 0.0 && s <= 1.0) || s != nm::score(d, q)) std::abort();
        const std::size_t m = d.tokens.size();

        const auto plan = nm::query_plan(q);
        const auto keys = nm::index_keys(d);
        const double gin = nm::plan_upper_bound(
            plan, [&](std::size_t k) { return std::binary_search(keys.begin(), keys.end(), plan.keys[k]); },
            m, m);
        if (s > gin) std::abort();

        const nm::DictQuery dq(q);
        std::string dict;
        if (nm::encode_name_dict(d, dict)) {
            const double gist = dq.upper_bound(dict, m, m);
            if (s > gist || gist != dq.reference_upper_bound(dict, m, m)) std::abort();
        }
        if (s > dq.unknown_upper_bound(m, m)) std::abort();

        const double raw = dq.upper_bound(parts[2], 0, nm::kMaxTokens);
        if (!(raw >= 0.0)) std::abort();
        nm::DictReader r(parts[2]);
        nm::DictEntry e;
        std::size_t seen = 0;
        while (r.next(e)) seen += e.bytes;
        if (seen > parts[2].size()) std::abort();
    } catch (const cdp::Error&) {
        // invalid UTF-8 or a work limit: fine
    }
    return 0;
}
