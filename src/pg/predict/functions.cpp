// SQL-callable functions of predictions (DESIGN.md section 9): thin glue
// around src/core/predict.  Every model reads cdp.events in one streamed
// statement (a cursor, no per-row SPI), builds in C++ containers and polls
// for cancel; results go back with one statement per batch (arrays).
#include "pg/common/pg.h"

extern "C" {
#include "catalog/pg_type.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/common/error.h"
#include "core/common/interrupt.h"
#include "core/predict/items.h"
#include "core/predict/propensity.h"
#include "core/predict/sendtime.h"
#include "core/predict/spec.h"
#include "core/profile/computed.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/common/spi.h"

namespace cp = cdp::predict;
using cdp::pg::Spi;
using cdp::pg::SpiArg;

namespace {

constexpr double kHalfLifeDays = 90.0;
constexpr double kViewWeight = 0.3;

double to_double(const std::optional<std::string>& s) { return s ? std::strtod(s->c_str(), nullptr) : 0.0; }

Datum f8_array(const std::vector<double>& v) {
    std::vector<Datum> d(v.size());
    for (size_t i = 0; i < v.size(); ++i) d[i] = Float8GetDatum(v[i]);
    return cdp::pg::array_datum(FLOAT8OID, d);
}
Datum text_array(const std::vector<std::string>& v) {
    std::vector<std::optional<std::string>> o(v.begin(), v.end());
    return cdp::pg::text_array_datum(o);
}
Datum text_array_opt(const std::vector<std::optional<std::string>>& v) {
    return cdp::pg::text_array_datum(v);
}

std::string clock_text(Spi& spi) {
    spi.exec_prepared("SELECT cdp._clock()::text", {});
    return *spi.get_text(0, 0);
}

const char* channel_or_error(const std::string& ch) {
    static const char* known[] = {"email", "push", "sms", "any"};
    for (const char* k : known)
        if (ch == k) return k;
    throw cdp::Error("unknown channel \"" + ch.substr(0, 100) + "\"", cdp::sqlstate::kInvalidParameterValue,
                     {}, "Channels: email, push, sms, any.");
}

// ------------------------------------------------------------ send time
// All channels in one pass: counts per customer and event name, then per channel.
void refresh_send_times() {
    static const char* kChannels[] = {"email", "push", "sms", "any"};
    constexpr int kN = 4;
    Spi spi;
    spi.exec("DELETE FROM cdp.send_time_models", {});
    std::vector<std::unordered_map<int64, size_t>> idx(kN);
    std::vector<std::vector<cp::SparseHist>> customers(kN);
    std::vector<cp::Hist> pooled(kN, cp::Hist{});
    std::vector<double> events(kN, 0.0);
    std::unordered_map<std::string, std::vector<int>> channels_of;  // event name -> channels
    spi.exec("SELECT c, unnest(cdp._channel_events(c)) FROM unnest(ARRAY['email', 'push', 'sms', 'any']) c",
             {});
    for (uint64 i = 0; i < spi.rows(); ++i) {
        const std::string c = *spi.get_text(i, 0);
        for (int k = 0; k < kN; ++k)
            if (c == kChannels[k]) channels_of[*spi.get_text(i, 1)].push_back(k);
    }
    std::vector<std::string> all;
    all.reserve(channels_of.size());
    for (const auto& [e, _] : channels_of) all.push_back(e);
    spi.stream("SELECT customer_id, event, how, events::bigint FROM cdp._send_time_counts($1, NULL)",
               {{TEXTARRAYOID, text_array(all)}}, 10000, [&] {
                   for (uint64 i = 0; i < spi.rows(); ++i) {
                       const int64 c = *spi.get_int64(i, 0);
                       auto ch = channels_of.find(spi.get_text(i, 1).value_or(""));
                       const int how = int(*spi.get_int64(i, 2));
                       const double n = double(*spi.get_int64(i, 3));
                       if (ch == channels_of.end() || how < 0 || how >= cp::kHoursOfWeek) continue;
                       for (int k : ch->second) {
                           auto it = idx[k].emplace(c, customers[k].size());
                           if (it.second) customers[k].emplace_back();
                           auto& h = customers[k][it.first->second];
                           bool merged = false;
                           for (auto& e : h)
                               if (e.first == how) {
                                   e.second += n;
                                   merged = true;
                               }
                           if (!merged) h.push_back({how, n});
                           pooled[k][how] += n;
                           events[k] += n;
                       }
                   }
                   cdp::interrupt::poll();
               });
    for (int k = 0; k < kN; ++k) {
        const cp::Hist p = cp::population_distribution(pooled[k]);
        const double a = cp::estimate_prior_strength(customers[k], p);
        std::vector<double> pv(p.begin(), p.end());
        spi.exec(
            "INSERT INTO cdp.send_time_models (channel, prior_strength, customers, events, distribution) "
            "VALUES ($1, $2, $3, $4, $5)",
            {{TEXTOID, cdp::pg::text_datum(kChannels[k])},
             {FLOAT8OID, Float8GetDatum(a)},
             {INT8OID, Int64GetDatum(int64(customers[k].size()))},
             {FLOAT8OID, Float8GetDatum(events[k])},
             {FLOAT8ARRAYOID, f8_array(pv)}});
    }
}

std::string best_send_time(int64 customer, const std::string& channel_in) {
    const char* ch = channel_or_error(channel_in);
    Spi spi;
    spi.exec_prepared(
        "SELECT c.customer_id FROM cdp.customers c WHERE c.customer_id = cdp._current_customer($1)",
        {{INT8OID, Int64GetDatum(customer)}});
    if (spi.rows() == 0 || spi.is_null(0, 0))
        throw cdp::Error("customer " + std::to_string(customer) + " does not exist",
                         cdp::sqlstate::kUndefinedObject);
    customer = *spi.get_int64(0, 0);
    cp::Hist p{};
    double a = cp::kDefaultPriorStrength;
    spi.exec_prepared(
        "SELECT prior_strength, distribution::text FROM cdp.send_time_models WHERE channel = $1",
        {{TEXTOID, cdp::pg::text_datum(ch)}});
    if (spi.rows() > 0) {
        a = to_double(spi.get_text(0, 0));
        std::string arr = *spi.get_text(0, 1);
        const char* s = arr.c_str();
        for (int h = 0; h < cp::kHoursOfWeek && *s; ++h) {
            while (*s == '{' || *s == ',') ++s;
            char* end = nullptr;
            p[h] = std::strtod(s, &end);
            s = end;
        }
    } else {
        // No stored model: the live population (slow on big data; CALL cdp.refresh_send_times()).
        cp::Hist pooled{};
        spi.exec("SELECT how, events::bigint FROM cdp._send_time_counts(cdp._channel_events($1), NULL)",
                 {{TEXTOID, cdp::pg::text_datum(ch)}});
        for (uint64 i = 0; i < spi.rows(); ++i) {
            int how = int(*spi.get_int64(i, 0));
            if (how >= 0 && how < cp::kHoursOfWeek) pooled[how] += double(*spi.get_int64(i, 1));
        }
        p = cp::population_distribution(pooled);
    }
    cp::SparseHist counts;
    std::string tz;
    // The customer's counts (same rules as cdp._send_time_counts, one cached plan).
    spi.exec_prepared(R"SQL(
        WITH ev AS (
            SELECT e.occurred_at, e.context ->> 'timezone' AS tz
              FROM cdp.records r JOIN cdp.events e ON e.record_id = r.record_id
             WHERE r.customer_id = $2 AND e.event = ANY (cdp._channel_events($1)) AND e.occurred_at <= cdp._clock()
               AND NOT (e.event = 'Order Completed' AND coalesce(cdp._order_value(e.properties), 0) < 0)
        ), z AS (
            SELECT coalesce((SELECT ev.tz FROM ev WHERE ev.tz IS NOT NULL AND cdp._tz_ok(ev.tz)
                              ORDER BY ev.occurred_at DESC LIMIT 1),
                            (SELECT p.traits ->> 'timezone' FROM cdp.profiles p
                              WHERE p.customer_id = $2 AND cdp._tz_ok(p.traits ->> 'timezone')),
                            current_setting('TimeZone')) AS tz
        )
        SELECT (extract(dow FROM ev.occurred_at AT TIME ZONE z.tz) * 24
                + extract(hour FROM ev.occurred_at AT TIME ZONE z.tz))::int, count(*)::bigint, z.tz
          FROM ev, z GROUP BY 1, 3)SQL",
                      {{TEXTOID, cdp::pg::text_datum(ch)}, {INT8OID, Int64GetDatum(customer)}});
    for (uint64 i = 0; i < spi.rows(); ++i) {
        counts.push_back({int(*spi.get_int64(i, 0)), double(*spi.get_int64(i, 1))});
        tz = spi.get_text(i, 2).value_or("");
    }
    if (tz.empty()) {
        spi.exec_prepared(
            "SELECT coalesce(CASE WHEN cdp._tz_ok(p.traits ->> 'timezone') THEN p.traits ->> 'timezone' END, "
            "current_setting('TimeZone')) FROM (SELECT 1) x LEFT JOIN cdp.profiles p ON p.customer_id = $1",
            {{INT8OID, Int64GetDatum(customer)}});
        tz = spi.get_text(0, 0).value_or("UTC");
    }
    cp::SendTime st = cp::best_send_time(counts, p, a);
    return cp::send_time_to_json(st, tz, a, ch);
}

// ------------------------------------------------------------ recommendations
struct Agg {
    double purchases = 0, views = 0, recency = 0;
    int64 last_event = 0;  // an order's lines of one product count once
};

void refresh_recommendations() {
    Spi spi;
    std::unordered_map<int64, uint32_t> cust_idx;
    std::vector<int64> cust_ids;
    std::unordered_map<std::string, uint32_t> item_idx;
    std::vector<std::string> items;
    std::vector<std::optional<std::string>> category;
    std::vector<std::unordered_map<uint32_t, Agg>> per;
    const std::string now = clock_text(spi);
    spi.stream(R"SQL(
        SELECT r.customer_id,
               CASE e.event WHEN 'Product Viewed' THEN 1 WHEN 'Order Refunded' THEN 2 ELSE 0 END,
               coalesce(p ->> 'product_id', p ->> 'sku'),
               coalesce(round(CASE WHEN jsonb_typeof(p -> 'quantity') = 'number' THEN (p ->> 'quantity')::numeric END)::bigint, 1),
               greatest(floor(extract(epoch FROM ($1::timestamptz - e.occurred_at))), 0)::bigint,
               p ->> 'category', e.event_id
          FROM cdp.events e
          JOIN cdp.records r ON r.record_id = e.record_id
          CROSS JOIN LATERAL jsonb_array_elements(
               CASE WHEN e.event = 'Product Viewed' THEN jsonb_build_array(e.properties)
                    WHEN jsonb_typeof(e.properties -> 'products') = 'array' THEN e.properties -> 'products'
                    ELSE '[]'::jsonb END) p
         WHERE e.event IN ('Order Completed', 'Order Refunded', 'Product Viewed')
           AND r.customer_id IS NOT NULL AND e.occurred_at <= $1::timestamptz
           AND jsonb_typeof(p) = 'object'
    )SQL",
               {{TEXTOID, cdp::pg::text_datum(now)}}, 20000, [&] {
                   cdp::interrupt::Ticker tick(4096);
                   for (uint64 i = 0; i < spi.rows(); ++i) {
                       auto prod = spi.get_text(i, 2);
                       if (!prod || prod->empty() || prod->size() > 1024) continue;
                       const int64 c = *spi.get_int64(i, 0);
                       const int kind = int(*spi.get_int64(i, 1));
                       const int64 qty = spi.get_int64(i, 3).value_or(1);
                       const double age_days = double(spi.get_int64(i, 4).value_or(0)) / 86400.0;
                       auto ci = cust_idx.emplace(c, uint32_t(cust_ids.size()));
                       if (ci.second) {
                           cust_ids.push_back(c);
                           per.emplace_back();
                       }
                       auto ii = item_idx.emplace(*prod, uint32_t(items.size()));
                       if (ii.second) {
                           items.push_back(*prod);
                           category.emplace_back();
                       }
                       auto cat = spi.get_text(i, 5);
                       if (cat) category[ii.first->second] = cat;
                       Agg& g = per[ci.first->second][ii.first->second];
                       const int64 ev = *spi.get_int64(i, 6);
                       if (ev == g.last_event) continue;
                       g.last_event = ev;
                       const double decay = std::pow(0.5, age_days / kHalfLifeDays);
                       if (kind == 1) {
                           g.views += 1;
                       } else if (kind == 2 || qty < 0) {
                           g.purchases -= 1;
                           g.recency -= decay;
                       } else if (qty > 0) {
                           g.purchases += 1;
                           g.recency += decay;
                       }
                       tick.tick();
                   }
               });
    // Model input.
    std::vector<std::vector<cp::Interest>> interest(per.size());
    std::vector<double> buyers(items.size(), 0.0), viewers(items.size(), 0.0);
    for (size_t u = 0; u < per.size(); ++u) {
        for (auto& [it, g] : per[u]) {
            if (g.purchases <= 0) {
                g.purchases = 0;
                g.recency = 0;
            }
            g.recency = std::max(0.0, g.recency);
            if (g.purchases > 0) {
                interest[u].push_back({it, 1.0});
                buyers[it] += 1;
            } else if (g.views > 0) {
                interest[u].push_back({it, kViewWeight});
            }
            if (g.views > 0) viewers[it] += 1;
        }
        std::sort(interest[u].begin(), interest[u].end(),
                  [](const cp::Interest& a, const cp::Interest& b) { return a.item < b.item; });
    }
    cp::ItemModel model = cp::build_item_model(interest, items.size(), cp::ItemModelOptions{});

    spi.exec("DELETE FROM cdp.customer_items", {});
    spi.exec("DELETE FROM cdp.product_stats", {});
    spi.exec("DELETE FROM cdp.product_neighbors", {});
    constexpr size_t kBatch = 20000;
    {
        std::vector<int64> c;
        std::vector<std::string> pr;
        std::vector<double> pu, vi, re;
        auto flush = [&] {
            if (c.empty()) return;
            spi.exec(
                "INSERT INTO cdp.customer_items (customer_id, product_id, purchases, views, recency) "
                "SELECT * FROM unnest($1::bigint[], $2::text[], $3::float8[], $4::float8[], $5::float8[])",
                {{INT8ARRAYOID, cdp::pg::int64_array_datum(c)},
                 {TEXTARRAYOID, text_array(pr)},
                 {FLOAT8ARRAYOID, f8_array(pu)},
                 {FLOAT8ARRAYOID, f8_array(vi)},
                 {FLOAT8ARRAYOID, f8_array(re)}});
            c.clear();
            pr.clear();
            pu.clear();
            vi.clear();
            re.clear();
            cdp::interrupt::poll();
        };
        for (size_t u = 0; u < per.size(); ++u)
            for (const auto& [it, g] : per[u]) {
                if (g.purchases <= 0 && g.views <= 0) continue;
                c.push_back(cust_ids[u]);
                pr.push_back(items[it]);
                pu.push_back(g.purchases);
                vi.push_back(g.views);
                re.push_back(g.recency);
                if (c.size() >= kBatch) flush();
            }
        flush();
    }
    {
        std::vector<std::string> pr;
        std::vector<std::optional<std::string>> cat;
        std::vector<double> b, v;
        auto flush = [&] {
            if (pr.empty()) return;
            spi.exec(
                "INSERT INTO cdp.product_stats (product_id, category, buyers, viewers) "
                "SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[])",
                {{TEXTARRAYOID, text_array(pr)},
                 {TEXTARRAYOID, text_array_opt(cat)},
                 {FLOAT8ARRAYOID, f8_array(b)},
                 {FLOAT8ARRAYOID, f8_array(v)}});
            pr.clear();
            cat.clear();
            b.clear();
            v.clear();
        };
        for (size_t i = 0; i < items.size(); ++i) {
            pr.push_back(items[i]);
            cat.push_back(category[i]);
            b.push_back(buyers[i]);
            v.push_back(viewers[i]);
            if (pr.size() >= kBatch) flush();
        }
        flush();
    }
    {
        std::vector<std::string> a, n;
        std::vector<double> s, co;
        auto flush = [&] {
            if (a.empty()) return;
            spi.exec(
                "INSERT INTO cdp.product_neighbors (product_id, neighbor_id, score, co_count) "
                "SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[])",
                {{TEXTARRAYOID, text_array(a)},
                 {TEXTARRAYOID, text_array(n)},
                 {FLOAT8ARRAYOID, f8_array(s)},
                 {FLOAT8ARRAYOID, f8_array(co)}});
            a.clear();
            n.clear();
            s.clear();
            co.clear();
            cdp::interrupt::poll();
        };
        for (size_t i = 0; i < items.size(); ++i)
            for (const auto& nb : model.neighbors[i]) {
                a.push_back(items[i]);
                n.push_back(items[nb.item]);
                s.push_back(nb.score);
                co.push_back(nb.co);
                if (a.size() >= kBatch) flush();
            }
        flush();
    }
}

std::string recommend(int64 customer, int k, bool include_bought,
                      const std::optional<std::string>& category) {
    if (k < 0 || k > 1000)
        throw cdp::Error("k must be between 0 and 1000 (got " + std::to_string(k) + ")",
                         cdp::sqlstate::kInvalidParameterValue);
    Spi spi;
    spi.exec_prepared("SELECT cdp._current_customer($1)", {{INT8OID, Int64GetDatum(customer)}});
    if (spi.rows() > 0 && !spi.is_null(0, 0)) customer = *spi.get_int64(0, 0);
    std::vector<cp::HistoryItem> hist;
    spi.exec_prepared(
        "SELECT c.product_id, c.purchases::text, c.views::text, c.recency::text, coalesce(s.buyers, 0)::text "
        "FROM cdp.customer_items c LEFT JOIN cdp.product_stats s ON s.product_id = c.product_id WHERE "
        "c.customer_id = $1",
        {{INT8OID, Int64GetDatum(customer)}});
    for (uint64 i = 0; i < spi.rows(); ++i)
        hist.push_back({*spi.get_text(i, 0), to_double(spi.get_text(i, 1)), to_double(spi.get_text(i, 2)),
                        to_double(spi.get_text(i, 3)), to_double(spi.get_text(i, 4))});
    const Datum cat = category ? cdp::pg::text_datum(*category) : Datum(0);
    std::vector<cp::NeighborRow> nb;
    if (!hist.empty()) {
        spi.exec_prepared(
            "SELECT n.product_id, n.neighbor_id, n.score::text, s.buyers::text FROM cdp.customer_items c "
            "CROSS JOIN LATERAL (SELECT * FROM cdp.product_neighbors n WHERE n.product_id = c.product_id "
            "LIMIT 1000) n JOIN cdp.product_stats s ON s.product_id = n.neighbor_id WHERE c.customer_id = $1 "
            "AND ($2::text IS NULL OR s.category = $2)",
            {{INT8OID, Int64GetDatum(customer)}, {TEXTOID, cat, !category}});
        for (uint64 i = 0; i < spi.rows(); ++i)
            nb.push_back({*spi.get_text(i, 0), *spi.get_text(i, 1), to_double(spi.get_text(i, 2)),
                          to_double(spi.get_text(i, 3))});
    }
    if (category) {  // own items outside the category cannot come back as repeats
        std::vector<cp::HistoryItem> kept;
        spi.exec_prepared("SELECT product_id FROM cdp.product_stats WHERE category = $1", {{TEXTOID, cat}});
        std::unordered_map<std::string, bool> in;
        for (uint64 i = 0; i < spi.rows(); ++i) in[*spi.get_text(i, 0)] = true;
        for (auto& h : hist)
            if (!in.count(h.product)) h.purchases = h.recency = h.popularity = 0;
    }
    std::vector<cp::PopularRow> pop;
    spi.exec_prepared(
        "SELECT s.product_id, s.buyers::text FROM cdp.product_stats s WHERE ($2::text IS NULL OR s.category "
        "= $2) "
        "AND s.buyers > 0 ORDER BY s.buyers DESC, s.product_id LIMIT $1",
        {{INT8OID, Int64GetDatum(int64(k) + int64(hist.size()))}, {TEXTOID, cat, !category}});
    for (uint64 i = 0; i < spi.rows(); ++i)
        pop.push_back({*spi.get_text(i, 0), to_double(spi.get_text(i, 1))});
    auto recs = cp::recommend(hist, nb, pop, size_t(k), include_bought, kViewWeight);
    return cp::recommendations_to_json(recs);
}

}  // namespace

namespace {

// ------------------------------------------------------------ propensity
struct Loaded {
    std::vector<cp::CustomerEvents> custs;
    std::vector<std::string> types;
    std::unordered_map<std::string, uint32_t> type_idx;
    std::vector<double> type_count;
    bool frozen = false;  // types fixed by a stored model: unknown names are ignored
};

constexpr uint32_t kIgnored = UINT32_MAX - 1;

void load_events(Spi& spi, const std::string& now, const int64* customer, Loaded& L) {
    std::string sql = R"SQL(
        SELECT r.customer_id,
               CASE WHEN e.event = 'Order Completed' AND coalesce(cdp._order_value(e.properties), 0) < 0
                    THEN 'Order Refunded' ELSE e.event END,
               floor(extract(epoch FROM e.occurred_at))::bigint,
               CASE WHEN e.event = 'Order Completed' THEN round(coalesce(cdp._order_value(e.properties), 0) * 100)::bigint ELSE 0 END,
               CASE WHEN jsonb_typeof(e.properties -> 'products') = 'array' THEN jsonb_array_length(e.properties -> 'products') ELSE 0 END
          FROM cdp.events e JOIN cdp.records r ON r.record_id = e.record_id
         WHERE r.customer_id IS NOT NULL AND e.event IS NOT NULL AND e.occurred_at < $1::timestamptz)SQL";
    std::vector<SpiArg> args = {{TEXTOID, cdp::pg::text_datum(now)}};
    if (customer) {
        sql += " AND r.customer_id = $2";
        args.push_back({INT8OID, Int64GetDatum(*customer)});
    }
    sql += " ORDER BY r.customer_id, e.occurred_at";
    spi.stream(sql.c_str(), args, 20000, [&] {
        cdp::interrupt::Ticker tick(4096);
        for (uint64 i = 0; i < spi.rows(); ++i) {
            const int64 c = *spi.get_int64(i, 0);
            auto name = spi.get_text_view(i, 1);
            uint32_t t = kIgnored;
            std::string key(name ? *name : std::string_view());
            auto it = L.type_idx.find(key);
            if (it != L.type_idx.end()) {
                t = it->second;
            } else if (!L.frozen) {
                t = uint32_t(L.types.size());
                L.type_idx.emplace(key, t);
                L.types.push_back(key);
                L.type_count.push_back(0);
            }
            if (t != kIgnored && t < L.type_count.size()) L.type_count[t] += 1;
            if (L.custs.empty() || L.custs.back().customer != c) {
                L.custs.emplace_back();
                L.custs.back().customer = c;
            }
            cp::Ev e;
            e.t = double(*spi.get_int64(i, 2));
            e.type = t;
            e.value = double(spi.get_int64(i, 3).value_or(0)) / 100.0;
            e.items = double(spi.get_int64(i, 4).value_or(0));
            L.custs.back().ev.push_back(e);
            tick.tick();
        }
    });
}

double epoch_of(Spi& spi, const std::string& ts) {
    spi.exec_prepared("SELECT floor(extract(epoch FROM $1::timestamptz))::bigint",
                      {{TEXTOID, cdp::pg::text_datum(ts)}});
    return double(*spi.get_int64(0, 0));
}
std::string ts_of(Spi& spi, double epoch) {
    spi.exec_prepared("SELECT to_char(to_timestamp($1) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                      {{FLOAT8OID, Float8GetDatum(epoch)}});
    return *spi.get_text(0, 0);
}

// Current values of the spec's computed traits, per customer (NaN: missing / not a number).
std::unordered_map<int64, std::vector<double>> load_traits(Spi& spi, const std::vector<std::string>& traits,
                                                           const int64* customer) {
    std::unordered_map<int64, std::vector<double>> out;
    if (traits.empty()) return out;
    for (const auto& t : traits) {
        spi.exec_prepared("SELECT 1 FROM cdp.computed_traits WHERE name = $1",
                          {{TEXTOID, cdp::pg::text_datum(t)}});
        if (spi.rows() == 0)
            throw cdp::Error(
                "computed trait \"" + t + "\" does not exist", cdp::sqlstate::kUndefinedObject, {},
                "Create it with cdp.create_computed_trait, or remove it from the spec's traits.");
    }
    std::vector<std::string> names(traits);
    std::string sql =
        "SELECT p.customer_id, t.i, CASE WHEN jsonb_typeof(p.computed -> t.n) = 'number' THEN "
        "round(((p.computed ->> t.n)::numeric) * 1000000)::bigint END FROM cdp.profiles p, "
        "unnest($1::text[]) WITH ORDINALITY t(n, i)";
    std::vector<SpiArg> args = {{TEXTARRAYOID, text_array(names)}};
    if (customer) {
        sql += " WHERE p.customer_id = $2";
        args.push_back({INT8OID, Int64GetDatum(*customer)});
    }
    spi.stream(sql.c_str(), args, 20000, [&] {
        for (uint64 i = 0; i < spi.rows(); ++i) {
            auto& v = out[*spi.get_int64(i, 0)];
            if (v.empty()) v.assign(traits.size(), NAN);
            const int64 k = *spi.get_int64(i, 1) - 1;
            if (!spi.is_null(i, 2) && k >= 0 && size_t(k) < v.size())
                v[size_t(k)] = double(*spi.get_int64(i, 2)) / 1e6;
        }
        cdp::interrupt::poll();
    });
    return out;
}

struct Dataset {
    std::vector<double> X;
    std::vector<int> y;
    std::vector<double> recency, frequency;
    size_t d = 0;
};

Dataset build(const Loaded& L, const cp::FeatureSpec& fs, double cutoff, double horizon,
              const std::unordered_map<int64, std::vector<double>>& traits) {
    Dataset ds;
    std::vector<double> f;
    cdp::interrupt::Ticker tick(256);
    for (const auto& c : L.custs) {
        auto t = traits.find(c.customer);
        const double* tv = t == traits.end() ? nullptr : t->second.data();
        if (!cp::features_at(c, cutoff, fs, tv, f)) continue;
        ds.d = f.size();
        ds.X.insert(ds.X.end(), f.begin(), f.end());
        ds.y.push_back(cp::label_at(c, cutoff, horizon, fs.target_type) ? 1 : 0);
        ds.recency.push_back(-f[1]);
        ds.frequency.push_back(f[3]);
        tick.tick();
    }
    return ds;
}

std::string train_prediction(const std::string& name) {
    Spi spi;
    spi.exec("SELECT spec::text FROM cdp.predictions WHERE name = $1 FOR UPDATE",
             {{TEXTOID, cdp::pg::text_datum(name)}});
    if (spi.rows() == 0)
        throw cdp::Error("prediction \"" + name + "\" does not exist", cdp::sqlstate::kUndefinedObject, {},
                         "Create it with cdp.create_prediction(name, spec).");
    const cp::PredictionSpec spec = cp::parse_prediction_spec(*spi.get_text(0, 0));
    const std::string now_text = clock_text(spi);
    const double now = epoch_of(spi, now_text), h = spec.within;
    const double t1 = now - 2 * h, t2 = now - h;
    Loaded L;
    load_events(spi, now_text, nullptr, L);
    auto traits = load_traits(spi, spec.traits, nullptr);
    cp::StoredModel m;
    m.horizon = h;
    m.fs.types = L.types;
    m.fs.traits = spec.traits;
    auto tgt = L.type_idx.find(spec.target_event);
    if (tgt == L.type_idx.end())
        throw cdp::Error("unknown event \"" + spec.target_event + "\": no customer event has that name",
                         cdp::sqlstate::kInvalidParameterValue, {},
                         "Name an event present in cdp.events (event column), e.g. \"Order Completed\".");
    m.fs.target_type = tgt->second;
    auto ord = L.type_idx.find("Order Completed");
    if (ord != L.type_idx.end()) m.fs.order_type = ord->second;
    // Per-type counts: the 8 most frequent event names.
    std::vector<uint32_t> byfreq;
    for (uint32_t i = 0; i < L.types.size(); ++i)
        if (i != m.fs.order_type) byfreq.push_back(i);  // orders have their own features
    std::stable_sort(byfreq.begin(), byfreq.end(),
                     [&](uint32_t a, uint32_t b) { return L.type_count[a] > L.type_count[b]; });
    if (byfreq.size() > 8) byfreq.resize(8);
    std::sort(byfreq.begin(), byfreq.end());
    m.fs.count_types = byfreq;
    m.lr.names = cp::feature_names(m.fs);

    Dataset tr = build(L, m.fs, t1, h, traits);
    size_t pos = 0;
    for (int v : tr.y) pos += size_t(v);
    const size_t need = size_t(spec.min_positives);
    if (pos < need || tr.y.size() - pos < need)
        throw cdp::Error("too little data to train \"" + name + "\": " + std::to_string(tr.y.size()) +
                             " customers have events before " + ts_of(spi, t1) + ", " + std::to_string(pos) +
                             " of them did \"" + spec.target_event + "\" in the following horizon",
                         cdp::sqlstate::kObjectNotInPrerequisiteState,
                         "At least " + std::to_string(need) + " customers with and " + std::to_string(need) +
                             " without the target event are needed (spec min_positives).",
                         "Training uses features before now - 2 x within and labels in the next within; "
                         "load more history or shorten target.within.");
    // Candidates: the regularised logistic regression and gradient-boosted
    // trees, both fitted on the training horizon and judged on the
    // validation horizon; the better AUC is kept.
    cp::LogReg fit = cp::fit_logreg(tr.X, tr.d, tr.y, spec.l2);
    fit.names = m.lr.names;
    cp::Gbt boosted = cp::fit_gbt(tr.X, tr.d, tr.y);
    cp::TrainReport rep;
    rep.train_rows = tr.y.size();
    rep.train_positives = pos;
    rep.train_cutoff = ts_of(spi, t1);
    rep.valid_cutoff = ts_of(spi, t2);
    Dataset va = build(L, m.fs, t2, h, traits);
    std::vector<double> pv(va.y.size()), pg(va.y.size());
    for (size_t i = 0; i < va.y.size(); ++i) {
        pv[i] = cp::predict_proba(fit, va.X.data() + i * va.d);
        pg[i] = cp::gbt_proba(boosted, va.X.data() + i * va.d);
    }
    rep.valid_rows = va.y.size();
    for (int v : va.y) rep.valid_positives += size_t(v);
    rep.auc_logistic = cp::auc(pv, va.y);
    rep.auc_boosted = cp::auc(pg, va.y);
    m.boosted = rep.auc_boosted > rep.auc_logistic;
    const std::vector<double>& pbest = m.boosted ? pg : pv;
    rep.auc = cp::auc(pbest, va.y);
    rep.log_loss = cp::log_loss(pbest, va.y);
    rep.base_rate = va.y.empty() ? 0 : double(rep.valid_positives) / double(va.y.size());
    rep.calibration = cp::calibration(pbest, va.y, 10);
    rep.auc_recency = cp::auc(va.recency, va.y);
    rep.auc_frequency = cp::auc(va.frequency, va.y);
    // Final model: the chosen kind refitted on the latest complete horizon (features at now - within).
    size_t vpos = rep.valid_positives;
    const bool refit = vpos >= need && va.y.size() - vpos >= need;
    m.lr = refit ? cp::fit_logreg(va.X, va.d, va.y, spec.l2) : fit;
    m.lr.names = fit.names;
    if (m.boosted) m.gbt = refit ? cp::fit_gbt(va.X, va.d, va.y) : boosted;
    // Score every customer as of now.
    std::vector<int64> ids;
    std::vector<double> sc;
    std::vector<double> f;
    const std::string key = "predicted_" + name;
    auto flush = [&] {
        if (ids.empty()) return;
        spi.exec(
            "UPDATE cdp.profiles p SET computed = p.computed || jsonb_build_object($3::text, "
            "round(x.s::numeric, 6)::float8), "
            "updated_at = now() FROM unnest($1::bigint[], $2::float8[]) x(c, s) WHERE p.customer_id = x.c",
            {{INT8ARRAYOID, cdp::pg::int64_array_datum(ids)},
             {FLOAT8ARRAYOID, f8_array(sc)},
             {TEXTOID, cdp::pg::text_datum(key)}});
        rep.scored += ids.size();
        ids.clear();
        sc.clear();
        cdp::interrupt::poll();
    };
    for (const auto& c : L.custs) {
        auto t = traits.find(c.customer);
        if (!cp::features_at(c, now, m.fs, t == traits.end() ? nullptr : t->second.data(), f)) continue;
        ids.push_back(c.customer);
        sc.push_back(cp::model_proba(m, f.data()));
        if (ids.size() >= 20000) flush();
    }
    flush();
    const std::string model_json = cp::model_to_json(m);
    std::string report = cp::report_to_json(m, rep);
    spi.exec(
        "UPDATE cdp.predictions SET model = $2::jsonb, metrics = $3::jsonb, trained_at = now() WHERE name = "
        "$1",
        {{TEXTOID, cdp::pg::text_datum(name)},
         {TEXTOID, cdp::pg::text_datum(model_json)},
         {TEXTOID, cdp::pg::text_datum(report)}});
    return report;
}

// Model and features of one customer now.
void customer_features(const std::string& name, int64 customer, cp::StoredModel& m, std::vector<double>& f,
                       bool& has) {
    Spi spi;
    spi.exec_prepared("SELECT model::text FROM cdp.predictions WHERE name = $1",
                      {{TEXTOID, cdp::pg::text_datum(name)}});
    if (spi.rows() == 0)
        throw cdp::Error("prediction \"" + name + "\" does not exist", cdp::sqlstate::kUndefinedObject);
    if (spi.is_null(0, 0))
        throw cdp::Error("prediction \"" + name + "\" is not trained",
                         cdp::sqlstate::kObjectNotInPrerequisiteState, {},
                         "Run SELECT cdp.train_prediction('" + name + "').");
    m = cp::model_from_json(*spi.get_text(0, 0));
    spi.exec_prepared("SELECT cdp._current_customer($1)", {{INT8OID, Int64GetDatum(customer)}});
    if (spi.rows() > 0 && !spi.is_null(0, 0)) customer = *spi.get_int64(0, 0);
    const std::string now = clock_text(spi);
    Loaded L;
    L.types = m.fs.types;
    for (uint32_t i = 0; i < L.types.size(); ++i) L.type_idx.emplace(L.types[i], i);
    L.type_count.assign(L.types.size(), 0);
    L.frozen = true;
    load_events(spi, now, &customer, L);
    auto traits = load_traits(spi, m.fs.traits, &customer);
    has = false;
    if (!L.custs.empty()) {
        auto t = traits.find(customer);
        has = cp::features_at(L.custs[0], epoch_of(spi, now), m.fs,
                              t == traits.end() ? nullptr : t->second.data(), f);
    }
    if (!has) {  // no events: the model's prediction for an all-zero history
        f.assign(m.lr.names.size(), 0.0);
    }
}

// ------------------------------------------------------------ scores
int64 compute_score(Spi& spi, const std::string& name, const std::string& rules_json) {
    cp::ScoreSpec s = cp::compile_score(rules_json);
    const std::string key = "score_" + name;
    const std::string sql = "WITH s AS (" + s.sql +
                            ") UPDATE cdp.profiles p SET computed = p.computed || jsonb_build_object(" +
                            cdp::profile::sql_literal(key) +
                            ", round(coalesce(s.v, 0)::numeric, 6)::float8), updated_at = now() FROM "
                            "cdp.profiles q LEFT JOIN s ON s.customer_id = "
                            "q.customer_id WHERE p.customer_id = q.customer_id AND p.computed -> " +
                            cdp::profile::sql_literal(key) +
                            " IS DISTINCT FROM to_jsonb(round(coalesce(s.v, 0)::numeric, 6)::float8)";
    const std::string now = clock_text(spi);
    spi.exec(sql.c_str(), {{TEXTOID, cdp::pg::text_datum(now)}});
    spi.exec(("SELECT count(*) FROM (" + s.sql + ") z").c_str(), {{TEXTOID, cdp::pg::text_datum(now)}});
    return *spi.get_int64(0, 0);
}

}  // namespace

CDP_FUNCTION(cdp_tz_ok) {
    std::string tz(cdp::pg::text_arg(fcinfo, 0));
    if (tz.empty() || tz.size() > 100) PG_RETURN_BOOL(false);
    const char* s = tz.c_str();
    bool ok = false;
    cdp::pg::pg_call([&]() noexcept { ok = pg_tzset(s) != nullptr; });
    PG_RETURN_BOOL(ok);
}

CDP_FUNCTION(cdp_refresh_send_times) {
    refresh_send_times();
    PG_RETURN_VOID();
}

CDP_FUNCTION(cdp_best_send_time) {
    std::string j = best_send_time(PG_GETARG_INT64(0), std::string(cdp::pg::text_arg(fcinfo, 1)));
    return cdp::pg::jsonb_datum(j);
}

CDP_FUNCTION(cdp_refresh_recommendations) {
    refresh_recommendations();
    PG_RETURN_VOID();
}

// cdp._recommend(customer_id, k, include_bought, category): not strict
CDP_FUNCTION(cdp_recommend) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    const int k = PG_ARGISNULL(1) ? 10 : PG_GETARG_INT32(1);
    const bool inc = PG_ARGISNULL(2) ? false : PG_GETARG_BOOL(2);
    std::optional<std::string> cat;
    if (auto c = cdp::pg::opt_text_arg(fcinfo, 3)) cat = std::string(*c);
    return cdp::pg::jsonb_datum(recommend(PG_GETARG_INT64(0), k, inc, cat));
}

CDP_FUNCTION(cdp_create_prediction) {
    std::string name(cdp::pg::text_arg(fcinfo, 0));
    if (!cp::valid_prediction_name(name))
        throw cdp::Error("invalid prediction name \"" + name.substr(0, 100) + "\"",
                         cdp::sqlstate::kInvalidParameterValue, {},
                         "1-41 characters [a-z0-9_], starting with a letter.");
    std::string spec = cdp::pg::jsonb_arg_text(fcinfo, 1);
    cp::parse_prediction_spec(spec);
    Spi spi;
    spi.exec(
        "INSERT INTO cdp.predictions (name, spec) VALUES ($1, $2::jsonb) ON CONFLICT (name) DO UPDATE "
        "SET spec = EXCLUDED.spec, model = NULL, metrics = NULL, trained_at = NULL",
        {{TEXTOID, cdp::pg::text_datum(name)}, {TEXTOID, cdp::pg::text_datum(spec)}});
    PG_RETURN_VOID();
}

CDP_FUNCTION(cdp_train_prediction) {
    return cdp::pg::jsonb_datum(train_prediction(std::string(cdp::pg::text_arg(fcinfo, 0))));
}

CDP_FUNCTION(cdp_predict) {
    cp::StoredModel m;
    std::vector<double> f;
    bool has = false;
    customer_features(std::string(cdp::pg::text_arg(fcinfo, 0)), PG_GETARG_INT64(1), m, f, has);
    PG_RETURN_FLOAT8(cp::model_proba(m, f.data()));
}

CDP_FUNCTION(cdp_explain_prediction) {
    cp::StoredModel m;
    std::vector<double> f;
    bool has = false;
    customer_features(std::string(cdp::pg::text_arg(fcinfo, 0)), PG_GETARG_INT64(1), m, f, has);
    return cdp::pg::jsonb_datum(cp::explain_to_json(m, f, cp::model_proba(m, f.data())));
}

CDP_FUNCTION(cdp_create_score) {
    std::string name(cdp::pg::text_arg(fcinfo, 0));
    if (!cp::valid_prediction_name(name))
        throw cdp::Error("invalid score name \"" + name.substr(0, 100) + "\"",
                         cdp::sqlstate::kInvalidParameterValue, {},
                         "1-41 characters [a-z0-9_], starting with a letter.");
    std::string rules = cdp::pg::jsonb_arg_text(fcinfo, 1);
    cp::compile_score(rules);
    Spi spi;
    spi.exec(
        "INSERT INTO cdp.scores (name, rules) VALUES ($1, $2::jsonb) ON CONFLICT (name) DO UPDATE "
        "SET rules = EXCLUDED.rules",
        {{TEXTOID, cdp::pg::text_datum(name)}, {TEXTOID, cdp::pg::text_datum(rules)}});
    PG_RETURN_INT64(compute_score(spi, name, rules));
}

CDP_FUNCTION(cdp_refresh_scores) {
    Spi spi;
    spi.exec("SELECT name, rules::text FROM cdp.scores ORDER BY name", {});
    std::vector<std::pair<std::string, std::string>> all;
    for (uint64 i = 0; i < spi.rows(); ++i) all.push_back({*spi.get_text(i, 0), *spi.get_text(i, 1)});
    for (const auto& [n, r] : all) compute_score(spi, n, r);
    PG_RETURN_VOID();
}
