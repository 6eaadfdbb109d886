// Documented maxima shared by every write path (upsert_record, ingest, the
// linkage and profile areas): one place, so the same value is refused the
// same way wherever it enters.
#pragma once

#include <cstddef>

namespace cdp::limits {

// A source name: 1 to 200 characters (the CHECK on cdp.sources.source).
inline constexpr std::size_t kMaxSourceChars = 200;
// A source key, an identifier value, a userId / anonymousId / messageId:
// at most 1024 bytes (they are btree-indexed; a btree entry must fit a
// third of a page).
inline constexpr std::size_t kMaxKeyBytes = 1024;

}  // namespace cdp::limits
