// Per-thread decode buffers of the UTF-8 entry points (internal).
#pragma once

#include <string>
#include <string_view>

#include "core/common/utf8.h"

namespace cdp::similarity::detail {

// Decodes `s` into a per-thread buffer (slot 0..3) and returns a view of it;
// valid until the next call with the same slot on this thread.
inline std::u32string_view decode_slot(std::string_view s, int slot) {
    thread_local std::u32string buffers[4];
    std::u32string& b = buffers[slot];
    utf8::decode_into(s, b);
    return b;
}

// View of ASCII bytes as unsigned characters.
inline std::basic_string_view<unsigned char> bytes(std::string_view s) {
    return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

}  // namespace cdp::similarity::detail
