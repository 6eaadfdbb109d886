// Shared by the name-matching glue files (namematch_fns.cpp, name_gin.cpp,
// name_gist.cpp): prepared names cached per backend.
#pragma once

#include <string_view>

#include "core/namematch/namematch.h"

namespace cdp::pg::namematch {

// Slots for the cache of prepared names: a query constant keeps its slot
// while the other argument changes row by row.
enum Slot { kLeft = 0, kRight = 1, kQuery = 2, kStored = 3 };

// cdp::namematch::prepare(raw), remembering the last input of each slot.
const cdp::namematch::Name& prepared(std::string_view raw, Slot slot);

}  // namespace cdp::pg::namematch
