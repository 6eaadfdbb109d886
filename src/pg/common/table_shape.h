// Reads what a bulk writer must know about a table (core/common/table_shape.h)
// from the relation cache.  The relation must be open and locked by the
// caller (the lock makes the cached definition current).
#pragma once

#include "pg/common/pg.h"

#include "core/common/table_shape.h"

namespace cdp::pg {

// `publications`: also look up whether a publication replicates UPDATEs of
// the table (needed by a rewrite only).
cdp::TableShape describe_table(Relation rel, bool publications);

}  // namespace cdp::pg
