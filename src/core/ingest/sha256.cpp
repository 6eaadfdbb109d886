// sha256_hex through OpenSSL's libcrypto (EVP interface).
#include "core/ingest/sha256.h"

#include <openssl/evp.h>

#include "core/common/error.h"

namespace cdp::ingest {

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1)
        throw Error("SHA-256 digest failed (libcrypto)", sqlstate::kInternalError);
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::size_t{2} * len);
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 0x0F]);
    }
    return out;
}

}  // namespace cdp::ingest
