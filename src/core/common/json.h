// The one JSON writer of the core: nlohmann (ordered objects, so keys come
// out in the order they were set), invalid UTF-8 replaced by U+FFFD instead
// of throwing.  Glue code (src/pg) never builds JSON text itself: it calls a
// core function that returns it.  Never include this from a file that
// includes postgres.h (TOOLCHAIN.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cdp::json {

using Json = nlohmann::ordered_json;

// Compact text of `j`.
std::string dump(const Json& j);

// A JSON string literal (with quotes) of a UTF-8 string.
std::string quote(std::string_view s);

// True when JSON text nests arrays/objects deeper than `limit` (brackets
// inside strings ignored).  Checked on the text before nlohmann parses it:
// its recursion (parse, destructor, dump) is unbounded.
bool deeper_than(std::string_view text, int limit);

}  // namespace cdp::json
