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

// JSON string literal (with quotes) of a UTF-8 string.
std::string json_quote(std::string_view s);

}  // namespace cdp::identity
