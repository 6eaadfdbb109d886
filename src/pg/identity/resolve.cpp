// cdp.resolve_identities(): batch resolution as an in-memory replay.
//
//   1. take the graph lock EXCLUSIVE (waits for running upserts; blocks new
//      ones until commit);
//   2. load records (record_id, customer_id) and identifiers with two
//      streamed scans (cursor fetches, no per-row round trips);
//   3. replay every record in record_id order through the same Engine as
//      the incremental path (core/identity/engine.h);
//   4. assign customer ids: clusters in order of their oldest record each
//      keep the smallest existing id among their records not taken by an
//      older cluster; the rest get new ids;
//   5. write back set-wise: one UPDATE ... FROM unnest() of the records whose
//      customer changed, customers inserted/deleted, aliases for ids that
//      disappear, merge_log rows for the merges and refusals of records
//      whose customer changed (a re-run on a resolved graph logs nothing).
#include "pg/common/pg.h"

extern "C" {
#include "catalog/pg_type.h"
}

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include "core/common/interrupt.h"
#include "core/identity/engine.h"
#include "core/identity/input.h"
#include "pg/common/boundary.h"
#include "pg/common/bulk_insert.h"
#include "pg/common/convert.h"
#include "pg/identity/graph.h"
#include "pg/identity/locks.h"
#include "pg/identity/rewrite.h"
#include "pg/identity/gucs.h"
#include "pg/normalize/gucs.h"
#include "pg/common/heap_scan.h"
#include "pg/common/spi.h"

namespace {

namespace ident = cdp::pg::identity;
using cdp::identity::LinkEvent;
using cdp::identity::Outcome;

// record_id -> dense index (records are loaded in record_id order).
class RecordIndex {
 public:
    void build(const std::vector<int64>& ids) {
        ids_ = &ids;
        if (ids.empty()) return;
        base_ = ids.front();
        int64 span = ids.back() - base_ + 1;
        if (span <= static_cast<int64>(ids.size()) * 4 + 1024) {
            direct_.assign(static_cast<size_t>(span), -1);
            for (size_t i = 0; i < ids.size(); ++i)
                direct_[static_cast<size_t>(ids[i] - base_)] = static_cast<int32_t>(i);
        } else {
            hashed_.reserve(ids.size());
            for (size_t i = 0; i < ids.size(); ++i) hashed_.emplace(ids[i], static_cast<int32_t>(i));
        }
    }
    int32_t find(int64 rid) const {
        if (!direct_.empty()) {
            int64 off = rid - base_;
            return off < 0 || off >= static_cast<int64>(direct_.size()) ? -1
                                                                        : direct_[static_cast<size_t>(off)];
        }
        auto it = hashed_.find(rid);
        return it == hashed_.end() ? -1 : it->second;
    }

 private:
    const std::vector<int64>* ids_ = nullptr;
    int64 base_ = 0;
    std::vector<int32_t> direct_;
    std::unordered_map<int64, int32_t> hashed_;
};

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(cdp_resolve_identities);

Datum cdp_resolve_identities(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&]() -> Datum {
        // SPI memory is released when `spi` goes: build the result after.
        std::string result = [&]() -> std::string {
            auto t0 = std::chrono::steady_clock::now();
            cdp::pg::identity::locks::lock_graph(true);
            cdp::pg::Spi spi;
            ident::Graph g;
            ident::load_rules(spi, g);
            cdp::interrupt::Ticker ticker(4096);

            // 2. load: plain heap scans (no executor, no SPI tuple copies)
            std::vector<int64> rids, old_cid;
            {
                std::vector<std::pair<int64, int64>> rc;
                cdp::pg::HeapScan scan("records", {"record_id", "customer_id"});
                while (scan.next_batch())
                    for (size_t i = 0; i < scan.rows(); ++i) {
                        ticker.tick();
                        rc.emplace_back(scan.int8(i, 0), scan.int8(i, 1));
                    }
                scan.finish();
                std::sort(rc.begin(), rc.end());
                rids.reserve(rc.size());
                old_cid.reserve(rc.size());
                for (const auto& [r, c] : rc) {
                    rids.push_back(r);
                    old_cid.push_back(c);
                }
            }
            const size_t n = rids.size();
            RecordIndex index;
            index.build(rids);
            std::vector<std::pair<int32_t, uint32_t>> pairs;  // (record index, value id)
            pairs.reserve(n * 3);
            g.values.reserve(n * 2, n * 2 * 16);
            {
                std::string last_type;
                int last_code = -1;
                cdp::pg::HeapScan scan("identifiers", {"record_id", "id_type", "id_value"});
                std::vector<int> code;
                std::vector<uint64_t> hash;
                constexpr size_t kAhead = 8;  // prefetch the hash slot this many rows ahead
                while (scan.next_batch()) {
                    const size_t rows = scan.rows();
                    code.resize(rows);
                    hash.resize(rows);
                    for (size_t i = 0; i < rows; ++i) {
                        std::string_view t = scan.text(i, 1);
                        if (t != last_type) {
                            last_code = ident::type_or_error(g, t);
                            last_type.assign(t);
                        }
                        code[i] = last_code;
                        hash[i] = cdp::identity::ValueTable::hash(last_code, scan.text(i, 2));
                    }
                    for (size_t i = 0; i < rows; ++i) {
                        ticker.tick();
                        if (i + kAhead < rows) g.values.prefetch(hash[i + kAhead]);
                        int32_t r = index.find(scan.int8(i, 0));
                        if (r < 0) continue;
                        pairs.emplace_back(r, g.values.intern(code[i], scan.text(i, 2), hash[i]));
                    }
                }
                scan.finish();
            }
            // CSR: values of each record.
            std::vector<uint32_t> start(n + 1, 0);
            for (const auto& p : pairs) start[p.first + 1]++;
            for (size_t i = 0; i < n; ++i) start[i + 1] += start[i];
            std::vector<uint32_t> vals(pairs.size());
            {
                std::vector<uint32_t> fill(start.begin(), start.end() - 1);
                for (const auto& p : pairs) vals[fill[p.first]++] = p.second;
            }
            std::vector<std::pair<int32_t, uint32_t>>().swap(pairs);

            auto t_loaded = std::chrono::steady_clock::now();
            // 3. replay
            cdp::identity::Engine e(g.rules, g.values);
            e.reserve(n, g.values.size());
            std::vector<int32_t> node(n);
            std::vector<LinkEvent> events;
            std::vector<uint32_t> event_end(n);  // events of record i: [event_end[i-1], event_end[i])
            int64 merges = 0, refused = 0;
            constexpr size_t kAhead = 4;  // records whose values are prefetched ahead
            for (size_t i = 0; i < n; ++i) {
                ticker.tick();
                if (i + kAhead < n)
                    e.prefetch(vals.data() + start[i + kAhead], vals.data() + start[i + kAhead + 1]);
                node[i] = e.process_record(rids[i], vals.data() + start[i], vals.data() + start[i + 1], -1,
                                           &events);
                event_end[i] = static_cast<uint32_t>(events.size());
            }
            for (const auto& ev : events) (ev.outcome == Outcome::kMerged ? merges : refused)++;

            // 4. customer ids: clusters ordered by oldest record (= first record index seen)
            std::vector<int32_t> cluster_of(n);
            std::vector<int32_t> root_cluster(static_cast<size_t>(e.node_count()), -1);
            int32_t clusters = 0;
            for (size_t i = 0; i < n; ++i) {
                int32_t r = e.find(node[i]);
                if (root_cluster[r] < 0) root_cluster[r] = clusters++;
                cluster_of[i] = root_cluster[r];
            }
            std::vector<std::pair<int32_t, int64>> claims;  // (cluster, existing id)
            for (size_t i = 0; i < n; ++i)
                if (old_cid[i] != 0) claims.emplace_back(cluster_of[i], old_cid[i]);
            std::sort(claims.begin(), claims.end());
            claims.erase(std::unique(claims.begin(), claims.end()), claims.end());
            std::vector<int64> final_id(static_cast<size_t>(clusters), 0);
            std::unordered_map<int64, int32_t> taken;  // existing id -> cluster
            for (size_t k = 0; k < claims.size(); ++k) {
                ticker.tick();
                auto [c, id] = claims[k];
                if (final_id[c] != 0 || taken.count(id)) continue;
                final_id[c] = id;
                taken.emplace(id, c);
            }
            int64 need = 0;
            for (int64 id : final_id) need += id == 0;
            if (need > 0) {
                spi.exec("SELECT nextval('cdp.customers_customer_id_seq') FROM generate_series(1, $1)",
                         {{INT8OID, Int64GetDatum(need)}});
                uint64 k = 0;
                std::vector<int64> fresh(spi.rows());
                for (uint64 i = 0; i < spi.rows(); ++i) fresh[i] = *spi.get_int64(i, 0);
                std::sort(fresh.begin(), fresh.end());
                for (auto& id : final_id)
                    if (id == 0) id = fresh[k++];
            }
            std::vector<int64> new_ids;
            for (int32_t c = 0; c < clusters; ++c)
                if (!taken.count(final_id[c]) || taken[final_id[c]] != c) new_ids.push_back(final_id[c]);
            // Existing ids that disappear -> alias to the cluster of their oldest record.
            std::vector<int64> gone_old, gone_new;
            {
                std::unordered_map<int64, int64> first_home;
                for (size_t i = 0; i < n; ++i)
                    if (old_cid[i] != 0 && !taken.count(old_cid[i]))
                        first_home.emplace(old_cid[i], final_id[cluster_of[i]]);
                for (const auto& [o, nw] : first_home) {
                    gone_old.push_back(o);
                    gone_new.push_back(nw);
                }
            }

            auto t_replayed = std::chrono::steady_clock::now();
            // 5. write back
            std::vector<int64> upd_r, upd_c;
            std::vector<char> changed(n, 0);
            for (size_t i = 0; i < n; ++i) {
                int64 f = final_id[cluster_of[i]];
                if (f != old_cid[i]) {
                    upd_r.push_back(rids[i]);
                    upd_c.push_back(f);
                    changed[i] = 1;
                }
            }
            // Fresh ids come from the sequence: no conflict is possible.
            const char* customers_path = "none";
            std::string customers_fallback;
            if (!new_ids.empty()) {
                cdp::pg::BulkInserter bulk("customers");
                customers_path = "insert";
                if (new_ids.size() >= ident::LogRows::kBulkRows) customers_fallback = bulk.blocker();
                if (new_ids.size() >= ident::LogRows::kBulkRows && bulk.usable()) {
                    customers_path = "bulk";
                    std::vector<cdp::pg::BulkCell> row(static_cast<size_t>(bulk.natts()),
                                                       cdp::pg::BulkCell::def());
                    const int c_id = bulk.column("customer_id");
                    for (int64 id : new_ids) {
                        row[c_id] = cdp::pg::BulkCell::int8(id);
                        bulk.add(row.data());
                    }
                    bulk.finish();
                } else {
                    bulk.finish();
                    spi.exec("INSERT INTO cdp.customers (customer_id) SELECT unnest($1::int8[])",
                             {{INT8ARRAYOID, cdp::pg::int64_array_datum(new_ids)}});
                }
            }
            auto t_customers = std::chrono::steady_clock::now();
            // Bulk change (typically after a deferred load): rewrite the
            // table in one pass when its lock is free, else UPDATE.
            const char* write_path = upd_r.empty() ? "none" : "update";
            ident::RewriteStats rewrite;
            const int64 min_rewrite = cdp::pg::identity::bulk_rewrite_min_records;
            if (!upd_r.empty() && min_rewrite > 0 && static_cast<int64>(upd_r.size()) >= min_rewrite &&
                upd_r.size() * 4 >= n) {
                std::vector<int64> all_c(n);
                for (size_t i = 0; i < n; ++i) all_c[i] = final_id[cluster_of[i]];
                if (ident::rewrite_records_customer_ids(rids, all_c, &rewrite)) write_path = "rewrite";
            }
            if (!upd_r.empty() && std::strcmp(write_path, "update") == 0)
                spi.exec(
                    "UPDATE cdp.records r SET customer_id = u.c FROM unnest($1::int8[], $2::int8[]) AS u(r, "
                    "c) "
                    "WHERE r.record_id = u.r",
                    {{INT8ARRAYOID, cdp::pg::int64_array_datum(upd_r)},
                     {INT8ARRAYOID, cdp::pg::int64_array_datum(upd_c)}});
            auto t_records = std::chrono::steady_clock::now();
            if (!gone_old.empty()) {
                std::vector<cdp::pg::SpiArg> args{{INT8ARRAYOID, cdp::pg::int64_array_datum(gone_old)},
                                                  {INT8ARRAYOID, cdp::pg::int64_array_datum(gone_new)}};
                spi.exec(
                    "UPDATE cdp.customer_aliases a SET customer_id = m.n FROM unnest($1::int8[], $2::int8[]) "
                    "AS "
                    "m(o, n) "
                    "WHERE a.customer_id = m.o",
                    args);
                spi.exec(
                    "INSERT INTO cdp.customer_aliases (old_id, customer_id) SELECT o, n FROM "
                    "unnest($1::int8[], "
                    "$2::int8[]) "
                    "AS m(o, n) ON CONFLICT (old_id) DO UPDATE SET customer_id = excluded.customer_id, at = "
                    "now()",
                    args);
                spi.exec("DELETE FROM cdp.customers WHERE customer_id = ANY($1)", {args[0]});
            }
            // An id that lives on must not also be an alias.
            spi.exec(
                "DELETE FROM cdp.customer_aliases a WHERE EXISTS (SELECT 1 FROM cdp.customers c WHERE "
                "c.customer_id = a.old_id)",
                {});
            // merge_log: events of records whose customer changed, written in
            // customer order (index insertions into merge_log_customer_idx
            // then append instead of landing on random leaves).
            std::vector<std::pair<int64, uint32_t>> order;  // (customer, record index)
            for (size_t i = 0; i < n; ++i)
                if (changed[i] && event_end[i] != (i == 0 ? 0 : event_end[i - 1]))
                    order.emplace_back(final_id[cluster_of[i]], static_cast<uint32_t>(i));
            std::sort(order.begin(), order.end());
            ident::LogRows log;
            for (const auto& [cust, idx] : order) {
                const size_t i = idx;
                uint32_t from = i == 0 ? 0 : event_end[i - 1];
                for (uint32_t k = from; k < event_end[i]; ++k) {
                    const LinkEvent& ev = events[k];
                    int t = g.values.type_of(ev.value);
                    std::string type = g.rules.type(t).name;
                    std::string value(g.values.value_of(ev.value));
                    int64 mine = final_id[cluster_of[i]];
                    if (ev.outcome == Outcome::kMerged) {
                        log.add(mine, 0, rids[i], type, value, "exact", std::nullopt);
                    } else {
                        int64 other = 0;
                        if (ev.other >= 0) {
                            int32_t r = e.find(ev.other);
                            other = root_cluster[r] >= 0 ? final_id[root_cluster[r]] : 0;
                        }
                        std::string d = "{\"batch\":true,\"reason\":" +
                                        cdp::identity::json_quote(cdp::identity::rule_name(ev.outcome) + 8);
                        if (ev.limited_type >= 0)
                            d += ",\"type\":" + cdp::identity::json_quote(g.rules.type(ev.limited_type).name);
                        if (ev.limit > 0)
                            d += ",\"would_be\":" + std::to_string(ev.would_be) +
                                 ",\"limit\":" + std::to_string(ev.limit);
                        d += "}";
                        log.add(mine, other, rids[i], type, value, cdp::identity::rule_name(ev.outcome), d);
                    }
                }
                if (log.size() >= 100000) log.flush(spi);
            }
            log.flush(spi);

            auto t_end = std::chrono::steady_clock::now();
            const char* log_path = log.bulk_rows > 0 ? "bulk" : log.sql_rows > 0 ? "insert" : "none";
            std::string fallbacks;
            auto fallback = [&](const char* what, const std::string& why) {
                if (why.empty()) return;
                fallbacks += std::string(fallbacks.empty() ? "" : ",") + "\"" + what +
                             "\":" + cdp::identity::json_quote(why);
            };
            fallback("records", rewrite.fallback);
            fallback("customers", customers_fallback);
            fallback("merge_log", log.fallback);
            auto msf = [](auto a, auto b) {
                char buf[32];
                snprintf(buf, sizeof buf, "%.1f", std::chrono::duration<double, std::milli>(b - a).count());
                return std::string(buf);
            };
            std::string out =
                "{\"records\":" + std::to_string(n) + ",\"customers\":" + std::to_string(clusters) +
                ",\"merges\":" + std::to_string(merges) + ",\"refused_links\":" + std::to_string(refused) +
                ",\"records_changed\":" + std::to_string(upd_r.size()) + ",\"ms\":" + msf(t0, t_end) +
                ",\"load_ms\":" + msf(t0, t_loaded) + ",\"replay_ms\":" + msf(t_loaded, t_replayed) +
                ",\"write_ms\":" + msf(t_replayed, t_end) + ",\"write_path\":\"" + write_path +
                "\",\"customers_path\":\"" + customers_path + "\",\"merge_log_path\":\"" + log_path + "\"" +
                (fallbacks.empty() ? std::string() : ",\"bulk_fallback\":{" + fallbacks + "}") +
                ",\"write_detail_ms\":{\"customers\":" + msf(t_replayed, t_customers) +
                ",\"records\":" + msf(t_customers, t_records) +
                ",\"aliases_and_log\":" + msf(t_records, t_end) +
                (std::strcmp(write_path, "rewrite") == 0
                     ? ",\"rewrite_copy\":" + std::to_string(static_cast<int64>(rewrite.copy_ms)) +
                           ",\"rewrite_indexes\":" + std::to_string(static_cast<int64>(rewrite.index_ms))
                     : std::string()) +
                "}}";
            return out;
        }();
        return cdp::pg::jsonb_datum(result);
    });
}
}
