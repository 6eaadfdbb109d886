// String similarity on Unicode code points (docs/similarity.md).
// Pure C++; no PostgreSQL headers.
//
// Every function has a code-point form (std::u32string_view) and a UTF-8 form
// (std::string_view, suffix _utf8) that takes an ASCII fast path and otherwise
// decodes into per-thread buffers (no allocation once they have grown).
//
// Work is bounded: the cost of each call is at most the documented limit, or
// the call throws cdp::Error with SQLSTATE 54000 (program_limit_exceeded)
// before starting.  Long loops poll cdp::interrupt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cdp::similarity {

// ---- edit distances --------------------------------------------------------

// Levenshtein distance (unit costs).  `max` < 0 means unbounded; otherwise the
// result is min(distance, max + 1) and the computation stops early.
// Bit-parallel (Myers / Hyyrö), 64 rows per machine word.
std::int64_t levenshtein(std::u32string_view a, std::u32string_view b, std::int64_t max = -1);
std::int64_t levenshtein_utf8(std::string_view a, std::string_view b, std::int64_t max = -1);

// Unrestricted Damerau-Levenshtein distance (transpositions of characters that
// are not adjacent after other edits count too; jellyfish semantics).
std::int64_t damerau_levenshtein(std::u32string_view a, std::u32string_view b);
std::int64_t damerau_levenshtein_utf8(std::string_view a, std::string_view b);

// Work limits (cells of the dynamic-programming matrix after common prefix
// and suffix are removed).
inline constexpr std::uint64_t kLevenshteinMaxWords = 1'000'000'000;  // 64-cell words
inline constexpr std::uint64_t kDamerauMaxCells = 400'000'000;

// ---- Jaro / Jaro-Winkler ---------------------------------------------------

// Jaro similarity in [0,1] (jellyfish semantics: 0 when either is empty).
double jaro(std::u32string_view a, std::u32string_view b);
double jaro_utf8(std::string_view a, std::string_view b);

// Jaro-Winkler, prefix scale 0.1, common prefix capped at 4, boost applied
// only when Jaro > 0.7 (jellyfish).
double jaro_winkler(std::u32string_view a, std::u32string_view b);
double jaro_winkler_utf8(std::string_view a, std::string_view b);

// ---- trigram similarity (pg_trgm) -----------------------------------------

// Equal to pg_trgm's similarity(a, b): words are runs of alphanumeric
// characters (iswalnum() of the current LC_CTYPE, as PostgreSQL's
// t_isalnum), lower-cased with towlower(), padded "  word ", cut into
// trigrams; a trigram of multibyte characters is the low three bytes of the
// legacy CRC-32 of its UTF-8 bytes; result = |common| / |union| as float4.
float trigram_similarity_utf8(std::string_view a, std::string_view b);

// ---- token-set similarity --------------------------------------------------

// Order-insensitive similarity of the token sets (see similarity/token_set.cpp):
// tokens are runs of letters/digits, lower-cased; duplicate tokens count once;
// tokens are paired greedily by Jaro-Winkler (best pairs first, each token
// used once); result = 2 * sum(pair scores) / (|A| + |B|).  0 when either side
// has no token.
double token_set_similarity_utf8(std::string_view a, std::string_view b);
inline constexpr std::uint64_t kTokenSetMaxPairs = 4'000'000;

}  // namespace cdp::similarity
