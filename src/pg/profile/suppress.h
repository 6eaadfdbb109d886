// Suppression of forgotten people (cdp.forget_customer): the write paths ask
// whether identifiers are suppressed before they create anything.
//
//   check_not_suppressed(ids)  upsert_record: ERROR 55000 naming the id type
//                              when a (normalised) value is suppressed
//   drop_suppressed(msgs)      ingest: accepted messages carrying a
//                              suppressed identifier leave the batch (state
//                              kRejected after the rejected list is built, so
//                              nothing of them is stored); returns their
//                              batch indexes for with_suppressed()
//   with_suppressed(result, indexes)  adds "suppressed":[...] to the ingest result
#pragma once

#include "pg/common/pg.h"

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/ingest/message.h"

namespace cdp::pg::profile {

// For each list of (type, raw value): whether any value is suppressed.
std::vector<bool> suppressed_flags(const std::vector<const std::vector<cdp::ingest::Identifier>*>& lists);

void check_not_suppressed(const std::vector<std::pair<std::string, std::string>>& raw_identifiers);

template <class Msgs>
std::vector<long> drop_suppressed(Msgs& msgs) {
    using M = std::decay_t<decltype(msgs[0])>;
    std::vector<const std::vector<cdp::ingest::Identifier>*> lists;
    std::vector<size_t> at;
    for (size_t i = 0; i < msgs.size(); ++i)
        if (msgs[i].state == M::kAccepted) {
            lists.push_back(&msgs[i].mapped.identifiers);
            at.push_back(i);
        }
    std::vector<long> out;
    if (lists.empty()) return out;
    std::vector<bool> f = suppressed_flags(lists);
    for (size_t k = 0; k < f.size(); ++k)
        if (f[k]) {
            msgs[at[k]].state = M::kRejected;
            out.push_back(static_cast<long>(at[k]));
        }
    return out;
}

std::string with_suppressed(std::string result_json, const std::vector<long>& indexes);

}  // namespace cdp::pg::profile
