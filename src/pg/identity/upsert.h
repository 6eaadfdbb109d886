// C++ entry point of incremental identity resolution, for glue code that
// writes records without an SPI round trip through cdp.upsert_record()
// (cdp.ingest).  Call it inside cdp::pg::guarded(); it opens its own
// (nested) SPI connection, so the caller may or may not be connected.
//
//   using cdp::pg::identity::upsert;
//   int64 customer = upsert("web", "user-42",
//                           {{"email", "A@B.it"}, {"anonymous_id", "anon-7"}}, "{\"plan\":\"pro\"}");
//
// Semantics are exactly those of cdp.upsert_record() (docs/identity.md):
// values are normalised by type (unknown type: ERROR 22023; values
// that normalise to nothing are dropped and logged in cdp.merge_log with
// rule 'dropped:invalid_value'); the record (source, key) is created or
// updated; links are made or refused under the limits, in the caller's
// transaction, safe under concurrency.  With cdp.defer_resolution = on the
// record is stored with customer_id NULL and 0 is returned.
#pragma once

#include "pg/common/pg.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdp::pg::identity {

struct UpsertOptions {
    // true: the record's identifiers become exactly `raw_identifiers`
    // (identifiers missing from it are removed from the graph, which may
    // split a customer) -- what cdp.upsert_record() does.
    // false: identifiers are only added (a message that carries only some
    // identifiers of a record, e.g. a Segment `track`).
    bool replace_identifiers = true;
};

struct UpsertResult {
    int64 record_id = 0;
    int64 customer_id = 0;  // 0 when resolution is deferred
    int dropped = 0;        // identifier values that normalised to nothing
    bool created = false;   // the record is new
};

// traits_json_or_null: a JSON object merged (top-level keys, `||`) into the
// record's traits; nullptr leaves them as they are.
UpsertResult upsert_record(std::string_view source, std::string_view key,
                           const std::vector<std::pair<std::string, std::string>>& raw_identifiers,
                           const char* traits_json_or_null, const UpsertOptions& options = {});

// The same with the traits as a jsonb Datum (0 leaves them as they are);
// glue that holds a jsonb passes it as it is, without a round trip through text.
UpsertResult upsert_record_jsonb(std::string_view source, std::string_view key,
                                 const std::vector<std::pair<std::string, std::string>>& raw_identifiers,
                                 Datum traits_jsonb, const UpsertOptions& options = {});

// Shorthand: the customer id (0 when deferred), replace semantics.
int64 upsert(std::string_view source, std::string_view key,
             const std::vector<std::pair<std::string, std::string>>& raw_identifiers,
             const char* traits_json_or_null);

}  // namespace cdp::pg::identity
