// Parsing of the `identifiers` argument of cdp.upsert_record():
//   {"email": "a@b.it", "phone": ["+39 02 1234567", "333 1234567"]}
// Each key is an identifier type; each value a string or an array of
// strings.  JSON null and empty arrays contribute nothing.  Anything else is
// an error naming the offending key (22023).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdp::identity {

using RawIdentifiers = std::vector<std::pair<std::string, std::string>>;

RawIdentifiers parse_identifiers(std::string_view json);

}  // namespace cdp::identity
