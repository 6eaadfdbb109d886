// See suppress.h.
#include "pg/common/pg.h"

extern "C" {
#include "catalog/pg_type.h"
}

#include <map>

#include "core/common/error.h"
#include "pg/common/convert.h"
#include "pg/common/spi.h"
#include "pg/identity/graph.h"
#include "pg/profile/maintain.h"
#include "pg/profile/suppress.h"

namespace cdp::pg::profile {

std::vector<bool> suppressed_flags(const std::vector<const std::vector<cdp::ingest::Identifier>*>& lists) {
    std::vector<bool> out(lists.size(), false);
    if (!schema_installed()) return out;
    Spi spi;
    spi.exec_prepared("SELECT 1 FROM cdp.suppressions LIMIT 1", {});
    if (spi.rows() == 0) return out;
    // Distinct (type, raw value) first: a batch repeats its users' ids.
    std::map<std::pair<std::string, std::string>, std::vector<size_t>> by_raw;
    for (size_t i = 0; i < lists.size(); ++i)
        for (const auto& id : *lists[i]) by_raw[{id.type, id.value}].push_back(i);
    std::map<std::pair<std::string, std::string>, std::vector<size_t>> by_norm;
    for (auto& [k, idx] : by_raw) {
        auto v = cdp::pg::identity::normalise(k.first, k.second);
        if (!v) continue;
        auto& dst = by_norm[{k.first, std::move(*v)}];
        dst.insert(dst.end(), idx.begin(), idx.end());
    }
    if (by_norm.empty()) return out;
    std::vector<int64> pos;
    std::vector<std::optional<std::string>> types, values;
    std::vector<const std::vector<size_t>*> msgs;
    for (const auto& [k, idx] : by_norm) {
        pos.push_back(static_cast<int64>(msgs.size()));
        types.emplace_back(k.first);
        values.emplace_back(k.second);
        msgs.push_back(&idx);
    }
    // The salt is read once; sha256() inline (a SQL function per value costs
    // more than the whole check).
    spi.exec_prepared(
        "SELECT u.i FROM unnest($1::int8[], $2::text[], $3::text[]) AS u(i, t, v), cdp.suppression_salt s "
        "WHERE EXISTS (SELECT 1 FROM cdp.suppressions x WHERE x.id_type = u.t "
        "AND x.hash = sha256(s.salt || convert_to(u.t || E'\\n' || u.v, 'UTF8')))",
        {{INT8ARRAYOID, int64_array_datum(pos)},
         {TEXTARRAYOID, text_array_datum(types)},
         {TEXTARRAYOID, text_array_datum(values)}});
    for (uint64 r = 0; r < spi.rows(); ++r)
        for (size_t m : *msgs[static_cast<size_t>(*spi.get_int64(r, 0))]) out[m] = true;
    return out;
}

void check_not_suppressed(const std::vector<std::pair<std::string, std::string>>& raw) {
    std::vector<cdp::ingest::Identifier> ids;
    ids.reserve(raw.size());
    for (const auto& [t, v] : raw) ids.push_back({t, v});
    if (ids.empty()) return;
    if (suppressed_flags({&ids})[0])
        throw cdp::Error(
            "the person was forgotten: an identifier of this record is suppressed",
            cdp::sqlstate::kObjectNotInPrerequisiteState,
            "cdp.forget_customer() erased a customer holding one of these identifier values.",
            "A person who comes back and consents is let in again with cdp.unsuppress(id_type, value).");
}

std::string with_suppressed(std::string result, const std::vector<long>& indexes) {
    // result is a JSON object "{...}" built by the ingest core; unchanged
    // when nothing was suppressed.
    if (indexes.empty()) return result;
    std::string list = "[";
    for (size_t i = 0; i < indexes.size(); ++i) list += (i ? "," : "") + std::to_string(indexes[i]);
    list += "]";
    auto end = result.rfind('}');
    if (end == std::string::npos) return result;
    bool empty = result.find_first_not_of(" \t\n{", 0) == end;
    result.insert(end, std::string(empty ? "" : ",") + "\"suppressed\":" + list);
    return result;
}

}  // namespace cdp::pg::profile
