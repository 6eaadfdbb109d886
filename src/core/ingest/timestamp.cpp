#include "core/ingest/timestamp.h"

namespace cdp::ingest {

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    // Howard Hinnant's algorithm (public domain description, chrono-compatible).
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

namespace {

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n ASCII digits at s[pos..]; advances pos.
bool digits(std::string_view s, std::size_t& pos, int n, int& out) {
    if (pos + static_cast<std::size_t>(n) > s.size()) return false;
    int v = 0;
    for (int i = 0; i < n; ++i) {
        const char c = s[pos + static_cast<std::size_t>(i)];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    pos += static_cast<std::size_t>(n);
    out = v;
    return true;
}

}  // namespace

std::optional<Micros> parse_iso8601(std::string_view s) {
    std::size_t p = 0;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(s, p, 4, year) || year < 1) return std::nullopt;
    if (p >= s.size() || s[p++] != '-') return std::nullopt;
    if (!digits(s, p, 2, month) || month < 1 || month > 12) return std::nullopt;
    if (p >= s.size() || s[p++] != '-') return std::nullopt;
    if (!digits(s, p, 2, day) || day < 1 || day > days_in_month(year, month)) return std::nullopt;
    std::int64_t frac_us = 0;
    std::int64_t offset_s = 0;
    if (p < s.size()) {
        const char sep = s[p++];
        if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
        if (!digits(s, p, 2, hour) || hour > 23) return std::nullopt;
        if (p >= s.size() || s[p++] != ':') return std::nullopt;
        if (!digits(s, p, 2, minute) || minute > 59) return std::nullopt;
        if (p < s.size() && s[p] == ':') {
            ++p;
            if (!digits(s, p, 2, second) || second > 60) return std::nullopt;
            if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
                ++p;
                const std::size_t start = p;
                std::int64_t scaled = 0;  // first 7 digits, then rounded to 6
                int n = 0;
                while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
                    if (n < 7) {
                        scaled = scaled * 10 + (s[p] - '0');
                        ++n;
                    }
                    ++p;
                }
                if (p == start) return std::nullopt;
                while (n < 7) {
                    scaled *= 10;
                    ++n;
                }
                frac_us = (scaled + 5) / 10;  // round half up to microseconds
            }
        }
        if (p < s.size()) {
            const char z = s[p++];
            if (z == 'Z' || z == 'z') {
                // UTC
            } else if (z == '+' || z == '-') {
                int oh = 0, om = 0;
                if (!digits(s, p, 2, oh) || oh > 23) return std::nullopt;
                if (p < s.size()) {
                    if (s[p] == ':') ++p;
                    if (!digits(s, p, 2, om) || om > 59) return std::nullopt;
                }
                offset_s = (std::int64_t{oh} * 3600 + std::int64_t{om} * 60) * (z == '-' ? -1 : 1);
            } else {
                return std::nullopt;
            }
        }
        if (p != s.size()) return std::nullopt;
    }
    const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    const std::int64_t secs =
        days * 86400 + std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second - offset_s;
    return secs * 1000000 + frac_us;
}

}  // namespace cdp::ingest
