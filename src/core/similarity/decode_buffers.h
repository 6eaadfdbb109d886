// Per-thread decode buffers of the UTF-8 entry points (internal).
#pragma once

#include <string>
#include <string_view>

#include "core/common/utf8.h"
#include "core/similarity/bitpar.h"

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

// Calls f(Span, Span) on two UTF-8 strings: on their bytes when both are
// ASCII (the common case, no decoding), else on their decoded code points.
template <class F>
auto with_spans(std::string_view a, std::string_view b, F&& f) {
    if (utf8::is_ascii(a) && utf8::is_ascii(b)) {
        using U = unsigned char;
        return f(Span<U>{reinterpret_cast<const U*>(a.data()), a.size()},
                 Span<U>{reinterpret_cast<const U*>(b.data()), b.size()});
    }
    std::u32string_view ua = decode_slot(a, 0), ub = decode_slot(b, 1);
    return f(Span<char32_t>{ua.data(), ua.size()}, Span<char32_t>{ub.data(), ub.size()});
}

}  // namespace cdp::similarity::detail
