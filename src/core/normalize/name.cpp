// normalize::name(): fold to lower-case ASCII, apostrophes dropped, any other
// punctuation or space run becomes one space, trimmed.
#include <string>

#include "core/normalize/fold.h"
#include "core/normalize/normalize.h"

namespace cdp::normalize {

std::string name(std::string_view raw) {
    const std::string folded = detail::fold_ascii(raw);
    std::string out;
    out.reserve(folded.size());
    bool gap = false;
    for (char c : folded) {
        if (detail::is_ascii_alnum(c)) {
            if (gap && !out.empty()) out.push_back(' ');
            gap = false;
            out.push_back(c);
        } else {
            gap = true;
        }
    }
    return out;
}

}  // namespace cdp::normalize
