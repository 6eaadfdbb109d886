// Test helper: a universe of name tokens with typo variants (substitution,
// deletion, insertion, adjacent transposition of bytes), shared by the
// name-matching unit tests.
#pragma once

#include <cstddef>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace cdp::test {

// `base` followed by six byte-level typo variants of each entry of 2+ bytes
// (deterministic for a seed; multibyte entries may yield invalid UTF-8).
inline std::vector<std::string> with_typo_variants(const std::vector<std::string>& base, unsigned seed) {
    std::vector<std::string> out = base;
    std::mt19937 rng(seed);
    for (const auto& b : base) {
        if (b.size() < 2) continue;
        for (int k = 0; k < 6; ++k) {
            std::string t = b;
            std::size_t pos = rng() % t.size();
            switch (k % 4) {
                case 0:
                    t[pos] = static_cast<char>('a' + rng() % 26);
                    break;
                case 1:
                    t.erase(pos, 1);
                    break;
                case 2:
                    t.insert(pos, 1, static_cast<char>('a' + rng() % 26));
                    break;
                default:
                    if (pos + 1 < t.size()) std::swap(t[pos], t[pos + 1]);
            }
            out.push_back(std::move(t));
        }
    }
    return out;
}

}  // namespace cdp::test
