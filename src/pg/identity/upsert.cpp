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

#include "core/identity/assign.h"
#include "core/identity/input.h"
#include "core/identity/evidence.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/identity/graph.h"
#include "pg/identity/gucs.h"
#include "pg/identity/locks.h"
#include "pg/identity/upsert.h"
#include "pg/normalize/gucs.h"

namespace cdp::pg::identity {

namespace {

using cdp::identity::Identifier;
namespace L = locks;

struct HolderRow {
    std::string type, value;
    int64 customer;  // 0: deferred (NULL)
    int64 count;
};

Datum text_d(std::string_view s) { return text_datum(s); }

std::vector<std::optional<std::string>> column(const std::vector<Identifier>& ids, bool second) {
    std::vector<std::optional<std::string>> out;
    out.reserve(ids.size());
    for (const auto& p : ids) out.emplace_back(second ? p.second : p.first);
    return out;
}

// Reads the holders of `ids` (other than record `rid`) grouped by customer,
// and the record's own customer (row with empty type).
std::vector<int64> read_holders(Spi& spi, const std::vector<Identifier>& ids, int64 rid,
                                std::vector<HolderRow>& rows, int64& own_customer) {
    spi.exec_prepared(
        R"sql(
        SELECT h.id_type, h.id_value, r.customer_id, count(*)::int8
          FROM unnest($1::text[], $2::text[]) AS u(t, v)
          JOIN cdp.identifiers h ON h.id_type = u.t AND h.id_value = u.v
          JOIN cdp.records r ON r.record_id = h.record_id
         WHERE h.record_id <> $3 GROUP BY 1, 2, 3
        UNION ALL SELECT NULL, NULL, customer_id, 0 FROM cdp.records WHERE record_id = $3)sql",
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

// One upsert, step by step (see the top of the file).
class Upsert {
 public:
    Upsert(std::string_view source, std::string_view key, Datum traits, const UpsertOptions& options)
        : source_(source), key_(key), traits_(traits), options_(options), defer_(defer_resolution) {}

    UpsertResult run(const std::vector<std::pair<std::string, std::string>>& raw_identifiers) {
        cdp::identity::check_record_key(source_, key_);
        normalise_identifiers(raw_identifiers);
        add_source();
        lock();
        read_rules();
        read_record();
        if (defer_) return write_deferred();
        lock_customers();
        write_record_and_split();
        cdp::identity::Engine e(g_.rules, g_.values);
        std::vector<cdp::identity::LinkEvent> events;
        const int32_t fin = engine_step(e, events);
        apply_merges(e, fin, events);
        return result_;
    }

 private:
    // 1. normalise (no database access)
    void normalise_identifiers(const std::vector<std::pair<std::string, std::string>>& raw) {
        for (const auto& [type, value] : raw) {
            auto n = normalise(type, value);
            if (n)
                ids_.emplace_back(type, std::move(*n));
            else
                dropped_.emplace_back(type, value);
        }
        cdp::identity::sort_unique(ids_);
        result_.dropped = static_cast<int>(dropped_.size());
    }

    // A new source first, before any lock of ours: a concurrent insert of the
    // same source makes us wait for that transaction, which must not be
    // waiting for us.
    void add_source() {
        spi_.exec_prepared(R"sql(SELECT 1 FROM cdp.sources WHERE source = $1)sql",
                           {{TEXTOID, text_d(source_)}});
        if (spi_.rows() == 0)
            spi_.exec_prepared(R"sql(INSERT INTO cdp.sources (source) VALUES ($1) ON CONFLICT DO NOTHING)sql",
                               {{TEXTOID, text_d(source_)}});
    }

    // 2. locks.  A deferred write resolves nothing: bulk mode (graph lock
    // EXCLUSIVE, no per-record locks) unless this transaction already holds
    // it SHARE.
    void lock() {
        if (!defer_ || !L::lock_graph_for_bulk()) L::lock_graph(false);
        std::vector<int64_t> keys{L::record_key(source_, key_)};
        if (!defer_)
            for (const auto& [t, v] : ids_) keys.push_back(L::value_key(t, v));
        L::lock_keys(keys);
    }

    // 3. rules (after the locks: a concurrent block is seen)
    void read_rules() {
        load_rules(spi_, g_);
        for (const auto& p : ids_) type_or_error(g_, p.first);
        for (const auto& p : dropped_) type_or_error(g_, p.first);
    }

    // 4. the record and its identifier changes
    void read_record() {
        spi_.exec_prepared(R"sql(SELECT record_id FROM cdp.records WHERE source = $1 AND source_key = $2)sql",
                           {{TEXTOID, text_d(source_)}, {TEXTOID, text_d(key_)}});
        rid_ = spi_.rows() > 0 ? *spi_.get_int64(0, 0) : 0;
        result_.created = rid_ == 0;
        std::vector<Identifier> old_ids;
        if (rid_ != 0) {
            spi_.exec_prepared(R"sql(SELECT id_type, id_value FROM cdp.identifiers WHERE record_id = $1)sql",
                               {{INT8OID, Int64GetDatum(rid_)}});
            for (uint64 i = 0; i < spi_.rows(); ++i)
                old_ids.emplace_back(*spi_.get_text(i, 0), *spi_.get_text(i, 1));
            std::sort(old_ids.begin(), old_ids.end());
        }
        diff_ = cdp::identity::diff_identifiers(old_ids, ids_, options_.replace_identifiers);
    }

    int64 new_record_id() {
        spi_.exec_prepared(R"sql(SELECT nextval('cdp.records_record_id_seq'))sql", {});
        return *spi_.get_int64(0, 0);
    }

    void write_identifiers() {
        if (!diff_.removed.empty())
            spi_.exec_prepared(
                R"sql(
                DELETE FROM cdp.identifiers i USING unnest($2::text[], $3::text[]) AS u(t, v)
                 WHERE i.record_id = $1 AND i.id_type = u.t AND i.id_value = u.v)sql",
                {{INT8OID, Int64GetDatum(rid_)},
                 {TEXTARRAYOID, text_array_datum(column(diff_.removed, false))},
                 {TEXTARRAYOID, text_array_datum(column(diff_.removed, true))}});
        if (!diff_.added.empty())
            spi_.exec_prepared(
                R"sql(
                INSERT INTO cdp.identifiers (record_id, id_type, id_value)
                SELECT $1, t, v FROM unnest($2::text[], $3::text[]) AS u(t, v) ON CONFLICT DO NOTHING)sql",
                {{INT8OID, Int64GetDatum(rid_)},
                 {TEXTARRAYOID, text_array_datum(column(diff_.added, false))},
                 {TEXTARRAYOID, text_array_datum(column(diff_.added, true))}});
    }

    void write_new_record(int64 customer) {
        spi_.exec_prepared(
            R"sql(
            INSERT INTO cdp.records (record_id, source, source_key, traits, customer_id)
            VALUES ($1, $2, $3, coalesce($4, '{}'::jsonb), nullif($5, 0)))sql",
            {{INT8OID, Int64GetDatum(rid_)},
             {TEXTOID, text_d(source_)},
             {TEXTOID, text_d(key_)},
             {JSONBOID, traits_, traits_ == 0},
             {INT8OID, Int64GetDatum(customer)}});
        write_identifiers();
    }

    // Rows of records are written only once the customers they belong to
    // are locked: a concurrent merge updates them under those locks.
    void update_record() {
        spi_.exec_prepared(
            R"sql(
            UPDATE cdp.records
               SET traits = CASE WHEN $2::jsonb IS NULL THEN traits ELSE traits || $2 END, updated_at = now()
             WHERE record_id = $1)sql",
            {{INT8OID, Int64GetDatum(rid_)}, {JSONBOID, traits_, traits_ == 0}});
    }

    void log_dropped(int64 customer) {
        for (const auto& [t, raw] : dropped_)
            log_.add(customer, 0, rid_, t, raw, "dropped:invalid_value", cdp::identity::dropped_detail(t));
    }

    // Deferred resolution: store the record unresolved, nothing else.
    UpsertResult write_deferred() {
        if (rid_ == 0) {
            rid_ = new_record_id();
            write_new_record(0);
        } else {
            update_record();
            write_identifiers();
        }
        log_dropped(0);
        log_.flush(spi_);
        result_.record_id = rid_;
        return result_;
    }

    // 5. customers touching the (non-blocked) values, locked
    void lock_customers() {
        for (const auto& p : diff_.final_ids) {
            const int64_t v = g_.values.lookup(g_.rules.find(p.first), p.second);
            if (v < 0 || !g_.values.blocked(static_cast<uint32_t>(v))) link_ids_.push_back(p);
        }
        L::lock_customers([&] { return read_holders(spi_, link_ids_, rid_, holders_, own_); });
    }

    // 6. write; split when identifiers were removed
    void write_record_and_split() {
        if (rid_ == 0) {
            rid_ = new_record_id();
            return;
        }
        update_record();
        write_identifiers();
        if (!diff_.removed.empty() && own_ != 0) {
            recompute_customer(spi_, g_, own_, log_,
                               "identifiers removed from record " + std::to_string(rid_));
            read_holders(spi_, link_ids_, rid_, holders_, own_);
        }
    }

    // 7. one Engine step over the touched customers.  Returns the record's node.
    int32_t engine_step(cdp::identity::Engine& e, std::vector<cdp::identity::LinkEvent>& events) {
        for (const auto& h : holders_)
            if (h.customer != 0) custs_.insert(h.customer);
        if (own_ != 0) custs_.insert(own_);
        if (!custs_.empty()) load_clusters(e);
        for (const auto& h : holders_) {
            uint32_t v = g_.values.intern(type_or_error(g_, h.type), h.value);
            auto it = node_of_.find(h.customer);
            if (h.customer == 0 || it == node_of_.end())
                e.add_unlinked_holders(v, h.count);
            else
                e.add_holders(v, it->second, h.count);
        }
        std::vector<uint32_t> vals;
        for (const auto& [t, v] : diff_.final_ids) vals.push_back(g_.values.intern(g_.rules.find(t), v));
        int32_t start = -1;
        if (own_ != 0 && node_of_.count(own_)) start = node_of_[own_];
        return e.process_record(rid_, vals, start, &events);
    }

    // The touched customers as Engine clusters, with their values of the
    // types that have a max_per_customer.
    void load_clusters(cdp::identity::Engine& e) {
        std::vector<int64> cust_list(custs_.begin(), custs_.end());
        spi_.exec_prepared(
            R"sql(
            SELECT customer_id, count(*)::int8, min(record_id) FROM cdp.records
             WHERE customer_id = ANY($1) GROUP BY 1)sql",
            {{INT8ARRAYOID, int64_array_datum(cust_list)}});
        for (uint64 i = 0; i < spi_.rows(); ++i) {
            int64 c = *spi_.get_int64(i, 0);
            node_of_[c] = e.add_cluster(c, *spi_.get_int64(i, 2), *spi_.get_int64(i, 1));
        }
        if (g_.limited_types.empty()) return;
        std::vector<std::optional<std::string>> lt(g_.limited_types.begin(), g_.limited_types.end());
        spi_.exec_prepared(
            R"sql(
            SELECT DISTINCT r.customer_id, i.id_type, i.id_value
              FROM cdp.records r JOIN cdp.identifiers i ON i.record_id = r.record_id
             WHERE r.customer_id = ANY($1) AND i.id_type = ANY($2))sql",
            {{INT8ARRAYOID, int64_array_datum(cust_list)}, {TEXTARRAYOID, text_array_datum(lt)}});
        for (uint64 i = 0; i < spi_.rows(); ++i) {
            auto it = node_of_.find(*spi_.get_int64(i, 0));
            if (it == node_of_.end()) continue;
            int t = type_or_error(g_, *spi_.get_text(i, 1));
            e.add_cluster_value(it->second, g_.values.intern(t, *spi_.get_text(i, 2)));
        }
    }

    // 8. apply: the record's customer (new if needed), merged customers move
    // to the survivor (records, aliases), merge_log.
    void apply_merges(cdp::identity::Engine& e, int32_t fin,
                      const std::vector<cdp::identity::LinkEvent>& events) {
        int64 customer = e.ext(fin);
        if (customer == 0) {
            customer = next_customer_id(spi_);
            spi_.exec_prepared(R"sql(INSERT INTO cdp.customers (customer_id) VALUES ($1))sql",
                               {{INT8OID, Int64GetDatum(customer)}});
        }
        std::vector<int64> moved_old, moved_new;
        for (const auto& [c, n] : node_of_) {
            int64 now = e.ext(n);
            if (now != c) {
                moved_old.push_back(c);
                moved_new.push_back(now);
            }
        }
        if (result_.created) write_new_record(customer);
        if (!moved_old.empty()) move_customers(moved_old, moved_new);
        if (!result_.created)
            spi_.exec_prepared(
                R"sql(
                UPDATE cdp.records SET customer_id = $2
                 WHERE record_id = $1 AND customer_id IS DISTINCT FROM $2)sql",
                {{INT8OID, Int64GetDatum(rid_)}, {INT8OID, Int64GetDatum(customer)}});
        if (!custs_.empty())
            spi_.exec_prepared(R"sql(UPDATE cdp.customers SET updated_at = now() WHERE customer_id = $1)sql",
                               {{INT8OID, Int64GetDatum(customer)}});
        log_.add_events(g_, events, customer);
        log_dropped(customer);
        log_.flush(spi_);
        result_.record_id = rid_;
        result_.customer_id = customer;
    }

    void move_customers(const std::vector<int64>& moved_old, const std::vector<int64>& moved_new) {
        std::vector<SpiArg> args{{INT8ARRAYOID, int64_array_datum(moved_old)},
                                 {INT8ARRAYOID, int64_array_datum(moved_new)}};
        spi_.exec_prepared(
            R"sql(
            UPDATE cdp.records r SET customer_id = m.n
              FROM unnest($1::int8[], $2::int8[]) AS m(o, n) WHERE r.customer_id = m.o)sql",
            args);
        spi_.exec_prepared(
            R"sql(
            UPDATE cdp.customer_aliases a SET customer_id = m.n
              FROM unnest($1::int8[], $2::int8[]) AS m(o, n) WHERE a.customer_id = m.o)sql",
            args);
        spi_.exec_prepared(
            R"sql(
            INSERT INTO cdp.customer_aliases (old_id, customer_id)
            SELECT o, n FROM unnest($1::int8[], $2::int8[]) AS m(o, n)
            ON CONFLICT (old_id) DO UPDATE SET customer_id = excluded.customer_id, at = now())sql",
            args);
        spi_.exec_prepared(R"sql(DELETE FROM cdp.customers WHERE customer_id = ANY($1))sql", {args[0]});
    }

    std::string_view source_, key_;
    Datum traits_;  // jsonb, 0: none
    UpsertOptions options_;
    const bool defer_;
    UpsertResult result_;
    Spi spi_;
    Graph g_;
    LogRows log_;
    std::vector<Identifier> ids_,
        dropped_;  // normalised (sorted, unique); raw values that normalise to nothing
    int64 rid_ = 0;
    cdp::identity::IdentifierDiff diff_;
    std::vector<Identifier> link_ids_;  // final identifiers that are not blocked
    std::vector<HolderRow> holders_;
    int64 own_ = 0;  // the record's customer (0: none)
    std::set<int64> custs_;
    std::map<int64, int32_t> node_of_;
};

}  // namespace

UpsertResult upsert_record_jsonb(std::string_view source, std::string_view key,
                                 const std::vector<std::pair<std::string, std::string>>& raw_identifiers,
                                 Datum traits_jsonb, const UpsertOptions& options) {
    return Upsert(source, key, traits_jsonb, options).run(raw_identifiers);
}

UpsertResult upsert_record(std::string_view source, std::string_view key,
                           const std::vector<std::pair<std::string, std::string>>& raw_identifiers,
                           const char* traits_json_or_null, const UpsertOptions& options) {
    const Datum traits = traits_json_or_null == nullptr ? Datum(0) : jsonb_datum(traits_json_or_null);
    return upsert_record_jsonb(source, key, raw_identifiers, traits, options);
}

int64 upsert(std::string_view source, std::string_view key,
             const std::vector<std::pair<std::string, std::string>>& raw_identifiers,
             const char* traits_json_or_null) {
    return upsert_record(source, key, raw_identifiers, traits_json_or_null).customer_id;
}

}  // namespace cdp::pg::identity
