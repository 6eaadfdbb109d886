// libFuzzer: UTF-8 decoding never crashes and round-trips what it accepts.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/common/error.h"
#include "core/common/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string s(reinterpret_cast<const char*>(data), size);
    try {
        std::u32string cps = cdp::utf8::decode(s);
        if (cdp::utf8::encode(cps) != s) std::abort();
    } catch (const cdp::Error&) {
    }
    return 0;
}
