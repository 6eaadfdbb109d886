// Token dictionaries: the keys of the GiST operator class cdp.gist_name_ops.
// Pure C++; no PostgreSQL headers.
//
// A dictionary is the set of distinct normalised tokens of one or more names,
// sorted by their UTF-8 bytes, each with 16-bit hashes of its double
// metaphone codes.  A GiST leaf holds the dictionary of its name; an internal
// entry the union of the dictionaries below it (while it fits; else the entry
// becomes lossy, see name_gist.cpp).
//
// Bound lemma.  For a query token x and any stored token y whose dictionary
// entry is e, token_score(x, y) <= entry_level(x, e), and entry_level is
// never below 0.  So for every name N whose tokens all lie in dictionary D,
// best(x_i) = max_{y in N} token_score(x_i, y) <= max(kUnkeyed,
// max_{e in D} entry_level(x_i, e)), and score(query, N) is at most
// upper_bound() of those per-token bounds (namematch.h).  entry_level follows
// token_score case by case (score.cpp):
//   equal texts 1; initials kInitial or 0 exactly as token_score;
//   nickname relation: the level of the pair in the nickname table;
//   phonetic: kPhonetic when a code hash of y equals one of x (a hash
//   collision only raises the bound);
//   one edit apart: the exact Jaro-Winkler; otherwise the unkeyed score,
//   at most kUnkeyed (the per-token bound starts there).
// Dictionaries store the texts exactly, so unlike key signatures they never
// report a related token that is not there: the bound of a subtree is tight
// up to the assignment relaxation.
//
// Token counts: each entry carries a mask of the token counts of the names
// holding it (bit c: c + 1 tokens; the last bit: kTokenCountClasses or
// more), and the bound is taken per count, from the entries of names of that
// count only: a page where the initial "s" occurs only in three-token names
// cannot lift the bound of its two-token names.
//
// Encoding: consecutive entries [u8 head][u8 mask][u16 ph1][u16 ph2][text],
// head = text length (7 bits) | 0x80 when the text is not pure ASCII; u16
// little-endian; texts strictly increasing (bytewise, shorter first on a
// common prefix).  A phonetic hash of 0 means "no code".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/namematch/namematch.h"

namespace cdp::namematch {

inline constexpr std::size_t kDictEntryHeader = 6;
inline constexpr std::size_t kTokenCountClasses = 8;

// Mask bit of a name with m tokens (0 for m = 0).
std::uint8_t token_count_bit(std::size_t m);
inline constexpr std::size_t kDictMaxTokenBytes = 127;

// 16-bit hash of a double metaphone code, never 0 (0 = no code).
std::uint16_t phonetic_hash16(std::string_view code);

// One entry of an encoded dictionary.
struct DictEntry {
    std::string_view text;
    std::uint8_t mmask = 0;  // token counts of the names holding it
    std::uint16_t ph1 = 0, ph2 = 0;
    bool ascii = true;      // text is pure ASCII (bytes are code points)
    std::size_t bytes = 0;  // encoded size (header + text)
};

// Iterates the entries of an encoded dictionary.  A malformed encoding ends
// the iteration early (ok() false).
class DictReader {
 public:
    explicit DictReader(std::string_view dict) : p_(dict) {}
    bool next(DictEntry& e);
    bool ok() const { return ok_; }

 private:
    std::string_view p_;
    bool ok_ = true;
};

// Dictionary of one name.  False when a token is longer than
// kDictMaxTokenBytes (the caller then stores a lossy key).
bool encode_name_dict(const Name& name, std::string& out);

// Union of dictionaries into `out`; false when it would exceed max_bytes.
bool merge_dicts(const std::vector<std::string_view>& dicts, std::size_t max_bytes, std::string& out);

// Encoded bytes of the entries of `add` missing from `base` (GiST penalty).
std::size_t dict_added_bytes(std::string_view base, std::string_view add);

// Order of dictionaries by their token sequences (GiST sorted build): names
// sharing their alphabetically first token end up on the same leaf pages.
int dict_compare(std::string_view a, std::string_view b);

// First token of a dictionary ("" when empty).
std::string_view dict_first_token(std::string_view dict);

// A query prepared for bounding dictionaries.
class DictQuery {
 public:
    explicit DictQuery(const Name& query);

    // Upper bound of score(query, N) for every name N whose tokens all lie in
    // `dict` and whose token count is in [m_min, m_max].
    double upper_bound(std::string_view dict, std::size_t m_min, std::size_t m_max) const;

    // Upper bound for names about which only the token count is known.
    double unknown_upper_bound(std::size_t m_min, std::size_t m_max) const;

    // Bound lemma: level of query token i against a dictionary entry (the
    // reference; upper_bound() computes the same levels with a fast path
    // for ASCII texts, test/unit/test_token_dict.cpp checks they agree).
    double entry_level(std::size_t i, const DictEntry& e) const;

    // upper_bound() through entry_level() only (for tests).
    double reference_upper_bound(std::string_view dict, std::size_t m_min, std::size_t m_max) const;

 private:
    struct NickRelation {
        std::uint32_t hash;  // text hash of the related name
        double level;        // token score of the pair
        std::string_view text;
    };
    struct QToken {
        std::string text;
        std::u32string cps;
        bool ascii = true;
        std::uint16_t ph1 = 0, ph2 = 0;
        std::vector<NickRelation> nick;  // sorted by hash
    };
    // Text hash of an entry, computed at its first nickname lookup.
    struct EntryHash {
        bool done = false;
        std::uint32_t value = 0;
    };

    bool maybe_nick(std::string_view y) const;
    static double nick_level(const QToken& x, std::string_view y, EntryHash& h);
    static bool phonetic_agree(const QToken& x, const DictEntry& e);
    // Jaro-Winkler of a one-edit pair, in token_score's argument order.
    static double typo_jw(const QToken& x, const std::u32string& y);
    template <class Level>
    double bound_impl(std::string_view dict, std::size_t m_min, std::size_t m_max, Level level_of) const;
    // entry_level of an ASCII entry against an ASCII query token when that
    // exceeds kUnkeyed, else a value <= kUnkeyed.
    double ascii_level(std::size_t i, const DictEntry& e, bool maybe_nick, EntryHash& h) const;

    std::vector<QToken> toks_;
    // Nickname prefilter: bit (first byte % 64) of nick_filter_[length % 32]
    // is set for every related text of every query token.
    std::uint64_t nick_filter_[32] = {};
};

}  // namespace cdp::namematch
