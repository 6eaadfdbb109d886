// Settings of the identity graph: cdp.defer_resolution,
// cdp.max_cluster_records, cdp.bulk_rewrite_min_records.
#pragma once

namespace cdp::pg::identity {

extern bool defer_resolution;         // cdp.defer_resolution (default off)
extern int max_cluster_records;       // cdp.max_cluster_records (default 10000)
extern int bulk_rewrite_min_records;  // cdp.bulk_rewrite_min_records (default 100000)

}  // namespace cdp::pg::identity
