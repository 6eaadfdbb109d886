#include "core/identity/input.h"

#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/limits.h"
#include "core/common/utf8.h"

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
        auto add = [&](const nlohmann::json& x) {
            std::string value;
            if (!x.is_string()) throw bad(x);
            value = x.get<std::string>();
            if (value.size() > limits::kMaxKeyBytes)
                throw Error("identifier \"" + type + "\" has a value longer than " +
                                std::to_string(limits::kMaxKeyBytes) + " bytes",
                            sqlstate::kInvalidParameterValue,
                            "value starts with: " + json_quote(value.substr(0, 40)));
            out.emplace_back(type, std::move(value));
        };
        if (v.is_null()) continue;
        if (v.is_array()) {
            for (const auto& x : v)
                if (!x.is_null()) add(x);
        } else {
            add(v);
        }
    }
    return out;
}

void check_source(std::string_view source) {
    if (source.empty()) throw Error("source must not be empty", sqlstate::kInvalidParameterValue);
    const std::size_t chars = utf8::length(source);
    if (chars > limits::kMaxSourceChars)
        throw Error("source is longer than " + std::to_string(limits::kMaxSourceChars) + " characters (" +
                        std::to_string(chars) + ")",
                    sqlstate::kInvalidParameterValue, "source starts with: " + json_quote(source.substr(0, 40)));
}

void check_record_key(std::string_view source, std::string_view source_key) {
    check_source(source);
    if (source_key.empty()) throw Error("source_key must not be empty", sqlstate::kInvalidParameterValue);
    if (source_key.size() > limits::kMaxKeyBytes)
        throw Error("source_key is longer than " + std::to_string(limits::kMaxKeyBytes) + " bytes (" +
                        std::to_string(source_key.size()) + ")",
                    sqlstate::kInvalidParameterValue,
                    "source_key starts with: " + json_quote(source_key.substr(0, 40)));
}

std::string json_quote(std::string_view s) {
    return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace cdp::identity
