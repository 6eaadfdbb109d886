// Internal building blocks of the similarity functions: character spans and
// pattern-match tables for bit-parallel algorithms.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cdp::similarity::detail {

template <class C>
struct Span {
    const C* p = nullptr;
    std::size_t n = 0;
    C operator[](std::size_t i) const { return p[i]; }
    std::size_t size() const { return n; }
    bool empty() const { return n == 0; }
};

// Remove the common prefix and suffix of a and b.
template <class C>
void strip_affixes(Span<C>& a, Span<C>& b) {
    std::size_t k = 0;
    while (k < a.n && k < b.n && a.p[k] == b.p[k]) ++k;
    a.p += k;
    a.n -= k;
    b.p += k;
    b.n -= k;
    while (a.n > 0 && b.n > 0 && a.p[a.n - 1] == b.p[b.n - 1]) {
        --a.n;
        --b.n;
    }
}

// Single-word pattern-match table: bit i of get(c) is set when pattern[i] == c
// (pattern length <= 64).  Characters below 256 use a direct table, others a
// small open-addressing hash.  The tables are per thread and are returned to
// all-zero by the destructor, so construction costs O(pattern length).
class PeqWord {
 public:
    template <class C>
    PeqWord(const C* p, std::size_t m) : small_(small()), hash_(hash()), p32_(nullptr), p8_(nullptr), m_(m) {
        store(p);
        for (std::size_t i = 0; i < m; ++i) set(static_cast<std::uint32_t>(p[i]), std::uint64_t{1} << i);
    }
    ~PeqWord() {
        for (std::size_t i = m_; i-- > 0;) clear(pattern_char(i), std::uint64_t{1} << i);
    }
    PeqWord(const PeqWord&) = delete;
    PeqWord& operator=(const PeqWord&) = delete;

    std::uint64_t get(std::uint32_t c) const {
        if (c < 256) return small_[c];
        const Slot* t = hash_;
        for (std::uint32_t h = slot_of(c);; h = (h + 1) & kMask) {
            if (t[h].key == c) return t[h].bits;
            if (t[h].key == kEmpty) return 0;
        }
    }

 private:
    struct Slot {
        std::uint32_t key;
        std::uint64_t bits;
    };
    static constexpr std::uint32_t kEmpty = 0xFFFFFFFFu;
    static constexpr std::uint32_t kSlots = 256;  // > 2 * 64 distinct characters
    static constexpr std::uint32_t kMask = kSlots - 1;

    static std::uint64_t* small() {
        thread_local std::uint64_t table[256] = {};
        return table;
    }
    static Slot* hash() {
        thread_local Slot table[kSlots];
        thread_local bool init = false;
        if (!init) {
            for (auto& s : table) s = Slot{kEmpty, 0};
            init = true;
        }
        return table;
    }
    static std::uint32_t slot_of(std::uint32_t c) { return (c * 2654435761u) >> 24; }

    void store(const unsigned char* p) { p8_ = p; }
    void store(const char32_t* p) { p32_ = p; }
    std::uint32_t pattern_char(std::size_t i) const {
        return p8_ ? static_cast<std::uint32_t>(p8_[i]) : static_cast<std::uint32_t>(p32_[i]);
    }
    void set(std::uint32_t c, std::uint64_t bit) {
        if (c < 256) {
            small_[c] |= bit;
            return;
        }
        Slot* t = hash_;
        for (std::uint32_t h = slot_of(c);; h = (h + 1) & kMask) {
            if (t[h].key == c || t[h].key == kEmpty) {
                t[h].key = c;
                t[h].bits |= bit;
                return;
            }
        }
    }
    // A hashed character is removed at its first occurrence (the lowest bit of
    // its mask), in reverse order of first occurrence, so every probe chain is
    // still intact when its key is looked up.
    void clear(std::uint32_t c, std::uint64_t bit) {
        if (c < 256) {
            small_[c] = 0;
            return;
        }
        Slot* t = hash_;
        for (std::uint32_t h = slot_of(c);; h = (h + 1) & kMask) {
            if (t[h].key == kEmpty) return;
            if (t[h].key == c) {
                if ((t[h].bits & (~t[h].bits + 1)) == bit) t[h] = Slot{kEmpty, 0};
                return;
            }
        }
    }

 private:
    // Per-thread tables, looked up once (TLS access from a shared library
    // is a function call).
    std::uint64_t* small_;
    Slot* hash_;
    const char32_t* p32_;
    const unsigned char* p8_;
    std::size_t m_;
};

// Dense character ids: maps every character of the given spans to 0..sigma-1.
// Bytes map to themselves (sigma = 256).
class Alphabet {
 public:
    template <class C>
    void build(Span<C> a, Span<C> b) {
        if constexpr (sizeof(C) == 1) {
            sigma_ = 256;
            identity_ = true;
        } else {
            chars_.clear();
            chars_.insert(chars_.end(), a.p, a.p + a.n);
            chars_.insert(chars_.end(), b.p, b.p + b.n);
            std::sort(chars_.begin(), chars_.end());
            chars_.erase(std::unique(chars_.begin(), chars_.end()), chars_.end());
            sigma_ = chars_.size();
            identity_ = false;
        }
    }
    template <class C>
    std::uint32_t id(C c) const {
        if (identity_) return static_cast<std::uint32_t>(c);
        auto it = std::lower_bound(chars_.begin(), chars_.end(), static_cast<char32_t>(c));
        return static_cast<std::uint32_t>(it - chars_.begin());
    }
    // Returns sigma (number of ids) or sigma when c is absent (only for
    // characters not among the build input).
    std::size_t sigma() const { return sigma_; }
    bool contains(char32_t c) const {
        if (identity_) return c < 256;
        return std::binary_search(chars_.begin(), chars_.end(), c);
    }

 private:
    std::vector<char32_t> chars_;
    std::size_t sigma_ = 0;
    bool identity_ = false;
};

}  // namespace cdp::similarity::detail
