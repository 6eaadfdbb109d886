// libFuzzer target: segment definitions (user input).  Any input either
// compiles or throws cdp::Error; compiled SQL holds no user text (no quote
// outside the compiler's own fixed literals: quotes are balanced) and the
// readable form's literals are balanced too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/common/error.h"
#include "core/segment/dsl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string in(reinterpret_cast<const char*>(data), size);
    try {
        auto c = cdp::segment::compile(in);
        for (const std::string* s : {&c.sql, &c.subset_sql, &c.readable}) {
            size_t quotes = 0;
            for (char ch : *s) quotes += ch == '\'';
            if (quotes % 2 != 0) __builtin_trap();
        }
        (void)cdp::segment::compiled_json(c);
    } catch (const cdp::Error&) {
    }
    return 0;
}
