// Decisions of the identity glue that need no database.
//
//  * Customer ids after a batch replay (cdp.resolve_identities()): clusters
//    are numbered in order of their oldest record; each keeps the smallest
//    existing id among its records that no older cluster kept; the others
//    get fresh ids from the sequence, in cluster order.  Existing ids that
//    disappear become aliases of the cluster of their oldest record.
//  * The identifier diff of a re-upsert: what the record holds afterwards,
//    what is removed and what is added.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/identity/engine.h"

namespace cdp::identity {

// Cluster numbers of replayed records: cluster_of[i] for record i (records
// in replay order), numbered by first appearance; root_cluster[node] for
// every Engine node that is a root of some record (else -1).
struct Clusters {
    std::vector<int32_t> cluster_of;
    std::vector<int32_t> root_cluster;
    int32_t count = 0;
    // The cluster of any Engine node (-1 when none of the records is in it).
    int32_t of_node(Engine& e, int32_t node) const {
        const int32_t r = e.find(node);
        return r >= 0 && r < static_cast<int32_t>(root_cluster.size()) ? root_cluster[r] : -1;
    }
};
Clusters number_clusters(Engine& e, const std::vector<int32_t>& node_of_record);

class CustomerIds {
 public:
    // `old_id[i]`: the customer record i had before (0 = none).
    CustomerIds(const std::vector<int32_t>& cluster_of, int32_t clusters, const std::vector<int64_t>& old_id);
    // Clusters that keep no existing id.
    int64_t fresh_needed() const { return fresh_needed_; }
    // Hands out `fresh` (fresh_needed() ids, any order) in cluster order,
    // smallest first.
    void assign_fresh(std::vector<int64_t> fresh);
    int64_t of_cluster(int32_t c) const { return id_[static_cast<size_t>(c)]; }
    // Ids that need a row in cdp.customers (not kept from before), in
    // cluster order.
    std::vector<int64_t> new_ids() const;
    // (old id, id of the cluster of its oldest record) for every existing id
    // no cluster kept; ascending by old id.
    std::vector<std::pair<int64_t, int64_t>> gone() const;

 private:
    const std::vector<int32_t>& cluster_of_;
    const std::vector<int64_t>& old_id_;
    std::vector<int64_t> id_;  // per cluster, 0 until assigned
    std::vector<char> kept_;   // per cluster: its id is an existing one
    int64_t fresh_needed_ = 0;
};

using Identifier = std::pair<std::string, std::string>;  // (type, normalised value)

struct IdentifierDiff {
    std::vector<Identifier> final_ids;  // what the record holds afterwards (sorted)
    std::vector<Identifier> removed;    // held before, not afterwards
    std::vector<Identifier> added;      // held afterwards, not before
};
// `before` and `given` sorted and unique.  `replace`: the record holds
// exactly `given` afterwards; otherwise `given` is added to `before`.
IdentifierDiff diff_identifiers(const std::vector<Identifier>& before, const std::vector<Identifier>& given,
                                bool replace);

// Sorts and removes duplicates.
void sort_unique(std::vector<Identifier>& ids);

}  // namespace cdp::identity
