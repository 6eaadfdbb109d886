// libFuzzer target: the predict area's parsers (durations, prediction specs,
// score rules, stored models).  Any input either parses or throws
// cdp::Error; compiled score SQL never holds an unbalanced quote.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/common/error.h"
#include "core/predict/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string in(reinterpret_cast<const char*>(data), size);
    try {
        cdp::predict::parse_duration(in, "fuzz");
    } catch (const cdp::Error&) {
    }
    try {
        cdp::predict::parse_prediction_spec(in);
    } catch (const cdp::Error&) {
    }
    try {
        auto s = cdp::predict::compile_score(in);
        size_t quotes = 0;
        for (char c : s.sql) quotes += c == '\'';
        if (quotes % 2 != 0) __builtin_trap();
    } catch (const cdp::Error&) {
    }
    try {
        cdp::predict::model_from_json(in);
    } catch (const cdp::Error&) {
    }
    return 0;
}
