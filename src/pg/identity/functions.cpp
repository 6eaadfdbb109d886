// SQL-callable functions of the identity graph (docs/identity.md):
// upsert_record, customer_id, delete_record, block_identifier, explain_link.
// The batch resolver lives in identity_resolve.cpp.
#include "pg/common/pg.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/numeric.h"
}

#include <algorithm>
#include <map>
#include <set>

#include "core/identity/engine.h"
#include "core/identity/evidence.h"
#include "core/identity/input.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/identity/gucs.h"
#include "pg/normalize/gucs.h"
#include "pg/identity/graph.h"
#include "pg/identity/locks.h"
#include "pg/identity/upsert.h"
#include "pg/common/spi.h"
#include "pg/profile/maintain.h"
#include "pg/profile/suppress.h"

namespace {

namespace ident = cdp::pg::identity;
namespace L = cdp::pg::identity::locks;

using cdp::identity::JsonItem;
using cdp::identity::JsonKind;

// Plain-old-data result of one iterator step (filled inside pg_call).
struct Token {
    JsonbIteratorToken r;
    JsonbValue v;
    char* text;  // numeric_out of a number, JsonbToCString of a container; else nullptr
};

// Plain Postgres code: run under pg_call.
void next_token(JsonbIterator** it, Token* t) {
    t->text = nullptr;
    t->r = JsonbIteratorNext(it, &t->v, true);
    if (t->r != WJB_KEY && t->r != WJB_VALUE && t->r != WJB_ELEM) return;
    if (t->v.type == jbvNumeric)
        t->text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(t->v.val.numeric)));
    else if (t->v.type == jbvBinary)
        t->text = JsonbToCString(nullptr, t->v.val.binary.data, t->v.val.binary.len);
}

JsonItem item_of(const Token& t) {
    switch (t.v.type) {
        case jbvNull:
            return {JsonKind::kNull, "null"};
        case jbvString:
            return {JsonKind::kString,
                    std::string(t.v.val.string.val, static_cast<size_t>(t.v.val.string.len))};
        case jbvNumeric:  // text is not filled for a scalar root (only its kind is read)
            return {JsonKind::kNumber, t.text != nullptr ? t.text : ""};
        case jbvBool:
            return {JsonKind::kBool, t.v.val.boolean ? "true" : "false"};
        case jbvBinary:
            return {JsonContainerIsObject(t.v.val.binary.data) ? JsonKind::kObject : JsonKind::kArray,
                    t.text != nullptr ? t.text : ""};
        default:
            return {JsonKind::kNull, "null"};
    }
}

// The identifiers argument, read with the jsonb API: the depth of the
// document, the root's kind, and the entries of an object (values one
// level deep: an array's elements).
cdp::identity::RawIdentifiers identifiers_arg(FunctionCallInfo fcinfo, int argno) {
    Jsonb* jb = nullptr;
    int depth = 0;
    cdp::pg::pg_call([&]() noexcept {
        jb = PG_GETARG_JSONB_P(argno);
        JsonbIterator* it = JsonbIteratorInit(&jb->root);
        JsonbValue v;
        JsonbIteratorToken r;
        int level = 0;
        while ((r = JsonbIteratorNext(&it, &v, false)) != WJB_DONE) {
            if (r == WJB_BEGIN_ARRAY || r == WJB_BEGIN_OBJECT) depth = std::max(depth, ++level);
            if (r == WJB_END_ARRAY || r == WJB_END_OBJECT) --level;
        }
    });
    if (JB_ROOT_IS_SCALAR(jb)) {
        Token t{};
        cdp::pg::pg_call([&]() noexcept {
            if (!JsonbExtractScalar(&jb->root, &t.v)) elog(ERROR, "jsonb scalar expected");
        });
        return cdp::identity::identifiers_from(item_of(t).kind, 0, {});
    }
    if (JB_ROOT_IS_ARRAY(jb)) return cdp::identity::identifiers_from(JsonKind::kArray, depth, {});
    std::vector<cdp::identity::IdentifierEntry> entries;
    JsonbIterator* it = nullptr;
    Token t{};
    cdp::pg::pg_call([&]() noexcept {
        it = JsonbIteratorInit(&jb->root);
        next_token(&it, &t);  // WJB_BEGIN_OBJECT
    });
    for (;;) {
        cdp::pg::pg_call([&]() noexcept { next_token(&it, &t); });
        if (t.r == WJB_KEY) {
            entries.emplace_back();
            entries.back().type.assign(t.v.val.string.val, static_cast<size_t>(t.v.val.string.len));
        } else if (t.r == WJB_VALUE) {
            auto& e = entries.back();
            e.value = item_of(t);
            if (e.value.kind != JsonKind::kArray) continue;
            JsonbIterator* elems = nullptr;
            Token el{};
            JsonbContainer* arr = t.v.val.binary.data;
            cdp::pg::pg_call([&]() noexcept {
                elems = JsonbIteratorInit(arr);
                next_token(&elems, &el);  // WJB_BEGIN_ARRAY
            });
            for (;;) {
                cdp::pg::pg_call([&]() noexcept { next_token(&elems, &el); });
                if (el.r != WJB_ELEM) break;
                e.elements.push_back(item_of(el));
            }
        } else if (t.r == WJB_DONE || t.r == WJB_END_OBJECT) {
            if (t.r == WJB_DONE) break;
        }
    }
    return cdp::identity::identifiers_from(JsonKind::kObject, depth, std::move(entries));
}

// The traits argument: a jsonb object (checked with the jsonb API).
Datum traits_arg(FunctionCallInfo fcinfo, int argno) {
    Jsonb* jb = nullptr;
    cdp::pg::pg_call([&]() noexcept { jb = PG_GETARG_JSONB_P(argno); });
    if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
        throw cdp::Error("traits must be a JSON object", cdp::sqlstate::kInvalidParameterValue,
                         "traits: " + cdp::pg::jsonb_arg_text(fcinfo, argno).substr(0, 200));
    return JsonbPGetDatum(jb);
}

// Locks the customer of record `rid` (re-reading it under the lock); 0 when
// the record is missing or unresolved.
int64 lock_record_customer(cdp::pg::Spi& spi, int64 rid) {
    std::vector<int64> got = L::lock_customers([&] {
        spi.exec_prepared(
            R"sql(SELECT customer_id FROM cdp.records WHERE record_id = $1 AND customer_id IS NOT NULL)sql",
            {{INT8OID, Int64GetDatum(rid)}});
        std::vector<int64> out;
        if (spi.rows() > 0) out.push_back(*spi.get_int64(0, 0));
        return out;
    });
    return got.empty() ? 0 : got.front();
}

std::vector<int64_t> ids64(const std::vector<int64>& ids) { return {ids.begin(), ids.end()}; }

}  // namespace

// cdp.upsert_record(source text, source_key text, identifiers jsonb, traits jsonb DEFAULT '{}') -> bigint
CDP_FUNCTION(cdp_upsert_record) {
    std::string source(cdp::pg::text_arg(fcinfo, 0));
    std::string key(cdp::pg::text_arg(fcinfo, 1));
    auto raw = identifiers_arg(fcinfo, 2);
    const Datum traits = traits_arg(fcinfo, 3);
    cdp::pg::profile::check_not_suppressed(raw);
    auto r = ident::upsert_record_jsonb(source, key, raw, traits);
    cdp::pg::profile::customers_changed({r.customer_id});
    if (r.customer_id == 0) fcinfo->isnull = true;
    return Int64GetDatum(r.customer_id);
}

// cdp.customer_id(id_type text, id_value text) -> bigint
CDP_FUNCTION(cdp_customer_id) {
    std::string type(cdp::pg::text_arg(fcinfo, 0));
    std::string raw(cdp::pg::text_arg(fcinfo, 1));
    cdp::pg::Spi spi;
    ident::Graph g;
    ident::load_rules(spi, g, true);
    ident::type_or_error(g, type);
    auto v = ident::normalise(type, raw);
    if (!v) {
        fcinfo->isnull = true;
        return Datum(0);
    }
    // The customer of the oldest record holding the value (records hold
    // current ids; aliases resolve ids merged away before the read).
    spi.exec_prepared(
        R"sql(
        SELECT coalesce(a.customer_id, r.customer_id)
          FROM cdp.identifiers i
          JOIN cdp.records r ON r.record_id = i.record_id
          LEFT JOIN cdp.customer_aliases a ON a.old_id = r.customer_id
         WHERE i.id_type = $1 AND i.id_value = $2 AND r.customer_id IS NOT NULL
         ORDER BY r.record_id LIMIT 1)sql",
        {{TEXTOID, cdp::pg::text_datum(type)}, {TEXTOID, cdp::pg::text_datum(*v)}}, true);
    if (spi.rows() == 0) {
        fcinfo->isnull = true;
        return Datum(0);
    }
    return Int64GetDatum(*spi.get_int64(0, 0));
}

// cdp.delete_record(source text, source_key text) -> jsonb
CDP_FUNCTION(cdp_delete_record) {
    // SPI memory is released when `spi` goes: build the result after.
    std::string result = [&]() -> std::string {
        std::string source(cdp::pg::text_arg(fcinfo, 0));
        std::string key(cdp::pg::text_arg(fcinfo, 1));
        L::lock_graph(false);
        L::lock_keys({L::record_key(source, key)});
        cdp::pg::Spi spi;
        spi.exec_prepared(R"sql(SELECT record_id FROM cdp.records WHERE source = $1 AND source_key = $2)sql",
                          {{TEXTOID, cdp::pg::text_datum(source)}, {TEXTOID, cdp::pg::text_datum(key)}});
        if (spi.rows() == 0) return cdp::identity::delete_result(std::nullopt, 0, {});
        int64 rid = *spi.get_int64(0, 0);
        int64 c = lock_record_customer(spi, rid);
        spi.exec_prepared(R"sql(DELETE FROM cdp.records WHERE record_id = $1)sql",
                          {{INT8OID, Int64GetDatum(rid)}});
        std::vector<int64> parts;
        ident::LogRows log;
        if (c != 0) {
            ident::Graph g;
            ident::load_rules(spi, g);
            parts = ident::recompute_customer(spi, g, c, log, "record " + std::to_string(rid) + " deleted");
            log.flush(spi);
            cdp::pg::profile::customers_changed(parts, c);
        }
        return cdp::identity::delete_result(rid, c, ids64(parts));
    }();
    return cdp::pg::jsonb_datum(result);
}

// cdp.block_identifier(id_type text, id_value text) -> jsonb
CDP_FUNCTION(cdp_block_identifier) {
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
            R"sql(
            UPDATE cdp.identifier_types SET blocked_values = array_append(blocked_values, $2)
             WHERE id_type = $1 AND NOT ($2 = ANY (blocked_values)))sql",
            {{TEXTOID, cdp::pg::text_datum(type)}, {TEXTOID, cdp::pg::text_datum(*v)}});
        bool newly = spi.rows() > 0;
        auto read = [&] {
            spi.exec_prepared(
                R"sql(
                SELECT DISTINCT r.customer_id
                  FROM cdp.identifiers i JOIN cdp.records r ON r.record_id = i.record_id
                 WHERE i.id_type = $1 AND i.id_value = $2 AND r.customer_id IS NOT NULL)sql",
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
        log.add(custs.empty() ? 0 : custs.front(), 0, 0, type, *v, "blocked",
                cdp::identity::blocked_detail(ids64(custs), splits));
        log.flush(spi);
        return cdp::identity::block_result(type, *v, newly, ids64(all), splits);
    }();
    return cdp::pg::jsonb_datum(result);
}

// cdp.explain_link(record_a bigint, record_b bigint) -> jsonb
CDP_FUNCTION(cdp_explain_link) {
    std::optional<std::string> result = [&]() -> std::optional<std::string> {
        int64 a = PG_GETARG_INT64(0), b = PG_GETARG_INT64(1);
        cdp::pg::Spi spi;
        ident::Graph g;
        ident::load_rules(spi, g, true);
        spi.exec_prepared(
            R"sql(
            SELECT record_id, customer_id FROM cdp.records
             WHERE record_id IN ($1, $2) AND customer_id IS NOT NULL)sql",
            {{INT8OID, Int64GetDatum(a)}, {INT8OID, Int64GetDatum(b)}}, true);
        std::map<int64, int64> cust;
        for (uint64 i = 0; i < spi.rows(); ++i) cust[*spi.get_int64(i, 0)] = *spi.get_int64(i, 1);
        if (!cust.count(a) || !cust.count(b) || cust[a] != cust[b]) {
            return std::nullopt;
        }
        int64 c = cust[a];
        spi.exec_prepared(
            R"sql(
            SELECT r.record_id, r.source, r.source_key, i.id_type, i.id_value
              FROM cdp.records r LEFT JOIN cdp.identifiers i ON i.record_id = r.record_id
             WHERE r.customer_id = $1 ORDER BY 1)sql",
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
        std::vector<cdp::identity::ChainRecord> records;
        std::vector<cdp::identity::ChainLink> links;
        for (const auto& st : chain) {
            if (st.via >= 0) {
                const auto v = static_cast<uint32_t>(st.via);
                links.push_back({g.rules.type(g.values.type_of(v)).name, std::string(g.values.value_of(v))});
            }
            records.push_back({rids[st.record], names[st.record].first, names[st.record].second});
        }
        return cdp::identity::explain_result(c, records, links);
    }();
    if (!result) {
        fcinfo->isnull = true;
        return Datum(0);
    }
    return cdp::pg::jsonb_datum(*result);
}
