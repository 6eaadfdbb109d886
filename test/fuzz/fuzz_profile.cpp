// libFuzzer target: computed-trait definitions (user input) and record
// traits for survivorship.  Any input either compiles or throws cdp::Error;
// compiled SQL never holds an unbalanced quote; survivorship never crashes
// and yields a JSON object.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/common/error.h"
#include "core/profile/computed.h"
#include "core/profile/survivorship.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string in(reinterpret_cast<const char*>(data), size);
    try {
        auto t = cdp::profile::compile_computed_trait("fuzz", in);
        size_t quotes = 0;
        for (char c : t.sql) quotes += c == '\'';
        if (quotes % 2 != 0) __builtin_trap();
    } catch (const cdp::Error&) {
    }
    std::vector<cdp::profile::RecordInput> recs(2);
    recs[0].record_id = 1;
    recs[0].traits_json = in;
    recs[1].record_id = 2;
    recs[1].last_at = 1;
    recs[1].traits_json = "{\"a\":1}";
    cdp::profile::RuleMap rules{{"a", cdp::profile::Rule::kUnion}};
    auto r = cdp::profile::build_profile(recs, rules, in);
    if (r.traits_json.empty() || r.traits_json[0] != '{') __builtin_trap();
    return 0;
}
