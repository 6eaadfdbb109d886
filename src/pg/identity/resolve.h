// Body of cdp.resolve_identities() (steps in resolve.cpp): batch resolution
// of the whole graph as an in-memory replay.  Returns the result as JSON.
#pragma once

#include <string>

namespace cdp::pg::identity {

std::string resolve_identities();

}  // namespace cdp::pg::identity
