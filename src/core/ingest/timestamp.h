// ISO-8601 date-times as Segment sends them ("2015-02-23T22:28:55.111Z").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cdp::ingest {

// Microseconds since 1970-01-01T00:00:00Z.
using Micros = std::int64_t;

// Parse an ISO-8601 / RFC 3339 date-time:
//   YYYY-MM-DD                               (midnight UTC)
//   YYYY-MM-DD(T|t| )hh:mm[:ss[(.|,)fraction]][Z|z|(+|-)hh[[:]mm]]
// Two-digit month/day/hour/minute/second are required (so "2015-2-02" is
// refused), the date must exist (leap years checked), a fraction is rounded
// to microseconds, second 60 (leap second) rolls over as PostgreSQL does,
// and a missing zone means UTC.  Returns nullopt for anything else.
std::optional<Micros> parse_iso8601(std::string_view s);

// Days since 1970-01-01 of a proleptic Gregorian date (no validation).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;

}  // namespace cdp::ingest
