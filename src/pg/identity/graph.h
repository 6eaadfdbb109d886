// Shared glue of the identity graph: the rules snapshot (identifier_types +
// GUCs), value normalisation, the merge_log writer and the recomputation of
// one customer (split).  Used by identity_upsert.cpp, identity_fns.cpp and
// identity_resolve.cpp.
#pragma once

#include "pg/common/pg.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity/engine.h"
#include "pg/common/spi.h"

namespace cdp::pg::identity {

struct Graph {
    cdp::identity::Rules rules;
    cdp::identity::ValueTable values;
    std::vector<std::string> limited_types;  // types with max_per_customer
};

// Reads cdp.identifier_types (blocked values interned and marked) and
// cdp.max_cluster_records.
// read_only: for STABLE callers (no command counter increment, caller's
// snapshot); writers pass false so that they see their own and, in READ
// COMMITTED, concurrently committed changes.
void load_rules(Spi& spi, Graph& g, bool read_only = false);

// Type code, or ERROR 22023 naming the unknown type and listing the known ones.
int type_or_error(const Graph& g, std::string_view type);

// Normalise a raw value for its type (cdp.default_region, cdp.email_provider_rules).
std::optional<std::string> normalise(std::string_view type, std::string_view raw);

// Rows for cdp.merge_log, written with one INSERT by flush().
struct LogRows {
    std::vector<int64> customer_id, merged_id, record_id;  // 0 = NULL
    std::vector<std::optional<std::string>> id_type, id_value, rule, detail;
    void add(int64 customer, int64 merged, int64 record, std::optional<std::string> type,
             std::optional<std::string> value, std::string rule_name, std::optional<std::string> detail_json);
    // Adds the events of an Engine step.  `final_of_new`: customer id to
    // report for a brand-new cluster (ext 0).
    void add_events(const Graph& g, const std::vector<cdp::identity::LinkEvent>& events, int64 final_of_new);
    // Writes and clears the rows: from kBulkRows rows on through
    // BulkInserter (COPY's path), below that (or when cdp.merge_log has user
    // triggers) with one INSERT.
    void flush(Spi& spi);
    void clear();
    size_t size() const { return rule.size(); }
    static constexpr size_t kBulkRows = 1000;
    // What the flushes did: rows written by each path, and why the bulk
    // path was refused (empty when it never was).
    int64 bulk_rows = 0, sql_rows = 0;
    std::string fallback;
};

int64 next_customer_id(Spi& spi);

// Replays the records of customer `c` (record_id order, same Engine) and
// splits it when its records no longer form one cluster: the part holding
// the oldest record keeps `c`, the others get new ids (logged as 'split').
// Deletes the customer when it has no records left.  Caller holds the lock
// of `c`.  Returns the ids of the parts (first: c), empty when deleted.
std::vector<int64> recompute_customer(Spi& spi, Graph& g, int64 c, LogRows& log, std::string_view reason);

}  // namespace cdp::pg::identity
