#include "core/identity/input.h"

#include <nlohmann/json.hpp>

#include "core/common/error.h"

namespace cdp::identity {

namespace {
// Reject deep nesting before handing the text to nlohmann (its recursive
// destructor/dump must never see user-controlled depth).
void check_depth(std::string_view json, int max_depth) {
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < json.size(); ++i) {
        char c = json[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                throw Error("identifiers are nested too deeply", sqlstate::kInvalidParameterValue, {},
                            "Use {\"type\": \"value\"} or {\"type\": [\"value\", ...]}.");
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
}

const char* kHint = "Identifiers look like {\"email\": \"a@b.it\", \"phone\": [\"+39 02 1234567\"]}.";
}  // namespace

RawIdentifiers parse_identifiers(std::string_view json) {
    check_depth(json, 3);
    nlohmann::json doc = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
    if (doc.is_discarded()) throw Error("identifiers are not valid JSON", sqlstate::kInvalidJsonText);
    if (doc.is_null()) return {};
    if (!doc.is_object())
        throw Error("identifiers must be a JSON object, not " + std::string(doc.type_name()),
                    sqlstate::kInvalidParameterValue, {}, kHint);
    RawIdentifiers out;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        const std::string& type = it.key();
        const nlohmann::json& v = it.value();
        auto bad = [&](const nlohmann::json& x) {
            return Error("identifier \"" + type + "\" must be a string or an array of strings, not " +
                             std::string(x.type_name()),
                         sqlstate::kInvalidParameterValue, "value: " + x.dump(), kHint);
        };
        if (v.is_null()) continue;
        if (v.is_string()) {
            out.emplace_back(type, v.get<std::string>());
        } else if (v.is_array()) {
            for (const auto& x : v) {
                if (x.is_null()) continue;
                if (!x.is_string()) throw bad(x);
                out.emplace_back(type, x.get<std::string>());
            }
        } else {
            throw bad(v);
        }
    }
    return out;
}

}  // namespace cdp::identity
