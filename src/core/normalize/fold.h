// Shared folding of free text to lower-case ASCII (used by name() and
// address()).  Internal to src/core/normalize.
#pragma once

#include <string>
#include <string_view>

namespace cdp::normalize::detail {

// Fold `raw` (UTF-8) to lower-case ASCII:
//   1. apostrophe-like code points (' ` ´ ‘ ’ ʹ ʻ ʼ ʽ ʾ ʿ ˈ ′ ＇ ...) are dropped;
//   2. NFKC;
//   3. ICU transliteration "Any-Latin; Latin-ASCII" (non-Latin scripts to
//      Latin, then Latin letters with diacritics to ASCII);
//   4. ASCII upper-case to lower-case; modifier letters and combining marks
//      still left are dropped; any other non-ASCII code point becomes ' '.
// ASCII punctuation is kept (callers decide what it means).  Pure-ASCII
// input skips ICU.  Long input is processed in chunks cut at white space,
// polling for cancellation between chunks.
// Text whose non-ASCII code points are all Latin, Common or Inherited script
// is mapped code point by code point with a memoised "Latin-ASCII" (same
// result, ~10x faster); other text goes through the full transliterator one
// white-space-separated word at a time, with a bounded cache of words.
std::string fold_ascii(std::string_view raw);

// fold_ascii() without the Latin fast path and the word cache: the whole
// chunk through the transliterator (tests compare the two).
std::string fold_ascii_reference(std::string_view raw);

inline bool is_ascii_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}
inline bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace cdp::normalize::detail
