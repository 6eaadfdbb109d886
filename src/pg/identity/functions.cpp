// SQL-callable functions of the identity graph (docs/identity.md):
// upsert_record, customer_id, delete_record, block_identifier, explain_link.
// The batch resolver lives in identity_resolve.cpp.
#include "pg/common/pg.h"

extern "C" {
#include "catalog/pg_type.h"
}

#include <algorithm>
#include <map>
#include <set>

#include "core/identity/engine.h"
#include "core/identity/input.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/identity/gucs.h"
#include "pg/normalize/gucs.h"
#include "pg/identity/graph.h"
#include "pg/identity/locks.h"
#include "pg/identity/upsert.h"
#include "pg/common/spi.h"

namespace {

using cdp::identity::json_quote;
namespace ident = cdp::pg::identity;
namespace L = cdp::pg::identity::locks;

std::string first_char_kind(const std::string& json) {
    for (char c : json)
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') return std::string(1, c);
    return "";
}

// Locks the customer of record `rid` (re-reading it under the lock); 0 when
// the record is missing or unresolved.
int64 lock_record_customer(cdp::pg::Spi& spi, int64 rid) {
    std::vector<int64> got = L::lock_customers([&] {
        spi.exec_prepared(
            "SELECT customer_id FROM cdp.records WHERE record_id = $1 AND customer_id IS NOT NULL",
            {{INT8OID, Int64GetDatum(rid)}});
        std::vector<int64> out;
        if (spi.rows() > 0) out.push_back(*spi.get_int64(0, 0));
        return out;
    });
    return got.empty() ? 0 : got.front();
}

std::string ids_json(const std::vector<int64>& ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
    return s + "]";
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(cdp_delete_record);
PG_FUNCTION_INFO_V1(cdp_block_identifier);
PG_FUNCTION_INFO_V1(cdp_explain_link);
PG_FUNCTION_INFO_V1(cdp_upsert_record);
PG_FUNCTION_INFO_V1(cdp_customer_id);

// cdp.upsert_record(source text, source_key text, identifiers jsonb, traits jsonb DEFAULT '{}') -> bigint
Datum cdp_upsert_record(PG_FUNCTION_ARGS) {
    bool isnull = false;
    Datum d = cdp::pg::guarded([&]() -> Datum {
        std::string source(cdp::pg::text_arg(fcinfo, 0));
        std::string key(cdp::pg::text_arg(fcinfo, 1));
        auto raw = cdp::identity::parse_identifiers(cdp::pg::jsonb_arg_text(fcinfo, 2));
        std::string traits = cdp::pg::jsonb_arg_text(fcinfo, 3);
        if (first_char_kind(traits) != "{")
            throw cdp::Error("traits must be a JSON object", cdp::sqlstate::kInvalidParameterValue,
                             "traits: " + traits.substr(0, 200));
        auto r = ident::upsert_record(source, key, raw, traits.c_str());
        if (r.customer_id == 0) isnull = true;
        return Int64GetDatum(r.customer_id);
    });
    if (isnull) PG_RETURN_NULL();
    return d;
}

// cdp.customer_id(id_type text, id_value text) -> bigint
Datum cdp_customer_id(PG_FUNCTION_ARGS) {
    bool isnull = false;
    Datum d = cdp::pg::guarded([&]() -> Datum {
        std::string type(cdp::pg::text_arg(fcinfo, 0));
        std::string raw(cdp::pg::text_arg(fcinfo, 1));
        cdp::pg::Spi spi;
        ident::Graph g;
        ident::load_rules(spi, g, true);
        ident::type_or_error(g, type);
        auto v = ident::normalise(type, raw);
        if (!v) {
            isnull = true;
            return Datum(0);
        }
        // The customer of the oldest record holding the value (records hold
        // current ids; aliases resolve ids merged away before the read).
        spi.exec_prepared(
            "SELECT coalesce(a.customer_id, r.customer_id) FROM cdp.identifiers i "
            "JOIN cdp.records r ON r.record_id = i.record_id "
            "LEFT JOIN cdp.customer_aliases a ON a.old_id = r.customer_id "
            "WHERE i.id_type = $1 AND i.id_value = $2 AND r.customer_id IS NOT NULL "
            "ORDER BY r.record_id LIMIT 1",
            {{TEXTOID, cdp::pg::text_datum(type)}, {TEXTOID, cdp::pg::text_datum(*v)}}, true);
        if (spi.rows() == 0) {
            isnull = true;
            return Datum(0);
        }
        return Int64GetDatum(*spi.get_int64(0, 0));
    });
    if (isnull) PG_RETURN_NULL();
    return d;
}

// cdp.delete_record(source text, source_key text) -> jsonb
Datum cdp_delete_record(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&]() -> Datum {
        // SPI memory is released when `spi` goes: build the result after.
        std::string result = [&]() -> std::string {
            std::string source(cdp::pg::text_arg(fcinfo, 0));
            std::string key(cdp::pg::text_arg(fcinfo, 1));
            L::lock_graph(false);
            L::lock_keys({L::record_key(source, key)});
            cdp::pg::Spi spi;
            spi.exec_prepared("SELECT record_id FROM cdp.records WHERE source = $1 AND source_key = $2",
                              {{TEXTOID, cdp::pg::text_datum(source)}, {TEXTOID, cdp::pg::text_datum(key)}});
            if (spi.rows() == 0) return "{\"deleted\":false}";
            int64 rid = *spi.get_int64(0, 0);
            int64 c = lock_record_customer(spi, rid);
            spi.exec_prepared("DELETE FROM cdp.records WHERE record_id = $1",
                              {{INT8OID, Int64GetDatum(rid)}});
            std::vector<int64> parts;
            ident::LogRows log;
            if (c != 0) {
                ident::Graph g;
                ident::load_rules(spi, g);
                parts =
                    ident::recompute_customer(spi, g, c, log, "record " + std::to_string(rid) + " deleted");
                log.flush(spi);
            }
            std::string out = "{\"deleted\":true,\"record_id\":" + std::to_string(rid) +
                              ",\"customer_id\":" + (c ? std::to_string(c) : std::string("null")) +
                              ",\"customers\":" + ids_json(parts) +
                              ",\"split\":" + (parts.size() > 1 ? "true" : "false") + "}";
            return out;
        }();
        return cdp::pg::jsonb_datum(result);
    });
}

// cdp.block_identifier(id_type text, id_value text) -> jsonb
Datum cdp_block_identifier(PG_FUNCTION_ARGS) {
    return cdp::pg::guarded([&]() -> Datum {
        // SPI memory is released when `spi` goes: build the result after.
        std::string result = [&]() -> std::string {
            std::string type(cdp::pg::text_arg(fcinfo, 0));
            std::string raw(cdp::pg::text_arg(fcinfo, 1));
            auto v = ident::normalise(type, raw);
            L::lock_graph(false);
            cdp::pg::Spi spi;
            {
                ident::Graph g0;
                ident::load_rules(spi, g0);
                ident::type_or_error(g0, type);
            }
            if (!v)
                throw cdp::Error("value \"" + raw + "\" is not a usable " + type,
                                 cdp::sqlstate::kInvalidParameterValue);
            L::lock_keys({L::value_key(type, *v)});
            spi.exec_prepared(
                "UPDATE cdp.identifier_types SET blocked_values = array_append(blocked_values, $2) "
                "WHERE id_type = $1 AND NOT ($2 = ANY (blocked_values))",
                {{TEXTOID, cdp::pg::text_datum(type)}, {TEXTOID, cdp::pg::text_datum(*v)}});
            bool newly = spi.rows() > 0;
            auto read = [&] {
                spi.exec_prepared(
                    "SELECT DISTINCT r.customer_id FROM cdp.identifiers i JOIN cdp.records r ON r.record_id "
                    "= "
                    "i.record_id "
                    "WHERE i.id_type = $1 AND i.id_value = $2 AND r.customer_id IS NOT NULL",
                    {{TEXTOID, cdp::pg::text_datum(type)}, {TEXTOID, cdp::pg::text_datum(*v)}});
                std::vector<int64> out;
                for (uint64 i = 0; i < spi.rows(); ++i) out.push_back(*spi.get_int64(i, 0));
                return out;
            };
            std::vector<int64> custs = L::lock_customers(read);
            ident::Graph g;
            ident::load_rules(spi, g);
            ident::LogRows log;
            std::vector<int64> all;
            int splits = 0;
            for (int64 c : custs) {
                auto parts = ident::recompute_customer(spi, g, c, log, "blocked " + type + " " + *v);
                splits += parts.size() > 1 ? static_cast<int>(parts.size()) - 1 : 0;
                all.insert(all.end(), parts.begin(), parts.end());
            }
            log.add(
                custs.empty() ? 0 : custs.front(), 0, 0, type, *v, "blocked",
                "{\"customers\":" + ids_json(custs) + ",\"new_customers\":" + std::to_string(splits) + "}");
            log.flush(spi);
            std::string out = "{\"id_type\":" + json_quote(type) + ",\"id_value\":" + json_quote(*v) +
                              ",\"newly_blocked\":" + (newly ? "true" : "false") +
                              ",\"customers\":" + ids_json(all) +
                              ",\"new_customers\":" + std::to_string(splits) + "}";
            return out;
        }();
        return cdp::pg::jsonb_datum(result);
    });
}

// cdp.explain_link(record_a bigint, record_b bigint) -> jsonb
Datum cdp_explain_link(PG_FUNCTION_ARGS) {
    bool isnull = false;
    Datum d = cdp::pg::guarded([&]() -> Datum {
        std::optional<std::string> result = [&]() -> std::optional<std::string> {
            int64 a = PG_GETARG_INT64(0), b = PG_GETARG_INT64(1);
            cdp::pg::Spi spi;
            ident::Graph g;
            ident::load_rules(spi, g, true);
            spi.exec_prepared(
                "SELECT record_id, customer_id FROM cdp.records WHERE record_id IN ($1, $2) AND customer_id "
                "IS "
                "NOT NULL",
                {{INT8OID, Int64GetDatum(a)}, {INT8OID, Int64GetDatum(b)}}, true);
            std::map<int64, int64> cust;
            for (uint64 i = 0; i < spi.rows(); ++i) cust[*spi.get_int64(i, 0)] = *spi.get_int64(i, 1);
            if (!cust.count(a) || !cust.count(b) || cust[a] != cust[b]) {
                return std::nullopt;
            }
            int64 c = cust[a];
            spi.exec_prepared(
                "SELECT r.record_id, r.source, r.source_key, i.id_type, i.id_value FROM cdp.records r "
                "LEFT JOIN cdp.identifiers i ON i.record_id = r.record_id WHERE r.customer_id = $1 ORDER BY "
                "1",
                {{INT8OID, Int64GetDatum(c)}}, true);
            std::vector<int64> rids;
            std::vector<std::pair<std::string, std::string>> names;
            std::vector<std::vector<uint32_t>> vals;
            for (uint64 i = 0; i < spi.rows(); ++i) {
                int64 rid = *spi.get_int64(i, 0);
                if (rids.empty() || rids.back() != rid) {
                    rids.push_back(rid);
                    names.emplace_back(*spi.get_text(i, 1), *spi.get_text(i, 2));
                    vals.emplace_back();
                }
                if (spi.is_null(i, 3)) continue;
                int t = g.rules.find(*spi.get_text(i, 3));
                if (t < 0) continue;
                uint32_t v = g.values.intern(t, *spi.get_text(i, 4));
                if (!g.values.blocked(v)) vals.back().push_back(v);
            }
            auto idx = [&](int64 r) {
                return static_cast<int32_t>(std::lower_bound(rids.begin(), rids.end(), r) - rids.begin());
            };
            auto chain = cdp::identity::shortest_chain(vals, idx(a), idx(b));
            if (chain.empty()) {
                return std::nullopt;
            }
            std::string out = "{\"customer_id\":" + std::to_string(c) +
                              ",\"hops\":" + std::to_string(chain.size() - 1) + ",\"chain\":[";
            for (size_t k = 0; k < chain.size(); ++k) {
                const auto& st = chain[k];
                if (st.via >= 0) {
                    uint32_t v = static_cast<uint32_t>(st.via);
                    out += "{\"id_type\":" + json_quote(g.rules.type(g.values.type_of(v)).name) +
                           ",\"id_value\":" + json_quote(g.values.value_of(v)) + "},";
                }
                out += "{\"record_id\":" + std::to_string(rids[st.record]) +
                       ",\"source\":" + json_quote(names[st.record].first) +
                       ",\"source_key\":" + json_quote(names[st.record].second) + "}";
                if (k + 1 < chain.size()) out += ",";
            }
            out += "]}";
            return out;
        }();
        if (!result) {
            isnull = true;
            return Datum(0);
        }
        return cdp::pg::jsonb_datum(*result);
    });
    if (isnull) PG_RETURN_NULL();
    return d;
}
}
