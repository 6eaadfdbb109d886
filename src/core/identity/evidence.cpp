#include "core/identity/evidence.h"

#include <cmath>

#include "core/common/json.h"

namespace cdp::identity {

using cdp::json::Json;

namespace {
// Milliseconds with one decimal, as a JSON number.
double ms1(double ms) { return std::round(ms * 10.0) / 10.0; }
}  // namespace

std::string refusal_reason(Outcome o) {
    const std::string name = rule_name(o);
    const std::string prefix = "refused:";
    return name.compare(0, prefix.size(), prefix) == 0 ? name.substr(prefix.size()) : name;
}

std::string refused_detail(const LinkEvent& ev, const Rules& rules, EvidencePath path) {
    Json d = Json::object();
    if (path == EvidencePath::kBatch) d["batch"] = true;
    d["reason"] = refusal_reason(ev.outcome);
    if (ev.limited_type >= 0) d["type"] = rules.type(ev.limited_type).name;
    if (ev.limit > 0) {
        d["would_be"] = ev.would_be;
        d["limit"] = ev.limit;
    }
    if (path == EvidencePath::kIncremental) d["clusters"] = ev.other < 0 ? 0 : ev.refused_count;
    return cdp::json::dump(d);
}

std::string joined_detail() { return cdp::json::dump(Json{{"joined", "record"}}); }

std::string split_detail(std::string_view reason, size_t records, int64_t kept) {
    return cdp::json::dump(Json{{"reason", std::string(reason)}, {"records", records}, {"kept", kept}});
}

std::string dropped_detail(std::string_view type) {
    return cdp::json::dump(Json{{"reason", "the value does not normalise to a usable " + std::string(type)}});
}

std::string blocked_detail(const std::vector<int64_t>& customers, int new_customers) {
    return cdp::json::dump(Json{{"customers", customers}, {"new_customers", new_customers}});
}

std::string delete_result(std::optional<int64_t> record_id, int64_t customer,
                          const std::vector<int64_t>& parts) {
    if (!record_id) return cdp::json::dump(Json{{"deleted", false}});
    Json out = {{"deleted", true}, {"record_id", *record_id}};
    out["customer_id"] = customer != 0 ? Json(customer) : Json(nullptr);
    out["customers"] = parts;
    out["split"] = parts.size() > 1;
    return cdp::json::dump(out);
}

std::string block_result(std::string_view type, std::string_view value, bool newly,
                         const std::vector<int64_t>& customers, int new_customers) {
    return cdp::json::dump(Json{{"id_type", std::string(type)},
                                {"id_value", std::string(value)},
                                {"newly_blocked", newly},
                                {"customers", customers},
                                {"new_customers", new_customers}});
}

std::string explain_result(int64_t customer, const std::vector<ChainRecord>& records,
                           const std::vector<ChainLink>& links) {
    Json chain = Json::array();
    for (size_t k = 0; k < records.size(); ++k) {
        if (k > 0)
            chain.push_back({{"id_type", links.at(k - 1).id_type}, {"id_value", links.at(k - 1).id_value}});
        chain.push_back({{"record_id", records[k].record_id},
                         {"source", records[k].source},
                         {"source_key", records[k].source_key}});
    }
    const int64_t hops = records.empty() ? 0 : static_cast<int64_t>(records.size()) - 1;
    return cdp::json::dump(Json{{"customer_id", customer}, {"hops", hops}, {"chain", chain}});
}

std::string ResolveSummary::to_json() const {
    Json out = {{"records", records},
                {"customers", customers},
                {"merges", merges},
                {"refused_links", refused_links},
                {"records_changed", records_changed},
                {"ms", ms1(ms)},
                {"load_ms", ms1(load_ms)},
                {"replay_ms", ms1(replay_ms)},
                {"write_ms", ms1(write_ms)},
                {"write_path", write_path},
                {"customers_path", customers_path},
                {"merge_log_path", merge_log_path}};
    if (!bulk_fallback.empty()) {
        Json f = Json::object();
        for (const auto& [table, why] : bulk_fallback) f[table] = why;
        out["bulk_fallback"] = f;
    }
    Json detail = {{"customers", ms1(customers_ms)},
                   {"records", ms1(records_ms)},
                   {"aliases_and_log", ms1(aliases_and_log_ms)}};
    if (rewrite_copy_ms) detail["rewrite_copy"] = *rewrite_copy_ms;
    if (rewrite_indexes_ms) detail["rewrite_indexes"] = *rewrite_indexes_ms;
    out["write_detail_ms"] = detail;
    return cdp::json::dump(out);
}

}  // namespace cdp::identity
