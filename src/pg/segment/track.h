// Change tracking for incremental segment refresh: the write paths mark the
// customers they touched in cdp.segment_dirty, in their own transaction,
// with one multi-row INSERT per call (nothing when no segment exists).
// Called from the profile maintenance hooks (src/pg/profile/maintain.cpp)
// that every identity / ingest write path already calls; consent and
// profile writes are caught by statement triggers (60_segment.sql).
#pragma once

#include "pg/common/pg.h"

#include <vector>

#include "pg/common/spi.h"

namespace cdp::pg::segment {

// These customers changed (records, identifiers, events, traits, merges, splits).
void customers_touched(Spi& spi, const std::vector<int64>& ids);
// Everything may have changed (batch resolution): the next refresh of every
// segment is a full one.
void everything_touched(Spi& spi);

}  // namespace cdp::pg::segment
