// libFuzzer target: destination specs (user input).  Any input is accepted
// or refused with cdp::Error; an accepted spec re-parses to the same spec and
// its payload SQL never holds an unbalanced quote.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/activation/activation.h"
#include "core/common/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string in(reinterpret_cast<const char*>(data), size);
    cdp::activation::Catalog c;
    c.segments = {"vip"};
    c.purposes = {"email_marketing"};
    c.id_types = {"email"};
    c.computed = {"rfm_monetary"};
    c.traits = {"first_name", "it's"};
    try {
        std::string out = cdp::activation::compile_spec(in, c);
        if (out.empty() || out[0] != '{') __builtin_trap();
        auto s = cdp::activation::parse_spec(in, c);
        std::vector<cdp::activation::Field> f;
        for (const auto& n : s.fields) f.push_back(cdp::activation::resolve_field(n, c, "f"));
        std::string sql = cdp::activation::projection_sql(f);
        size_t quotes = 0;
        for (char ch : sql) quotes += ch == '\'';
        if (quotes % 2 != 0) __builtin_trap();
    } catch (const cdp::Error&) {
    }
    std::string why;
    cdp::activation::valid_url(in, &why);
    return 0;
}
