// Settings of name matching: cdp.similarity_threshold.
#pragma once

namespace cdp::pg::namematch {

extern double similarity_threshold;  // cdp.similarity_threshold (default 0.85), used by %~

}  // namespace cdp::pg::namematch
