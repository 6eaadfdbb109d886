// libFuzzer: phonetic codes never crash, return valid UTF-8 and keep their
// shape (soundex: '' or 4 characters; double metaphone: at most 4 each).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/common/error.h"
#include "core/common/utf8.h"
#include "core/phonetic/phonetic.h"

namespace ph = cdp::phonetic;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string s(reinterpret_cast<const char*>(data), size);
    try {
        const std::string sx = ph::soundex(s);
        if (!sx.empty() && sx.size() != 4) std::abort();
        const auto dm = ph::double_metaphone(s);
        if (dm.primary.size() > 4 || dm.alternate.size() > 4) std::abort();
        for (const std::string& out : {ph::metaphone(s), ph::nysiis(s), sx}) cdp::utf8::decode(out);
    } catch (const cdp::Error&) {
        // invalid UTF-8 input
    }
    return 0;
}
