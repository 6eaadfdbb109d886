// libFuzzer target for the identity core: the identifiers JSON parser
// (errors only as cdp::Error, never a crash; the jsonb-API reading
// identifiers_from() gives the same result or error) and the resolution engine over
// arbitrary record/value sequences, checked against a plain union-find when
// no limit applies (same partition) and for limit invariants otherwise.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/error.h"
#include "core/identity/engine.h"
#include "core/identity/input.h"

using namespace cdp::identity;

namespace {
JsonKind kind_of(const nlohmann::json& j) {
    if (j.is_null()) return JsonKind::kNull;
    if (j.is_string()) return JsonKind::kString;
    if (j.is_number()) return JsonKind::kNumber;
    if (j.is_boolean()) return JsonKind::kBool;
    return j.is_object() ? JsonKind::kObject : JsonKind::kArray;
}
JsonItem item(const nlohmann::json& j) {
    return {kind_of(j), j.is_string() ? j.get<std::string>() : j.dump()};
}
int depth_of(const nlohmann::json& j, int limit) {
    if (!j.is_structured() || limit == 0) return 0;
    int d = 0;
    for (const auto& x : j) d = std::max(d, depth_of(x, limit - 1));
    return d + 1;
}
// parse_identifiers(text) and identifiers_from(entries of the same document) agree.
void compare_readings(std::string_view in) {
    std::string a, b;
    try {
        for (const auto& [t, v] : parse_identifiers(in)) a += t + "=" + v + ";";
    } catch (const cdp::Error& e) {
        a = std::string("error ") + e.what() + e.detail();
    }
    if (a.rfind("error identifiers are not valid JSON", 0) == 0 ||
        a == "error identifiers are nested too deeply")
        return;  // jsonb never holds invalid text; depth is checked on both sides
    nlohmann::json doc = nlohmann::json::parse(in.begin(), in.end(), nullptr, false);
    if (doc.is_discarded()) return;
    std::vector<IdentifierEntry> entries;
    if (doc.is_object())
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            IdentifierEntry e{it.key(), item(it.value()), {}};
            if (it.value().is_array())
                for (const auto& x : it.value()) e.elements.push_back(item(x));
            entries.push_back(std::move(e));
        }
    try {
        for (const auto& [t, v] : identifiers_from(kind_of(doc), depth_of(doc, 4), entries))
            b += t + "=" + v + ";";
    } catch (const cdp::Error& e) {
        b = std::string("error ") + e.what() + e.detail();
    }
    if (a != b) __builtin_trap();
}

int plain_find(std::vector<int>& p, int x) {
    while (p[x] != x) x = p[x] = p[p[x]];
    return x;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    compare_readings(in);
    if (size < 2) return 0;
    // Engine: byte 0 picks limits; then each byte is a (type, value) of the
    // current record, 0xff ends a record.
    const bool limited = data[0] & 1;
    Rules rules({{"a", 1, limited ? 2 : 0, limited ? 3 : 0}, {"b", 2, limited ? 1 : 0, 0}, {"c", 3, 0, 0}},
                limited ? 4 : 0);
    ValueTable values;
    Engine e(rules, values);
    std::vector<int32_t> nodes;
    std::vector<std::vector<uint32_t>> recs(1);
    for (std::size_t i = 1; i < size && recs.size() < 200; ++i) {
        if (data[i] == 0xff) {
            recs.emplace_back();
            continue;
        }
        int t = data[i] % 3;
        recs.back().push_back(values.intern(t, std::string(1, static_cast<char>('0' + (data[i] >> 2) % 8))));
    }
    std::vector<LinkEvent> events;
    for (std::size_t r = 0; r < recs.size(); ++r)
        nodes.push_back(e.process_record(static_cast<int64_t>(r + 1), recs[r], -1, &events));
    if (!limited) {
        // Same partition as a plain union-find over shared values.
        std::vector<int> p(recs.size());
        for (std::size_t r = 0; r < recs.size(); ++r) p[r] = static_cast<int>(r);
        std::vector<int> owner(values.size(), -1);
        for (std::size_t r = 0; r < recs.size(); ++r)
            for (uint32_t v : recs[r]) {
                if (owner[v] < 0) owner[v] = static_cast<int>(r);
                p[plain_find(p, static_cast<int>(r))] = plain_find(p, owner[v]);
            }
        for (std::size_t a = 0; a < recs.size(); ++a)
            for (std::size_t b = a + 1; b < recs.size(); ++b)
                if ((e.find(nodes[a]) == e.find(nodes[b])) !=
                    (plain_find(p, static_cast<int>(a)) == plain_find(p, static_cast<int>(b))))
                    __builtin_trap();
    } else {
        for (int32_t n : nodes)
            if (e.record_count(n) > 4) __builtin_trap();  // never above max_cluster_records
    }
    return 0;
}
