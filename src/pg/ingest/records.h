// Records touched by one cdp.ingest() batch: collects, per distinct record,
// the identifiers and identify traits of its messages and upserts each
// record once through the identity layer.
#pragma once

#include "pg/common/pg.h"

#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/ingest/message.h"
#include "pg/common/spi.h"

namespace cdp::pg {

class RecordBatch {
 public:
    RecordBatch(Spi& spi, std::string source) : spi_(spi), source_(std::move(source)) {}

    // Reads what the database holds for these record keys (one query):
    // record ids and normalised identifiers.  Call once, before add().
    void prefetch(const std::vector<std::string>& keys);

    // True when the record (source, key) exists and already holds every
    // identifier of `ids` (normalised): a message that carries only these and
    // no traits changes nothing in the identity graph.
    bool changes_nothing(const std::string& key, const std::vector<cdp::ingest::Identifier>& ids);

    // A new pending record keyed (source, key); returns its handle.
    size_t add(const std::string& key);
    void add_identifiers(size_t rec, const std::vector<cdp::ingest::Identifier>& ids);
    void add_identifier(size_t rec, const std::string& type, const std::string& value);
    // Shallow merge (jsonb ||): later traits win.
    void merge_traits(size_t rec, Datum traits);

    // How an alias's previousId links: "user_id" when some record already
    // holds it as a user_id, else "anonymous_id".
    std::string alias_type(const std::string& previous_id);

    // Upsert every pending record (in order of add()).
    void flush();

    int64 record_id(size_t rec) const { return recs_[rec].record_id; }

 private:
    struct Rec {
        std::string key;
        std::vector<cdp::ingest::Identifier> ids;
        Datum traits = 0;
        int64 record_id = 0;
    };
    struct Known {
        int64 record_id = 0;
        std::set<std::pair<std::string, std::string>> ids;
    };
    Spi& spi_;
    std::string source_;
    std::unordered_map<std::string, Known> known_;
    std::vector<Rec> recs_;
    size_t flushed_ = 0;  // recs_[0, flushed_) are upserted
};

}  // namespace cdp::pg
