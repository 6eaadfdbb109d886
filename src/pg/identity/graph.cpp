#include "pg/common/pg.h"

extern "C" {
#include "catalog/pg_type.h"
}

#include <algorithm>
#include <map>

#include "core/common/interrupt.h"
#include "core/identity/evidence.h"
#include "core/normalize/normalize.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/identity/gucs.h"
#include "pg/normalize/gucs.h"
#include "pg/profile/maintain.h"
#include "pg/identity/graph.h"
#include "pg/common/bulk_insert.h"

namespace cdp::pg::identity {

using cdp::identity::LinkEvent;
using cdp::identity::Outcome;

void load_rules(Spi& spi, Graph& g, bool read_only) {
    spi.exec_prepared(
        R"sql(
        SELECT t.id_type, t.priority, coalesce(t.max_per_customer, 0), coalesce(t.max_records_per_value, 0), b.v
          FROM cdp.identifier_types t LEFT JOIN LATERAL unnest(t.blocked_values) AS b(v) ON true)sql",
        {}, read_only);
    std::vector<cdp::identity::TypeRule> types;
    std::vector<std::pair<std::string, std::string>> blocked;
    for (uint64 i = 0; i < spi.rows(); ++i) {
        std::string name = *spi.get_text(i, 0);
        if (types.empty() || types.back().name != name) {
            bool seen = false;
            for (const auto& t : types) seen = seen || t.name == name;
            if (!seen)
                types.push_back(cdp::identity::TypeRule{name, static_cast<int>(*spi.get_int64(i, 1)),
                                                        static_cast<int>(*spi.get_int64(i, 2)),
                                                        static_cast<int>(*spi.get_int64(i, 3))});
        }
        if (!spi.is_null(i, 4)) blocked.emplace_back(name, *spi.get_text(i, 4));
    }
    g.rules = cdp::identity::Rules(std::move(types), max_cluster_records);
    g.limited_types.clear();
    for (int t = 0; t < g.rules.size(); ++t)
        if (g.rules.type(t).max_per_customer > 0) g.limited_types.push_back(g.rules.type(t).name);
    for (const auto& [t, v] : blocked) {
        int code = g.rules.find(t);
        // Blocked values are stored normalised; normalise again in case a DBA
        // wrote a raw form.
        auto n = normalise(t, v);
        g.values.block(g.values.intern(code, v));
        if (n && *n != v) g.values.block(g.values.intern(code, *n));
    }
}

int type_or_error(const Graph& g, std::string_view type) {
    int t = g.rules.find(type);
    if (t >= 0) return t;
    std::string known;
    for (int i = 0; i < g.rules.size(); ++i) known += (i ? ", " : "") + g.rules.type(i).name;
    throw cdp::Error("unknown identifier type \"" + std::string(type) + "\"",
                     cdp::sqlstate::kInvalidParameterValue, "Known types: " + known + ".",
                     "Add a type with INSERT INTO cdp.identifier_types (id_type, priority) VALUES (...).");
}

std::optional<std::string> normalise(std::string_view type, std::string_view raw) {
    cdp::normalize::EmailOptions opts;
    opts.provider_rules = cdp::pg::normalize::email_provider_rules;
    return cdp::normalize::identifier(type, raw, cdp::pg::normalize::region(), opts);
}

void LogRows::add(int64 customer, int64 merged, int64 record, std::optional<std::string> type,
                  std::optional<std::string> value, std::string rule_name,
                  std::optional<std::string> detail_json) {
    customer_id.push_back(customer);
    merged_id.push_back(merged);
    record_id.push_back(record);
    id_type.push_back(std::move(type));
    id_value.push_back(std::move(value));
    rule.emplace_back(std::move(rule_name));
    detail.push_back(std::move(detail_json));
}

void LogRows::add_events(const Graph& g, const std::vector<LinkEvent>& events, int64 final_of_new) {
    for (const LinkEvent& ev : events) {
        int t = g.values.type_of(ev.value);
        std::string type = g.rules.type(t).name;
        std::string value(g.values.value_of(ev.value));
        int64 a = ev.cluster_ext, b = ev.other_ext;
        if (ev.outcome == Outcome::kMerged) {
            if (a == 0 || b == 0) {
                // The record's new cluster joined an existing customer.
                add(a == 0 ? b : a, 0, ev.record_id, type, value, "exact", cdp::identity::joined_detail());
            } else {
                add(std::min(a, b), std::max(a, b), ev.record_id, type, value, "exact", std::nullopt);
            }
            continue;
        }
        add(a == 0 ? final_of_new : a, b, ev.record_id, type, value, cdp::identity::rule_name(ev.outcome),
            cdp::identity::refused_detail(ev, g.rules, cdp::identity::EvidencePath::kIncremental));
    }
}

void LogRows::flush(Spi& spi) {
    if (rule.empty()) return;
    if (rule.size() >= kBulkRows) {
        BulkInserter bulk("merge_log");
        if (bulk.usable()) {
            std::vector<BulkCell> row(static_cast<size_t>(bulk.natts()), BulkCell::def());
            const int c_customer = bulk.column("customer_id"), c_merged = bulk.column("merged_id"),
                      c_record = bulk.column("record_id"), c_type = bulk.column("id_type"),
                      c_value = bulk.column("id_value"), c_rule = bulk.column("rule"),
                      c_detail = bulk.column("detail");
            auto opt = [](const std::optional<std::string>& s) {
                return s ? BulkCell::text(*s) : BulkCell::null();
            };
            for (size_t k = 0; k < rule.size(); ++k) {
                row[c_customer] = BulkCell::int8_or_null(customer_id[k]);
                row[c_merged] = BulkCell::int8_or_null(merged_id[k]);
                row[c_record] = BulkCell::int8_or_null(record_id[k]);
                row[c_type] = opt(id_type[k]);
                row[c_value] = opt(id_value[k]);
                row[c_rule] = opt(rule[k]);
                row[c_detail] = detail[k] ? BulkCell::jsonb(*detail[k]) : BulkCell::null();
                bulk.add(row.data());
            }
            bulk_rows += bulk.finish();
            clear();
            return;
        }
        fallback = bulk.blocker();
    }
    sql_rows += static_cast<int64>(rule.size());
    spi.exec_prepared(
        R"sql(
        INSERT INTO cdp.merge_log (customer_id, merged_id, record_id, id_type, id_value, rule, detail)
        SELECT nullif(c, 0), nullif(m, 0), nullif(r, 0), t, v, u, d::jsonb
          FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[])
               AS x(c, m, r, t, v, u, d))sql",
        {{INT8ARRAYOID, int64_array_datum(customer_id)},
         {INT8ARRAYOID, int64_array_datum(merged_id)},
         {INT8ARRAYOID, int64_array_datum(record_id)},
         {TEXTARRAYOID, text_array_datum(id_type)},
         {TEXTARRAYOID, text_array_datum(id_value)},
         {TEXTARRAYOID, text_array_datum(rule)},
         {TEXTARRAYOID, text_array_datum(detail)}});
    clear();
}

void LogRows::clear() {
    customer_id.clear();
    merged_id.clear();
    record_id.clear();
    id_type.clear();
    id_value.clear();
    rule.clear();
    detail.clear();
}

int64 next_customer_id(Spi& spi) {
    spi.exec_prepared(R"sql(SELECT nextval('cdp.customers_customer_id_seq'))sql", {});
    return *spi.get_int64(0, 0);
}

std::vector<int64> recompute_customer(Spi& spi, Graph& g, int64 c, LogRows& log, std::string_view reason) {
    spi.exec_prepared(
        R"sql(
        SELECT r.record_id, i.id_type, i.id_value
          FROM cdp.records r LEFT JOIN cdp.identifiers i ON i.record_id = r.record_id
         WHERE r.customer_id = $1 ORDER BY r.record_id)sql",
        {{INT8OID, Int64GetDatum(c)}});
    std::vector<int64> rids;
    std::vector<std::vector<uint32_t>> vals;
    for (uint64 i = 0; i < spi.rows(); ++i) {
        int64 rid = *spi.get_int64(i, 0);
        if (rids.empty() || rids.back() != rid) {
            rids.push_back(rid);
            vals.emplace_back();
        }
        if (!spi.is_null(i, 1)) {
            int t = type_or_error(g, *spi.get_text(i, 1));
            vals.back().push_back(g.values.intern(t, *spi.get_text(i, 2)));
        }
    }
    if (rids.empty()) {
        // The customer is gone with its last record: so are the aliases of
        // ids merged into it (customer_id() must never answer a customer
        // that does not exist).
        spi.exec_prepared(R"sql(DELETE FROM cdp.customer_aliases WHERE customer_id = $1)sql",
                          {{INT8OID, Int64GetDatum(c)}});
        spi.exec_prepared(R"sql(DELETE FROM cdp.customers WHERE customer_id = $1)sql",
                          {{INT8OID, Int64GetDatum(c)}});
        return {};
    }
    cdp::identity::Engine e(g.rules, g.values);
    std::vector<int32_t> node(rids.size());
    cdp::interrupt::Ticker ticker(256);
    for (size_t i = 0; i < rids.size(); ++i) {
        ticker.tick();
        node[i] = e.process_record(rids[i], vals[i]);
    }
    // Parts in order of their oldest record (rids are sorted).
    std::map<int32_t, size_t> part_of_root;
    std::vector<std::vector<int64>> parts;
    for (size_t i = 0; i < rids.size(); ++i) {
        const int32_t root = e.find(node[i]);
        auto it = part_of_root.find(root);
        if (it == part_of_root.end()) {
            part_of_root.emplace(root, parts.size());
            parts.push_back({rids[i]});
        } else {
            parts.at(it->second).push_back(rids[i]);
        }
    }
    std::vector<int64> ids{c};
    if (parts.size() == 1) return ids;
    std::vector<int64> upd_rid, upd_cid;
    for (size_t p = 1; p < parts.size(); ++p) {
        int64 nid = next_customer_id(spi);
        ids.push_back(nid);
        for (int64 r : parts[p]) {
            upd_rid.push_back(r);
            upd_cid.push_back(nid);
        }
        log.add(nid, c, parts[p].front(), std::nullopt, std::nullopt, "split",
                cdp::identity::split_detail(reason, parts[p].size(), c));
    }
    std::vector<int64> new_ids(ids.begin() + 1, ids.end());
    spi.exec_prepared(R"sql(INSERT INTO cdp.customers (customer_id) SELECT unnest($1::int8[]))sql",
                      {{INT8ARRAYOID, int64_array_datum(new_ids)}});
    spi.exec_prepared(
        R"sql(
        UPDATE cdp.records r SET customer_id = u.c, updated_at = now()
          FROM unnest($1::int8[], $2::int8[]) AS u(r, c) WHERE r.record_id = u.r)sql",
        {{INT8ARRAYOID, int64_array_datum(upd_rid)}, {INT8ARRAYOID, int64_array_datum(upd_cid)}});
    spi.exec_prepared(R"sql(UPDATE cdp.customers SET updated_at = now() WHERE customer_id = $1)sql",
                      {{INT8OID, Int64GetDatum(c)}});
    cdp::pg::profile::customer_split(c, ids);
    return ids;
}

}  // namespace cdp::pg::identity
