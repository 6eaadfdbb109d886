// Incremental resolution of one record (cdp.upsert_record and the C++ API in
// identity_upsert.h).  Steps, all in the caller's transaction:
//   1. normalise the identifiers (no database access);
//   2. lock: graph (share), the record key and every value key (sorted);
//   3. read identifier_types (after the locks: a concurrent block is seen);
//   4. find the record; compute added/removed identifiers;
//   5. lock the customers holding the values (+ the record's own), re-read;
//   6. write the record and its identifier changes; split the record's
//      customer if identifiers were removed (replay of its records);
//   7. one Engine step (core/identity/engine.h) over the touched customers;
//   8. write merges (records move to the survivor, aliases, merge_log).
#include "pg/common/pg.h"

extern "C" {
#include "catalog/pg_type.h"
}

#include <algorithm>
#include <map>
#include <set>

#include "core/identity/input.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/identity/gucs.h"
#include "pg/normalize/gucs.h"
#include "pg/identity/graph.h"
#include "pg/identity/locks.h"
#include "pg/identity/upsert.h"

namespace cdp::pg::identity {

namespace {

using Ident = std::pair<std::string, std::string>;  // (type, normalised value)

struct HolderRow {
    std::string type, value;
    int64 customer;  // 0: deferred (NULL)
    int64 count;
};

Datum text_d(std::string_view s) { return text_datum(s); }

std::vector<std::optional<std::string>> column(const std::vector<Ident>& ids, bool second) {
    std::vector<std::optional<std::string>> out;
    out.reserve(ids.size());
    for (const auto& p : ids) out.emplace_back(second ? p.second : p.first);
    return out;
}

// Reads the holders of `ids` (other than record `rid`) grouped by customer,
// and the record's own customer (row with empty type).
std::vector<int64> read_holders(Spi& spi, const std::vector<Ident>& ids, int64 rid,
                                std::vector<HolderRow>& rows, int64& own_customer) {
    spi.exec_prepared(
        "SELECT h.id_type, h.id_value, r.customer_id, count(*)::int8 "
        "FROM unnest($1::text[], $2::text[]) AS u(t, v) "
        "JOIN cdp.identifiers h ON h.id_type = u.t AND h.id_value = u.v "
        "JOIN cdp.records r ON r.record_id = h.record_id "
        "WHERE h.record_id <> $3 GROUP BY 1, 2, 3 "
        "UNION ALL SELECT NULL, NULL, customer_id, 0 FROM cdp.records WHERE record_id = $3",
        {{TEXTARRAYOID, text_array_datum(column(ids, false))},
         {TEXTARRAYOID, text_array_datum(column(ids, true))},
         {INT8OID, Int64GetDatum(rid)}});
    rows.clear();
    own_customer = 0;
    std::vector<int64> customers;
    for (uint64 i = 0; i < spi.rows(); ++i) {
        int64 c = spi.get_int64(i, 2).value_or(0);
        if (spi.is_null(i, 0)) {
            own_customer = c;
        } else {
            rows.push_back(HolderRow{*spi.get_text(i, 0), *spi.get_text(i, 1), c, *spi.get_int64(i, 3)});
        }
        if (c != 0) customers.push_back(c);
    }
    return customers;
}

}  // namespace

UpsertResult upsert_record(std::string_view source, std::string_view key,
                           const std::vector<std::pair<std::string, std::string>>& raw_identifiers,
                           const char* traits_json_or_null, const UpsertOptions& options) {
    UpsertResult result;
    cdp::identity::check_record_key(source, key);
    // 1. normalise
    std::vector<Ident> ids;
    std::vector<Ident> dropped;
    for (const auto& [type, raw] : raw_identifiers) {
        auto n = normalise(type, raw);
        if (n)
            ids.emplace_back(type, std::move(*n));
        else
            dropped.emplace_back(type, raw);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    result.dropped = static_cast<int>(dropped.size());
    const bool defer = defer_resolution;

    Spi spi;
    // A new source first, before any lock of ours: a concurrent insert of the
    // same source makes us wait for that transaction, which must not be
    // waiting for us.
    spi.exec_prepared("SELECT 1 FROM cdp.sources WHERE source = $1", {{TEXTOID, text_d(source)}});
    if (spi.rows() == 0)
        spi.exec_prepared("INSERT INTO cdp.sources (source) VALUES ($1) ON CONFLICT DO NOTHING",
                          {{TEXTOID, text_d(source)}});

    // 2. locks
    namespace L = locks;
    // A deferred write resolves nothing: bulk mode (graph lock EXCLUSIVE, no
    // per-record locks) unless this transaction already holds it SHARE.
    if (!defer || !L::lock_graph_for_bulk()) L::lock_graph(false);
    std::vector<int64_t> keys{L::record_key(source, key)};
    if (!defer)
        for (const auto& [t, v] : ids) keys.push_back(L::value_key(t, v));
    L::lock_keys(keys);

    // 3. rules
    Graph g;
    load_rules(spi, g);
    for (const auto& p : ids) type_or_error(g, p.first);
    for (const auto& p : dropped) type_or_error(g, p.first);

    // 4. the record
    spi.exec_prepared("SELECT record_id FROM cdp.records WHERE source = $1 AND source_key = $2",
                      {{TEXTOID, text_d(source)}, {TEXTOID, text_d(key)}});
    int64 rid = spi.rows() > 0 ? *spi.get_int64(0, 0) : 0;
    result.created = rid == 0;
    std::vector<Ident> old_ids;
    if (rid != 0) {
        spi.exec_prepared("SELECT id_type, id_value FROM cdp.identifiers WHERE record_id = $1",
                          {{INT8OID, Int64GetDatum(rid)}});
        for (uint64 i = 0; i < spi.rows(); ++i)
            old_ids.emplace_back(*spi.get_text(i, 0), *spi.get_text(i, 1));
        std::sort(old_ids.begin(), old_ids.end());
    }
    std::vector<Ident> final_ids = ids;
    if (!options.replace_identifiers) {
        std::vector<Ident> u;
        std::set_union(old_ids.begin(), old_ids.end(), ids.begin(), ids.end(), std::back_inserter(u));
        final_ids.swap(u);
    }
    std::vector<Ident> removed, added;
    std::set_difference(old_ids.begin(), old_ids.end(), final_ids.begin(), final_ids.end(),
                        std::back_inserter(removed));
    std::set_difference(final_ids.begin(), final_ids.end(), old_ids.begin(), old_ids.end(),
                        std::back_inserter(added));

    Datum traits = 0;
    bool traits_null = traits_json_or_null == nullptr;
    if (!traits_null) traits = jsonb_datum(traits_json_or_null);

    auto write_identifiers = [&] {
        if (!removed.empty())
            spi.exec_prepared(
                "DELETE FROM cdp.identifiers i USING unnest($2::text[], $3::text[]) AS u(t, v) "
                "WHERE i.record_id = $1 AND i.id_type = u.t AND i.id_value = u.v",
                {{INT8OID, Int64GetDatum(rid)},
                 {TEXTARRAYOID, text_array_datum(column(removed, false))},
                 {TEXTARRAYOID, text_array_datum(column(removed, true))}});
        if (!added.empty())
            spi.exec_prepared(
                "INSERT INTO cdp.identifiers (record_id, id_type, id_value) "
                "SELECT $1, t, v FROM unnest($2::text[], $3::text[]) AS u(t, v) ON CONFLICT DO NOTHING",
                {{INT8OID, Int64GetDatum(rid)},
                 {TEXTARRAYOID, text_array_datum(column(added, false))},
                 {TEXTARRAYOID, text_array_datum(column(added, true))}});
    };
    auto write_new_record = [&](int64 customer) {
        spi.exec_prepared(
            "INSERT INTO cdp.records (record_id, source, source_key, traits, customer_id) "
            "VALUES ($1, $2, $3, coalesce($4, '{}'::jsonb), nullif($5, 0))",
            {{INT8OID, Int64GetDatum(rid)},
             {TEXTOID, text_d(source)},
             {TEXTOID, text_d(key)},
             {JSONBOID, traits, traits_null},
             {INT8OID, Int64GetDatum(customer)}});
        write_identifiers();
    };
    LogRows log;
    auto log_dropped = [&](int64 customer) {
        for (const auto& [t, raw] : dropped)
            log.add(customer, 0, rid, t, raw, "dropped:invalid_value",
                    std::string("{\"reason\":\"the value does not normalise to a usable ") + t + "\"}");
    };
    // Rows of records are written only once the customers they belong to are
    // locked: a concurrent merge updates them under those locks.
    auto update_record = [&] {
        spi.exec_prepared(
            "UPDATE cdp.records SET traits = CASE WHEN $2::jsonb IS NULL THEN traits ELSE traits || $2 END, "
            "updated_at = now() WHERE record_id = $1",
            {{INT8OID, Int64GetDatum(rid)}, {JSONBOID, traits, traits_null}});
    };

    if (defer) {
        if (rid == 0) {
            spi.exec_prepared("SELECT nextval('cdp.records_record_id_seq')", {});
            rid = *spi.get_int64(0, 0);
            write_new_record(0);
        } else {
            update_record();
            write_identifiers();
        }
        log_dropped(0);
        log.flush(spi);
        result.record_id = rid;
        return result;
    }

    // 5. customers touching the (non-blocked) values, locked
    std::vector<Ident> link_ids;
    for (const auto& p : final_ids)
        if (g.values.lookup(g.rules.find(p.first), p.second) < 0 ||
            !g.values.blocked(static_cast<uint32_t>(g.values.lookup(g.rules.find(p.first), p.second))))
            link_ids.push_back(p);
    std::vector<HolderRow> holders;
    int64 own = 0;
    L::lock_customers([&] { return read_holders(spi, link_ids, rid, holders, own); });

    // 6. write; split when identifiers were removed
    if (rid == 0) {
        spi.exec_prepared("SELECT nextval('cdp.records_record_id_seq')", {});
        rid = *spi.get_int64(0, 0);
    } else {
        update_record();
        write_identifiers();
        if (!removed.empty() && own != 0) {
            recompute_customer(spi, g, own, log, "identifiers removed from record " + std::to_string(rid));
            read_holders(spi, link_ids, rid, holders, own);
        }
    }

    // 7. engine step
    std::set<int64> custs;
    for (const auto& h : holders)
        if (h.customer != 0) custs.insert(h.customer);
    if (own != 0) custs.insert(own);
    std::vector<int64> cust_list(custs.begin(), custs.end());
    cdp::identity::Engine e(g.rules, g.values);
    std::map<int64, int32_t> node_of;
    if (!cust_list.empty()) {
        spi.exec_prepared(
            "SELECT customer_id, count(*)::int8, min(record_id) FROM cdp.records "
            "WHERE customer_id = ANY($1) GROUP BY 1",
            {{INT8ARRAYOID, int64_array_datum(cust_list)}});
        for (uint64 i = 0; i < spi.rows(); ++i) {
            int64 c = *spi.get_int64(i, 0);
            node_of[c] = e.add_cluster(c, *spi.get_int64(i, 2), *spi.get_int64(i, 1));
        }
        if (!g.limited_types.empty()) {
            std::vector<std::optional<std::string>> lt(g.limited_types.begin(), g.limited_types.end());
            spi.exec_prepared(
                "SELECT DISTINCT r.customer_id, i.id_type, i.id_value FROM cdp.records r "
                "JOIN cdp.identifiers i ON i.record_id = r.record_id "
                "WHERE r.customer_id = ANY($1) AND i.id_type = ANY($2)",
                {{INT8ARRAYOID, int64_array_datum(cust_list)}, {TEXTARRAYOID, text_array_datum(lt)}});
            for (uint64 i = 0; i < spi.rows(); ++i) {
                auto it = node_of.find(*spi.get_int64(i, 0));
                if (it == node_of.end()) continue;
                int t = type_or_error(g, *spi.get_text(i, 1));
                e.add_cluster_value(it->second, g.values.intern(t, *spi.get_text(i, 2)));
            }
        }
    }
    for (const auto& h : holders) {
        uint32_t v = g.values.intern(type_or_error(g, h.type), h.value);
        auto it = node_of.find(h.customer);
        if (h.customer == 0 || it == node_of.end())
            e.add_unlinked_holders(v, h.count);
        else
            e.add_holders(v, it->second, h.count);
    }
    std::vector<uint32_t> vals;
    for (const auto& [t, v] : final_ids) vals.push_back(g.values.intern(g.rules.find(t), v));
    int32_t start = -1;
    if (own != 0 && node_of.count(own)) start = node_of[own];
    std::vector<cdp::identity::LinkEvent> events;
    int32_t fin = e.process_record(rid, vals, start, &events);

    // 8. apply
    int64 customer = e.ext(fin);
    if (customer == 0) {
        customer = next_customer_id(spi);
        spi.exec_prepared("INSERT INTO cdp.customers (customer_id) VALUES ($1)",
                          {{INT8OID, Int64GetDatum(customer)}});
    }
    std::vector<int64> moved_old, moved_new;
    for (const auto& [c, n] : node_of) {
        int64 now = e.ext(n);
        if (now != c) {
            moved_old.push_back(c);
            moved_new.push_back(now);
        }
    }
    if (result.created) write_new_record(customer);
    if (!moved_old.empty()) {
        std::vector<SpiArg> args{{INT8ARRAYOID, int64_array_datum(moved_old)},
                                 {INT8ARRAYOID, int64_array_datum(moved_new)}};
        spi.exec_prepared(
            "UPDATE cdp.records r SET customer_id = m.n FROM unnest($1::int8[], $2::int8[]) AS m(o, n) "
            "WHERE r.customer_id = m.o",
            args);
        spi.exec_prepared(
            "UPDATE cdp.customer_aliases a SET customer_id = m.n FROM unnest($1::int8[], $2::int8[]) AS m(o, "
            "n) "
            "WHERE a.customer_id = m.o",
            args);
        spi.exec_prepared(
            "INSERT INTO cdp.customer_aliases (old_id, customer_id) SELECT o, n FROM unnest($1::int8[], "
            "$2::int8[]) "
            "AS m(o, n) ON CONFLICT (old_id) DO UPDATE SET customer_id = excluded.customer_id, at = now()",
            args);
        spi.exec_prepared("DELETE FROM cdp.customers WHERE customer_id = ANY($1)", {args[0]});
    }
    if (!result.created) {
        spi.exec_prepared(
            "UPDATE cdp.records SET customer_id = $2 WHERE record_id = $1 AND customer_id IS DISTINCT FROM "
            "$2",
            {{INT8OID, Int64GetDatum(rid)}, {INT8OID, Int64GetDatum(customer)}});
    }
    if (!custs.empty())
        spi.exec_prepared("UPDATE cdp.customers SET updated_at = now() WHERE customer_id = $1",
                          {{INT8OID, Int64GetDatum(customer)}});
    log.add_events(g, events, customer);
    log_dropped(customer);
    log.flush(spi);
    result.record_id = rid;
    result.customer_id = customer;
    return result;
}

int64 upsert(std::string_view source, std::string_view key,
             const std::vector<std::pair<std::string, std::string>>& raw_identifiers,
             const char* traits_json_or_null) {
    return upsert_record(source, key, raw_identifiers, traits_json_or_null).customer_id;
}

}  // namespace cdp::pg::identity
