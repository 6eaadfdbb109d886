#include "pg/ingest_records.h"

extern "C" {
#include "catalog/pg_type.h"
}

#include <algorithm>

#include "core/common/error.h"
#include "core/ingest/message.h"
#include "pg/boundary.h"
#include "pg/convert.h"

namespace cdp::pg {

namespace {

// {"user_id":["u1"],"email":["a@b.it","c@d.it"]} from (type, value) pairs,
// types in first-seen order.
std::string identifiers_json(const std::vector<cdp::ingest::Identifier>& ids) {
    std::vector<std::string> types;
    for (const auto& id : ids)
        if (std::find(types.begin(), types.end(), id.type) == types.end()) types.push_back(id.type);
    std::string out = "{";
    for (size_t t = 0; t < types.size(); ++t) {
        if (t > 0) out.push_back(',');
        cdp::ingest::append_json_string(out, types[t]);
        out += ":[";
        bool first = true;
        for (const auto& id : ids) {
            if (id.type != types[t]) continue;
            if (!first) out.push_back(',');
            first = false;
            cdp::ingest::append_json_string(out, id.value);
        }
        out.push_back(']');
    }
    out.push_back('}');
    return out;
}

}  // namespace

size_t RecordBatch::add(const std::string& key) {
    recs_.push_back(Rec{key, {}, 0, 0});
    return recs_.size() - 1;
}

void RecordBatch::add_identifiers(size_t rec, const std::vector<cdp::ingest::Identifier>& ids) {
    for (const auto& id : ids) add_identifier(rec, id.type, id.value);
}

void RecordBatch::add_identifier(size_t rec, const std::string& type, const std::string& value) {
    auto& ids = recs_[rec].ids;
    cdp::ingest::Identifier id{type, value};
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
}

void RecordBatch::merge_traits(size_t rec, Datum traits) {
    Datum& mine = recs_[rec].traits;
    if (mine == 0) {
        mine = traits;
        return;
    }
    Datum merged = 0;
    pg_call([&] { merged = DirectFunctionCall2(jsonb_concat, mine, traits); });
    mine = merged;
}

std::string RecordBatch::alias_type(const std::string& previous_id) {
    spi_.exec(
        "SELECT 1 FROM cdp.identifiers i WHERE i.id_type OPERATOR(pg_catalog.=) 'user_id' "
        "AND i.id_value OPERATOR(pg_catalog.=) $1 LIMIT 1",
        {{TEXTOID, text_datum(previous_id)}});  // not read-only: must see earlier flushes
    return spi_.rows() > 0 ? "user_id" : "anonymous_id";
}

void RecordBatch::flush() {
    if (flushed_ == recs_.size()) return;
    std::vector<std::optional<std::string>> keys;
    std::vector<Datum> ids, traits;
    const Datum empty = jsonb_datum("{}");
    for (size_t i = flushed_; i < recs_.size(); ++i) {
        keys.emplace_back(recs_[i].key);
        ids.push_back(jsonb_datum(identifiers_json(recs_[i].ids)));
        traits.push_back(recs_[i].traits != 0 ? recs_[i].traits : empty);
    }
    const Datum src = text_datum(source_);
    const Datum key_array = text_array_datum(keys);
    spi_.exec(
        "SELECT cdp.upsert_record($1, u.k, u.i, u.t) "
        "FROM unnest($2::text[], $3::jsonb[], $4::jsonb[]) AS u(k, i, t)",
        {{TEXTOID, src},
         {TEXTARRAYOID, key_array},
         {JSONBARRAYOID, array_datum(JSONBOID, ids)},
         {JSONBARRAYOID, array_datum(JSONBOID, traits)}});
    spi_.exec(
        "SELECT u.n, r.record_id FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS u(k, n) "
        "JOIN cdp.records r ON r.source OPERATOR(pg_catalog.=) $1 AND r.source_key OPERATOR(pg_catalog.=) "
        "u.k",
        {{TEXTOID, src}, {TEXTARRAYOID, key_array}});  // not read-only: must see the upsert
    const uint64 n = spi_.rows();
    for (uint64 r = 0; r < n; ++r) {
        const int64 ord = spi_.get_int64(r, 0).value_or(0);
        recs_[flushed_ + static_cast<size_t>(ord) - 1].record_id = spi_.get_int64(r, 1).value_or(0);
    }
    for (size_t i = flushed_; i < recs_.size(); ++i)
        if (recs_[i].record_id == 0)
            throw cdp::Error(
                "cdp.ingest: record (" + source_ + ", " + recs_[i].key + ") not found after upsert",
                cdp::sqlstate::kInternalError);
    flushed_ = recs_.size();
}

}  // namespace cdp::pg
