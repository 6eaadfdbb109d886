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
#include <unordered_map>

#include "core/common/interrupt.h"
#include "core/identity/assign.h"
#include "core/identity/engine.h"
#include "core/identity/evidence.h"
#include "pg/common/boundary.h"
#include "pg/common/bulk_insert.h"
#include "pg/common/convert.h"
#include "pg/common/heap_scan.h"
#include "pg/common/spi.h"
#include "pg/identity/graph.h"
#include "pg/profile/maintain.h"
#include "pg/identity/gucs.h"
#include "pg/identity/locks.h"
#include "pg/identity/resolve.h"
#include "pg/identity/rewrite.h"

namespace cdp::pg::identity {

namespace {

using cdp::identity::LinkEvent;
using cdp::identity::Outcome;
using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// record_id -> dense index (records are loaded in record_id order).
class RecordIndex {
 public:
    void build(const std::vector<int64>& ids) {
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
    int64 base_ = 0;
    std::vector<int32_t> direct_;
    std::unordered_map<int64, int32_t> hashed_;
};

// What step 2 loads: records in record_id order with their customer, and
// the values of each record as CSR (vals[start[i], start[i+1])).
struct Loaded {
    std::vector<int64> rids, old_cid;
    std::vector<uint32_t> start, vals;
    size_t size() const { return rids.size(); }
};

// 2a. records: a plain heap scan (no executor, no SPI tuple copies).
void load_records(Loaded& in, cdp::interrupt::Ticker& ticker) {
    std::vector<std::pair<int64, int64>> rc;
    cdp::pg::HeapScan scan("records", {"record_id", "customer_id"});
    while (scan.next_batch())
        for (size_t i = 0; i < scan.rows(); ++i) {
            ticker.tick();
            rc.emplace_back(scan.int8(i, 0), scan.int8(i, 1));
        }
    scan.finish();
    std::sort(rc.begin(), rc.end());
    in.rids.reserve(rc.size());
    in.old_cid.reserve(rc.size());
    for (const auto& [r, c] : rc) {
        in.rids.push_back(r);
        in.old_cid.push_back(c);
    }
}

// 2b. identifiers: interned while scanning, then grouped per record.
void load_identifiers(Graph& g, Loaded& in, cdp::interrupt::Ticker& ticker) {
    const size_t n = in.size();
    RecordIndex index;
    index.build(in.rids);
    std::vector<std::pair<int32_t, uint32_t>> pairs;  // (record index, value id)
    pairs.reserve(n * 3);
    g.values.reserve(n * 2, n * 2 * 16);
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
                last_code = type_or_error(g, t);
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
    in.start.assign(n + 1, 0);
    for (const auto& p : pairs) in.start[p.first + 1]++;
    for (size_t i = 0; i < n; ++i) in.start[i + 1] += in.start[i];
    in.vals.resize(pairs.size());
    std::vector<uint32_t> fill(in.start.begin(), in.start.end() - 1);
    for (const auto& p : pairs) in.vals[fill[p.first]++] = p.second;
}

// What step 3 produces: the final node of each record and the link events,
// those of record i in events[event_begin(i), event_end[i]).
struct Replayed {
    std::vector<int32_t> node;
    std::vector<LinkEvent> events;
    std::vector<uint32_t> event_end;
    int64 merges = 0, refused = 0;
    uint32_t event_begin(size_t i) const { return i == 0 ? 0 : event_end[i - 1]; }
};

// 3. every record in record_id order through the Engine.
void replay(cdp::identity::Engine& e, const Loaded& in, Replayed& out, cdp::interrupt::Ticker& ticker) {
    const size_t n = in.size();
    out.node.resize(n);
    out.event_end.resize(n);
    const uint32_t* vals = in.vals.data();
    constexpr size_t kAhead = 4;  // records whose values are prefetched ahead
    for (size_t i = 0; i < n; ++i) {
        ticker.tick();
        if (i + kAhead < n) e.prefetch(vals + in.start[i + kAhead], vals + in.start[i + kAhead + 1]);
        out.node[i] =
            e.process_record(in.rids[i], vals + in.start[i], vals + in.start[i + 1], -1, &out.events);
        out.event_end[i] = static_cast<uint32_t>(out.events.size());
    }
    for (const auto& ev : out.events) (ev.outcome == Outcome::kMerged ? out.merges : out.refused)++;
}

// 4. fresh ids from the sequence for the clusters that keep no existing id.
void assign_fresh_ids(Spi& spi, cdp::identity::CustomerIds& ids) {
    if (ids.fresh_needed() == 0) return;
    spi.exec(R"sql(SELECT nextval('cdp.customers_customer_id_seq') FROM generate_series(1, $1))sql",
             {{INT8OID, Int64GetDatum(ids.fresh_needed())}});
    std::vector<int64_t> fresh(spi.rows());
    for (uint64 i = 0; i < spi.rows(); ++i) fresh[i] = *spi.get_int64(i, 0);
    ids.assign_fresh(std::move(fresh));
}

// 5a. rows of the new customers (fresh ids come from the sequence: no
// conflict is possible): COPY's path when there are many, else INSERT.
void insert_customers(Spi& spi, const std::vector<int64>& new_ids, cdp::identity::ResolveSummary& sum) {
    if (new_ids.empty()) return;
    cdp::pg::BulkInserter bulk("customers");
    sum.customers_path = "insert";
    const bool many = new_ids.size() >= LogRows::kBulkRows;
    if (many && !bulk.usable()) sum.bulk_fallback["customers"] = bulk.blocker();
    if (many && bulk.usable()) {
        sum.customers_path = "bulk";
        std::vector<cdp::pg::BulkCell> row(static_cast<size_t>(bulk.natts()), cdp::pg::BulkCell::def());
        const int c_id = bulk.column("customer_id");
        for (int64 id : new_ids) {
            row[c_id] = cdp::pg::BulkCell::int8(id);
            bulk.add(row.data());
        }
        bulk.finish();
        return;
    }
    bulk.finish();
    spi.exec(R"sql(INSERT INTO cdp.customers (customer_id) SELECT unnest($1::int8[]))sql",
             {{INT8ARRAYOID, cdp::pg::int64_array_datum(new_ids)}});
}

// 5b. records whose customer changed.  A bulk change (typically after a
// deferred load) rewrites the table in one pass when its lock is free and
// nothing but an UPDATE would honour its definition; else one UPDATE.
void write_records(Spi& spi, const Loaded& in, const std::vector<int64>& new_cid,
                   cdp::identity::ResolveSummary& sum) {
    const size_t n = in.size();
    std::vector<int64> upd_r, upd_c;
    for (size_t i = 0; i < n; ++i)
        if (new_cid[i] != in.old_cid[i]) {
            upd_r.push_back(in.rids[i]);
            upd_c.push_back(new_cid[i]);
        }
    sum.records_changed = static_cast<int64>(upd_r.size());
    if (upd_r.empty()) return;
    sum.write_path = "update";
    const int64 min_rewrite = bulk_rewrite_min_records;
    if (min_rewrite > 0 && static_cast<int64>(upd_r.size()) >= min_rewrite && upd_r.size() * 4 >= n) {
        RewriteStats rewrite;
        if (rewrite_records_customer_ids(in.rids, new_cid, &rewrite)) {
            sum.write_path = "rewrite";
            sum.rewrite_copy_ms = static_cast<int64_t>(rewrite.copy_ms);
            sum.rewrite_indexes_ms = static_cast<int64_t>(rewrite.index_ms);
            return;
        }
        sum.bulk_fallback["records"] = rewrite.fallback;
    }
    spi.exec(R"sql(
        UPDATE cdp.records r SET customer_id = u.c
          FROM unnest($1::int8[], $2::int8[]) AS u(r, c)
         WHERE r.record_id = u.r)sql",
             {{INT8ARRAYOID, cdp::pg::int64_array_datum(upd_r)},
              {INT8ARRAYOID, cdp::pg::int64_array_datum(upd_c)}});
}

// 5c. existing ids that disappear become aliases; an id that lives on must
// not also be an alias.
void write_aliases(Spi& spi, const std::vector<std::pair<int64_t, int64_t>>& gone) {
    if (!gone.empty()) {
        std::vector<int64> gone_old, gone_new;
        for (const auto& [o, nw] : gone) {
            gone_old.push_back(o);
            gone_new.push_back(nw);
        }
        std::vector<SpiArg> args{{INT8ARRAYOID, cdp::pg::int64_array_datum(gone_old)},
                                 {INT8ARRAYOID, cdp::pg::int64_array_datum(gone_new)}};
        spi.exec(R"sql(
            UPDATE cdp.customer_aliases a SET customer_id = m.n
              FROM unnest($1::int8[], $2::int8[]) AS m(o, n)
             WHERE a.customer_id = m.o)sql",
                 args);
        spi.exec(R"sql(
            INSERT INTO cdp.customer_aliases (old_id, customer_id)
            SELECT o, n FROM unnest($1::int8[], $2::int8[]) AS m(o, n)
            ON CONFLICT (old_id) DO UPDATE SET customer_id = excluded.customer_id, at = now())sql",
                 args);
        spi.exec(R"sql(DELETE FROM cdp.customers WHERE customer_id = ANY($1))sql", {args[0]});
    }
    spi.exec(R"sql(
        DELETE FROM cdp.customer_aliases a
         WHERE EXISTS (SELECT 1 FROM cdp.customers c WHERE c.customer_id = a.old_id))sql",
             {});
}

// 5d. merge_log: the events of records whose customer changed (a re-run on
// a resolved graph logs nothing), written in customer order (index
// insertions into merge_log_customer_idx then append instead of landing on
// random leaves).
void write_merge_log(Spi& spi, const Graph& g, cdp::identity::Engine& e, const Loaded& in,
                     const Replayed& rep, const cdp::identity::Clusters& cl,
                     const cdp::identity::CustomerIds& ids, const std::vector<int64>& new_cid,
                     cdp::identity::ResolveSummary& sum) {
    const size_t n = in.size();
    std::vector<std::pair<int64, uint32_t>> order;  // (customer, record index)
    for (size_t i = 0; i < n; ++i)
        if (new_cid[i] != in.old_cid[i] && rep.event_end[i] != rep.event_begin(i))
            order.emplace_back(new_cid[i], static_cast<uint32_t>(i));
    std::sort(order.begin(), order.end());
    LogRows log;
    for (const auto& [mine, idx] : order) {
        for (uint32_t k = rep.event_begin(idx); k < rep.event_end[idx]; ++k) {
            const LinkEvent& ev = rep.events[k];
            std::string type = g.rules.type(g.values.type_of(ev.value)).name;
            std::string value(g.values.value_of(ev.value));
            if (ev.outcome == Outcome::kMerged) {
                log.add(mine, 0, in.rids[idx], type, value, "exact", std::nullopt);
                continue;
            }
            int64 other = 0;
            if (ev.other >= 0) {
                const int32_t c = cl.of_node(e, ev.other);
                other = c >= 0 ? ids.of_cluster(c) : 0;
            }
            log.add(mine, other, in.rids[idx], type, value, cdp::identity::rule_name(ev.outcome),
                    cdp::identity::refused_detail(ev, g.rules, cdp::identity::EvidencePath::kBatch));
        }
        if (log.size() >= 100000) log.flush(spi);
    }
    log.flush(spi);
    cdp::pg::profile::rebuild_all();
    sum.merge_log_path = log.bulk_rows > 0 ? "bulk" : log.sql_rows > 0 ? "insert" : "none";
    if (!log.fallback.empty()) sum.bulk_fallback["merge_log"] = log.fallback;
}

}  // namespace

std::string resolve_identities() {
    cdp::identity::ResolveSummary sum;
    const auto t0 = Clock::now();
    // 1. lock
    locks::lock_graph(true);
    Spi spi;
    Graph g;
    load_rules(spi, g);
    cdp::interrupt::Ticker ticker(4096);

    // 2. load
    Loaded in;
    load_records(in, ticker);
    load_identifiers(g, in, ticker);
    const size_t n = in.size();
    const auto t_loaded = Clock::now();

    // 3. replay
    cdp::identity::Engine e(g.rules, g.values);
    e.reserve(n, g.values.size());
    Replayed rep;
    replay(e, in, rep, ticker);

    // 4. customer ids
    const cdp::identity::Clusters cl = cdp::identity::number_clusters(e, rep.node);
    cdp::identity::CustomerIds ids(cl.cluster_of, cl.count, in.old_cid);
    assign_fresh_ids(spi, ids);
    std::vector<int64> new_cid(n);
    for (size_t i = 0; i < n; ++i) new_cid[i] = ids.of_cluster(cl.cluster_of[i]);
    const auto t_replayed = Clock::now();

    // 5. write back
    insert_customers(spi, ids.new_ids(), sum);
    const auto t_customers = Clock::now();
    write_records(spi, in, new_cid, sum);
    const auto t_records = Clock::now();
    write_aliases(spi, ids.gone());
    write_merge_log(spi, g, e, in, rep, cl, ids, new_cid, sum);
    const auto t_end = Clock::now();

    sum.records = static_cast<int64_t>(n);
    sum.customers = cl.count;
    sum.merges = rep.merges;
    sum.refused_links = rep.refused;
    sum.ms = ms_between(t0, t_end);
    sum.load_ms = ms_between(t0, t_loaded);
    sum.replay_ms = ms_between(t_loaded, t_replayed);
    sum.write_ms = ms_between(t_replayed, t_end);
    sum.customers_ms = ms_between(t_replayed, t_customers);
    sum.records_ms = ms_between(t_customers, t_records);
    sum.aliases_and_log_ms = ms_between(t_records, t_end);
    return sum.to_json();
}

}  // namespace cdp::pg::identity

CDP_FUNCTION(cdp_resolve_identities) {
    // SPI memory is released when the body's Spi goes: build the result after.
    std::string result = cdp::pg::identity::resolve_identities();
    return cdp::pg::jsonb_datum(result);
}
