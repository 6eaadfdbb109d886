#include "core/identity/assign.h"

#include <algorithm>
#include <iterator>
#include <unordered_map>

#include "core/common/interrupt.h"

namespace cdp::identity {

Clusters number_clusters(Engine& e, const std::vector<int32_t>& node_of_record) {
    Clusters c;
    c.cluster_of.resize(node_of_record.size());
    c.root_cluster.assign(static_cast<size_t>(e.node_count()), -1);
    for (size_t i = 0; i < node_of_record.size(); ++i) {
        const int32_t r = e.find(node_of_record[i]);
        if (c.root_cluster[r] < 0) c.root_cluster[r] = c.count++;
        c.cluster_of[i] = c.root_cluster[r];
    }
    return c;
}

CustomerIds::CustomerIds(const std::vector<int32_t>& cluster_of, int32_t clusters,
                         const std::vector<int64_t>& old_id)
    : cluster_of_(cluster_of),
      old_id_(old_id),
      id_(static_cast<size_t>(clusters), 0),
      kept_(static_cast<size_t>(clusters), 0) {
    std::vector<std::pair<int32_t, int64_t>> claims;  // (cluster, existing id)
    for (size_t i = 0; i < cluster_of.size(); ++i)
        if (old_id[i] != 0) claims.emplace_back(cluster_of[i], old_id[i]);
    std::sort(claims.begin(), claims.end());
    claims.erase(std::unique(claims.begin(), claims.end()), claims.end());
    std::unordered_map<int64_t, int32_t> taken;  // existing id -> cluster
    cdp::interrupt::Ticker ticker(4096);
    for (const auto& [c, id] : claims) {
        ticker.tick();
        if (id_[c] != 0 || taken.count(id)) continue;
        id_[c] = id;
        kept_[c] = 1;
        taken.emplace(id, c);
    }
    for (int64_t id : id_) fresh_needed_ += id == 0;
}

void CustomerIds::assign_fresh(std::vector<int64_t> fresh) {
    std::sort(fresh.begin(), fresh.end());
    size_t k = 0;
    for (auto& id : id_)
        if (id == 0 && k < fresh.size()) id = fresh[k++];
}

std::vector<int64_t> CustomerIds::new_ids() const {
    std::vector<int64_t> out;
    for (size_t c = 0; c < id_.size(); ++c)
        if (!kept_[c]) out.push_back(id_[c]);
    return out;
}

std::vector<std::pair<int64_t, int64_t>> CustomerIds::gone() const {
    std::unordered_map<int64_t, int64_t> first_home;
    std::unordered_map<int64_t, char> kept_ids;
    for (size_t c = 0; c < id_.size(); ++c)
        if (kept_[c]) kept_ids.emplace(id_[c], 1);
    for (size_t i = 0; i < cluster_of_.size(); ++i)
        if (old_id_[i] != 0 && !kept_ids.count(old_id_[i]))
            first_home.emplace(old_id_[i], id_[static_cast<size_t>(cluster_of_[i])]);
    std::vector<std::pair<int64_t, int64_t>> out(first_home.begin(), first_home.end());
    std::sort(out.begin(), out.end());
    return out;
}

IdentifierDiff diff_identifiers(const std::vector<Identifier>& before, const std::vector<Identifier>& given,
                                bool replace) {
    IdentifierDiff d;
    if (replace)
        d.final_ids = given;
    else
        std::set_union(before.begin(), before.end(), given.begin(), given.end(),
                       std::back_inserter(d.final_ids));
    std::set_difference(before.begin(), before.end(), d.final_ids.begin(), d.final_ids.end(),
                        std::back_inserter(d.removed));
    std::set_difference(d.final_ids.begin(), d.final_ids.end(), before.begin(), before.end(),
                        std::back_inserter(d.added));
    return d;
}

void sort_unique(std::vector<Identifier>& ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

}  // namespace cdp::identity
