// The `detail` evidence of cdp.merge_log rows and the JSON results of the
// identity functions, built in one place (through core/common/json.h) for
// every path that writes them: the incremental upsert, the batch replay of
// cdp.resolve_identities(), splits, blocks and dropped values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity/engine.h"

namespace cdp::identity {

// "blocked", "max_per_customer", ...: the reason of a refusal (the rule
// name without its "refused:" prefix).
std::string refusal_reason(Outcome o);

// Where a refused link was decided.
enum class EvidencePath {
    kIncremental,  // upsert: {"reason", "type"?, "would_be"?, "limit"?, "clusters"}
    kBatch,        // resolve_identities: {"batch": true, "reason", "type"?, "would_be"?, "limit"?}
};

// `detail` of a refused link (ev.outcome is not kMerged).
std::string refused_detail(const LinkEvent& ev, const Rules& rules, EvidencePath path);
// `detail` of an 'exact' row where a new record joined an existing customer.
std::string joined_detail();
// `detail` of a 'split' row.
std::string split_detail(std::string_view reason, size_t records, int64_t kept);
// `detail` of a 'dropped:invalid_value' row.
std::string dropped_detail(std::string_view type);
// `detail` of a 'blocked' row.
std::string blocked_detail(const std::vector<int64_t>& customers, int new_customers);

// Result of cdp.delete_record().  customer 0: the record was unresolved.
std::string delete_result(std::optional<int64_t> record_id, int64_t customer,
                          const std::vector<int64_t>& parts);
// Result of cdp.block_identifier().
std::string block_result(std::string_view type, std::string_view value, bool newly,
                         const std::vector<int64_t>& customers, int new_customers);

// Result of cdp.explain_link(): the chain [record, identifier, record, ...].
struct ChainRecord {
    int64_t record_id;
    std::string source, source_key;
};
struct ChainLink {
    std::string id_type, id_value;
};
// links[k] joins records[k] and records[k + 1].
std::string explain_result(int64_t customer, const std::vector<ChainRecord>& records,
                           const std::vector<ChainLink>& links);

// Result of cdp.resolve_identities().
struct ResolveSummary {
    int64_t records = 0, customers = 0, merges = 0, refused_links = 0, records_changed = 0;
    double ms = 0, load_ms = 0, replay_ms = 0, write_ms = 0;
    std::string write_path = "none", customers_path = "none", merge_log_path = "none";
    std::map<std::string, std::string> bulk_fallback;  // table -> why its bulk path was not taken
    double customers_ms = 0, records_ms = 0, aliases_and_log_ms = 0;
    std::optional<int64_t> rewrite_copy_ms, rewrite_indexes_ms;  // the rewrite's phases
    std::string to_json() const;
};

}  // namespace cdp::identity
