#include "core/identity/input.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/json.h"
#include "core/common/limits.h"
#include "core/common/utf8.h"

namespace cdp::identity {

namespace {
[[noreturn]] void too_deep();

const char* kHint = "Identifiers look like {\"email\": \"a@b.it\", \"phone\": [\"+39 02 1234567\"]}.";

constexpr int kMaxDepth = 3;

[[noreturn]] void too_deep() {
    throw Error("identifiers are nested too deeply", sqlstate::kInvalidParameterValue, {},
                "Use {\"type\": \"value\"} or {\"type\": [\"value\", ...]}.");
}

const char* kind_name(JsonKind k) {  // as nlohmann's type_name()
    switch (k) {
        case JsonKind::kNull:
            return "null";
        case JsonKind::kString:
            return "string";
        case JsonKind::kNumber:
            return "number";
        case JsonKind::kBool:
            return "boolean";
        case JsonKind::kObject:
            return "object";
        case JsonKind::kArray:
            return "array";
    }
    return "value";
}

Error bad_value(const std::string& type, const JsonItem& x) {
    // The value as nlohmann writes it (compact, keys sorted), like parse_identifiers().
    if (cdp::json::deeper_than(x.text, kMaxDepth)) too_deep();
    nlohmann::json v = nlohmann::json::parse(x.text, nullptr, false);
    return Error(
        "identifier \"" + type + "\" must be a string or an array of strings, not " + kind_name(x.kind),
        sqlstate::kInvalidParameterValue, "value: " + (v.is_discarded() ? x.text : v.dump()), kHint);
}
void check_value_length(const std::string& type, const std::string& value) {
    if (value.size() > limits::kMaxKeyBytes)
        throw Error("identifier \"" + type + "\" has a value longer than " +
                        std::to_string(limits::kMaxKeyBytes) + " bytes",
                    sqlstate::kInvalidParameterValue,
                    "value starts with: " + cdp::json::quote(value.substr(0, 40)));
}
}  // namespace

RawIdentifiers identifiers_from(JsonKind root, int depth, std::vector<IdentifierEntry> entries) {
    if (depth > kMaxDepth) too_deep();
    if (root != JsonKind::kObject)
        throw Error(std::string("identifiers must be a JSON object, not ") + kind_name(root),
                    sqlstate::kInvalidParameterValue, {}, kHint);
    // In key order (bytewise), as an object read by parse_identifiers().
    std::stable_sort(entries.begin(), entries.end(),
                     [](const IdentifierEntry& a, const IdentifierEntry& b) { return a.type < b.type; });
    RawIdentifiers out;
    for (const auto& e : entries) {
        switch (e.value.kind) {
            case JsonKind::kNull:
                break;
            case JsonKind::kString:
                check_value_length(e.type, e.value.text);
                out.emplace_back(e.type, e.value.text);
                break;
            case JsonKind::kArray:
                for (const auto& x : e.elements) {
                    if (x.kind == JsonKind::kNull) continue;
                    if (x.kind != JsonKind::kString) throw bad_value(e.type, x);
                    check_value_length(e.type, x.text);
                    out.emplace_back(e.type, x.text);
                }
                break;
            default:
                throw bad_value(e.type, e.value);
        }
    }
    return out;
}

RawIdentifiers parse_identifiers(std::string_view json) {
    if (cdp::json::deeper_than(json, 3)) too_deep();
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
            if (!x.is_string()) throw bad(x);
            std::string value = x.get<std::string>();
            check_value_length(type, value);
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
                    sqlstate::kInvalidParameterValue,
                    "source starts with: " + cdp::json::quote(source.substr(0, 40)));
}

void check_record_key(std::string_view source, std::string_view source_key) {
    check_source(source);
    if (source_key.empty()) throw Error("source_key must not be empty", sqlstate::kInvalidParameterValue);
    if (source_key.size() > limits::kMaxKeyBytes)
        throw Error("source_key is longer than " + std::to_string(limits::kMaxKeyBytes) + " bytes (" +
                        std::to_string(source_key.size()) + ")",
                    sqlstate::kInvalidParameterValue,
                    "source_key starts with: " + cdp::json::quote(source_key.substr(0, 40)));
}

}  // namespace cdp::identity
