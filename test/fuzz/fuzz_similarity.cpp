// libFuzzer: similarity functions never crash and keep their invariants on
// arbitrary input (split in two strings at the first 0xFF byte).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/common/error.h"
#include "core/common/utf8.h"
#include "core/similarity/similarity.h"

namespace sim = cdp::similarity;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string in(reinterpret_cast<const char*>(data), size);
    const std::size_t cut = in.find('\xFF');
    const std::string a = in.substr(0, cut),
                      b = cut == std::string::npos ? std::string() : in.substr(cut + 1);
    try {
        const std::u32string ua = cdp::utf8::decode(a), ub = cdp::utf8::decode(b);
        const auto d = sim::levenshtein_utf8(a, b);
        if (d != sim::levenshtein(ub, ua)) std::abort();  // symmetric, both entry points
        if (d <
            static_cast<std::int64_t>(ua.size() > ub.size() ? ua.size() - ub.size() : ub.size() - ua.size()))
            std::abort();
        for (std::int64_t k : {0, 1, 3, 70})
            if (sim::levenshtein_utf8(a, b, k) != std::min<std::int64_t>(d, k + 1)) std::abort();
        const auto dl = sim::damerau_levenshtein_utf8(a, b);
        if (dl > d || dl != sim::damerau_levenshtein(ub, ua)) std::abort();
        const double j = sim::jaro_utf8(a, b), jw = sim::jaro_winkler_utf8(a, b);
        if (!(j >= 0 && j <= 1 + 1e-12) || !(jw >= j - 1e-12 && jw <= 1 + 1e-12)) std::abort();
        const float t = sim::trigram_similarity_utf8(a, b);
        if (!(t >= 0 && t <= 1) || t != sim::trigram_similarity_utf8(b, a)) std::abort();
        const double ts = sim::token_set_similarity_utf8(a, b);
        if (!(ts >= 0 && ts <= 1)) std::abort();
    } catch (const cdp::Error&) {
        // invalid UTF-8 or a work limit: fine
    }
    return 0;
}
