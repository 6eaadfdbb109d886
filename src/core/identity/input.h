// Parsing of the `identifiers` argument of cdp.upsert_record():
//   {"email": "a@b.it", "phone": ["+39 02 1234567", "333 1234567"]}
// The argument is a JSON object (JSON null or any other type: 22023).  Each
// key is an identifier type; each value a string or an array of strings.
// A null value, a null element and an empty array contribute
// nothing (the record then has no value of that type).  Anything else, and a
// value over limits::kMaxKeyBytes, is an error naming the offending key
// (22023).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdp::identity {

using RawIdentifiers = std::vector<std::pair<std::string, std::string>>;

RawIdentifiers parse_identifiers(std::string_view json);

// A source name has 1..limits::kMaxSourceChars characters; cdp::Error 22023
// otherwise.
void check_source(std::string_view source);
// A record's key: check_source, and a source_key of 1..limits::kMaxKeyBytes
// bytes; cdp::Error 22023 otherwise.
void check_record_key(std::string_view source, std::string_view source_key);

// The same document as the glue reads it with the jsonb API (no text
// parsing): the root's kind, the nesting depth of the whole document
// (containers, the root included) and, for an object root, its entries.
// Same rules and errors as parse_identifiers().
enum class JsonKind { kNull, kString, kNumber, kBool, kObject, kArray };
struct JsonItem {
    JsonKind kind = JsonKind::kNull;
    std::string text;  // kString: the value; otherwise the JSON text of the value
};
struct IdentifierEntry {
    std::string type;
    JsonItem value;                  // for kArray, the elements are in `elements`
    std::vector<JsonItem> elements;  // one level: nested containers as JsonItem text
};
RawIdentifiers identifiers_from(JsonKind root, int depth, std::vector<IdentifierEntry> entries);

}  // namespace cdp::identity
