// GUCs under the reserved prefix "cdp." (DESIGN.md).  Values are read
// directly by the glue code; the core receives them as arguments.
#pragma once

namespace cdp::pg::guc {

extern char* default_region;          // cdp.default_region (ISO 3166 alpha-2, default 'IT')
extern double similarity_threshold;   // cdp.similarity_threshold (default 0.85)
extern bool defer_resolution;         // cdp.defer_resolution (default off)
extern int max_cluster_records;       // cdp.max_cluster_records (default 10000)
extern bool consent_default;          // cdp.consent_default (default off)
extern bool email_provider_rules;     // cdp.email_provider_rules (default on)
extern int bulk_rewrite_min_records;  // cdp.bulk_rewrite_min_records (default 100000)

void define_all();

}  // namespace cdp::pg::guc
