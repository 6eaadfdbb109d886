// Activation's hook in profile maintenance: after the profiles of some
// customers were recomputed (identity and ingest write paths, merges,
// splits), their destinations are reconciled in the same transaction, so an
// identifier listed as a field follows a merge or split even when no trait
// changed.  Does nothing while no destination exists or the schema predates
// activation.
#pragma once

#include "pg/common/pg.h"

#include <vector>

#include "pg/common/spi.h"

namespace cdp::pg::activation {

void customers_changed(Spi& spi, const std::vector<int64>& ids);

}  // namespace cdp::pg::activation
