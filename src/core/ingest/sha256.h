// SHA-256 (FIPS 180-4, computed by OpenSSL libcrypto), used to derive a deterministic messageId for
// messages that carry none.
#pragma once

#include <string>
#include <string_view>

namespace cdp::ingest {

// Lower-case hex digest of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace cdp::ingest
