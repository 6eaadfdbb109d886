#include "pg/ingest/records.h"

extern "C" {
#include "catalog/pg_type.h"
}

#include <algorithm>
#include <set>
#include <unordered_map>

#include "core/common/error.h"
#include "core/common/interrupt.h"
#include "core/ingest/message.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/identity/locks.h"
#include "pg/identity/graph.h"
#include "pg/identity/upsert.h"

namespace cdp::pg {

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
    pg_call([&]() noexcept { merged = DirectFunctionCall2(jsonb_concat, mine, traits); });
    mine = merged;
}

std::string RecordBatch::alias_type(const std::string& previous_id) {
    const auto value = identity::normalise("user_id", previous_id);
    if (!value) return "anonymous_id";
    spi_.exec_prepared(
        R"sql(
        SELECT 1 FROM cdp.identifiers i
         WHERE i.id_type OPERATOR(pg_catalog.=) 'user_id' AND i.id_value OPERATOR(pg_catalog.=) $1 LIMIT 1)sql",
        {{TEXTOID, text_datum(*value)}});  // not read-only: must see earlier flushes
    return spi_.rows() > 0 ? "user_id" : "anonymous_id";
}

void RecordBatch::prefetch(const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    std::vector<std::optional<std::string>> arg(keys.begin(), keys.end());
    spi_.exec_prepared(
        R"sql(
        SELECT r.source_key, r.record_id, i.id_type, i.id_value
          FROM cdp.records r LEFT JOIN cdp.identifiers i ON i.record_id OPERATOR(pg_catalog.=) r.record_id
         WHERE r.source OPERATOR(pg_catalog.=) $1 AND r.source_key OPERATOR(pg_catalog.=) ANY ($2::text[]))sql",
        {{TEXTOID, text_datum(source_)}, {TEXTARRAYOID, text_array_datum(arg)}});
    for (uint64 r = 0; r < spi_.rows(); ++r) {
        Known& k = known_[spi_.get_text(r, 0).value_or("")];
        k.record_id = spi_.get_int64(r, 1).value_or(0);
        if (!spi_.is_null(r, 2))
            k.ids.emplace(spi_.get_text(r, 2).value_or(""), spi_.get_text(r, 3).value_or(""));
    }
}

bool RecordBatch::changes_nothing(const std::string& key, const std::vector<cdp::ingest::Identifier>& ids) {
    auto it = known_.find(key);
    if (it == known_.end()) return false;
    for (const auto& id : ids) {
        // A value that normalises to nothing goes through the upsert, which logs it.
        const auto value = identity::normalise(id.type, id.value);
        if (!value || it->second.ids.count({id.type, *value}) == 0) return false;
    }
    return true;
}

void RecordBatch::flush() {
    if (flushed_ == recs_.size()) return;
    identity::UpsertOptions add_only;
    add_only.replace_identifiers = false;
    cdp::interrupt::Ticker ticker(64);
    // Several records in one call: bulk mode (graph lock EXCLUSIVE, no key
    // locks), so that two batches can never wait for each other's keys in
    // opposite orders.
    size_t writes = 0;
    for (size_t i = flushed_; i < recs_.size() && writes < 2; ++i)
        if (recs_[i].traits != 0 || !changes_nothing(recs_[i].key, recs_[i].ids)) ++writes;
    if (writes > 1) cdp::pg::identity::locks::lock_graph_for_bulk();
    for (size_t i = flushed_; i < recs_.size(); ++i) {
        ticker.tick();
        Rec& rec = recs_[i];
        // Nothing new (record exists, every identifier known, no traits): no
        // upsert, no locks.
        if (rec.traits == 0 && changes_nothing(rec.key, rec.ids)) {
            rec.record_id = known_[rec.key].record_id;
            continue;
        }
        std::vector<std::pair<std::string, std::string>> raw;
        raw.reserve(rec.ids.size());
        for (const auto& id : rec.ids) raw.emplace_back(id.type, id.value);
        // The merged traits stay jsonb all the way (no round trip through text).
        rec.record_id = identity::upsert_record_jsonb(source_, rec.key, raw, rec.traits, add_only).record_id;
        if (rec.record_id == 0)
            throw cdp::Error("cdp.ingest: no record id for (" + source_ + ", " + rec.key + ")",
                             cdp::sqlstate::kInternalError);
    }
    flushed_ = recs_.size();
}

}  // namespace cdp::pg
