// identifiers_from() (the jsonb-API reading of cdp.upsert_record's
// identifiers) agrees with parse_identifiers() (text) on results and errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/common/error.h"
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
    return {kind_of(j), j.is_string() ? j.get<std::string>() : j.dump(1)};  // not compact: dumped again
}
int depth_of(const nlohmann::json& j) {
    if (!j.is_structured()) return 0;
    int d = 0;
    for (const auto& x : j) d = std::max(d, depth_of(x));
    return d + 1;
}
// What the glue hands over, built here from the parsed document (entries in
// reverse key order: identifiers_from must sort them).
std::string via_entries(const std::string& text) {
    auto doc = nlohmann::json::parse(text);
    std::vector<IdentifierEntry> entries;
    if (doc.is_object())
        for (auto it = doc.rbegin(); it != doc.rend(); ++it) {
            IdentifierEntry e{it.key(), item(it.value()), {}};
            if (it.value().is_array())
                for (const auto& x : it.value()) e.elements.push_back(item(x));
            entries.push_back(std::move(e));
        }
    try {
        auto r = identifiers_from(kind_of(doc), depth_of(doc), entries);
        std::string out;
        for (const auto& [t, v] : r) out += t + "=" + v + ";";
        return out;
    } catch (const cdp::Error& e) {
        return std::string("error ") + e.sqlstate() + ": " + e.what() + " / " + e.detail();
    }
}
std::string via_text(const std::string& text) {
    try {
        auto r = parse_identifiers(text);
        std::string out;
        for (const auto& [t, v] : r) out += t + "=" + v + ";";
        return out;
    } catch (const cdp::Error& e) {
        return std::string("error ") + e.sqlstate() + ": " + e.what() + " / " + e.detail();
    }
}

}  // namespace

TEST(IdentityInput, JsonbReadingMatchesTextParser) {
    for (const std::string doc : {
             R"({"email": "a@b.it", "phone": ["+39 02 1234567", null, "333"]})",
             R"({"phone": "1", "email": "2", "anonymous_id": []})",
             R"(null)",
             R"({})",
             R"({"email": 42.50})",
             R"({"email": true})",
             R"({"b": ["x", {"z": 1, "a": [2]}], "a": 7})",
             R"(["a@b.it"])",
             R"("a@b.it")",
             R"(12)",
             R"({"email": [[["deep"]]]})",
             R"([[[["deep"]]]])",
             R"({"email": null, "x": [null]})",
         }) {
        EXPECT_EQ(via_entries(doc), via_text(doc)) << doc;
    }
}

TEST(IdentityInput, ErrorsNameTheKey) {
    EXPECT_EQ(
        via_entries(R"({"email": [1]})"),
        "error 22023: identifier \"email\" must be a string or an array of strings, not number / value: 1");
    EXPECT_EQ(
        via_entries(R"({"email": {"x": 1}})"),
        "error 22023: identifier \"email\" must be a string or an array of strings, not object / value: "
        "{\"x\":1}");
}
