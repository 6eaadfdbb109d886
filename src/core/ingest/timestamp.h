// ISO-8601 date-times as Segment sends them ("2015-02-23T22:28:55.111Z").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cdp::ingest {

// Microseconds since 1970-01-01T00:00:00Z.
using Micros = std::int64_t;

// The range every stored timestamp keeps: 0001-01-01T00:00:00Z up to
// 9999-12-31T23:59:59.999999Z (well inside PostgreSQL's timestamptz range,
// and what ISO-8601 four-digit years can write).  A parsed or computed
// value outside it is refused by the ingest mapping, never stored.
inline constexpr Micros kMinMicros = -62135596800LL * 1000000;      // 0001-01-01T00:00:00Z
inline constexpr Micros kMaxMicros = 253402300800LL * 1000000 - 1;  // 9999-12-31T23:59:59.999999Z
inline constexpr bool in_range(Micros t) noexcept { return t >= kMinMicros && t <= kMaxMicros; }

// Parse an ISO-8601 / RFC 3339 date-time:
//   YYYY-MM-DD                               (midnight UTC)
//   YYYY-MM-DD(T|t| )hh:mm[:ss[(.|,)fraction]][Z|z|(+|-)hh[[:]mm]]
// Two-digit month/day/hour/minute/second are required (so "2015-2-02" is
// refused), the date must exist (leap years checked), a fraction is rounded
// to microseconds, second 60 (leap second) rolls over as PostgreSQL does,
// and a missing zone means UTC.  Returns nullopt for anything else.  The
// result may fall just outside [kMinMicros, kMaxMicros] after the zone
// offset and the rounding ("9999-12-31T23:59:59.9999999Z",
// "0001-01-01T00:00:00+01"): callers check in_range().
std::optional<Micros> parse_iso8601(std::string_view s);

// Days since 1970-01-01 of a proleptic Gregorian date (no validation).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;

}  // namespace cdp::ingest
