// UTF-8 <-> Unicode code points.  Every similarity and phonetic function
// works on code points, never bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cdp::utf8 {

// Decode UTF-8 into code points.  Invalid sequences throw cdp::Error with
// SQLSTATE 22021 (character_not_in_repertoire) naming the byte offset.
// PostgreSQL already validates text input, so this only fires on bad data
// coming from outside the database (unit tests, fuzzers).
std::u32string decode(std::string_view s);

// Same, appending into `out` (cleared first) to reuse its capacity.
void decode_into(std::string_view s, std::u32string& out);

// Encode code points as UTF-8.
std::string encode(std::u32string_view s);
void append(std::string& out, char32_t cp);

// Number of code points (no validation beyond lead-byte counting).
std::size_t length(std::string_view s) noexcept;

// True when every byte is < 0x80.
bool is_ascii(std::string_view s) noexcept;

}  // namespace cdp::utf8
