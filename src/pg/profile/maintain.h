// Keeping cdp.profiles current in the writer's transaction.
//
// The identity and ingest write paths call these hooks (one line each) once
// their own writes are done; each opens its own SPI connection, so it may be
// called while the caller holds one.
//
//   customers_changed(ids)      traits (survivorship) and computed traits of
//                               these customers are recomputed from their
//                               records and events; profiles of customers
//                               merged into them (aliases) are removed and
//                               their consents merged (most recent decision
//                               per purpose wins; history stays under the
//                               old id, reached through the alias); a
//                               customer without records loses its profile.
//   records_changed(rids)       the same for the customers of these records
//                               (int8 Datums, as ingest builds them).
//   customer_split(kept, ids)   after a split of `kept` into ids (ids[0] ==
//                               kept): each new part gets a copy of kept's
//                               consents and their history, then
//                               customers_changed(ids).
//   rebuild_all()               every customer (after resolve_identities).
#pragma once

#include "pg/common/pg.h"

#include <string>
#include <utility>
#include <vector>

#include "pg/common/spi.h"

namespace cdp::pg::profile {

// ---- computed traits: the generated statements, cached per definition set
struct Compiled {
    std::string key;                                              // names and definitions it was built from
    std::string subset_sql;                                       // $1 int8[] customers, $2 timestamptz now
    std::string all_sql;                                          // $1 timestamptz now
    std::vector<int64_t> windows;                                 // seconds, distinct
    std::vector<std::pair<std::string, std::string>> days_since;  // (trait, timestamp trait)
};

// False while the database still has an older cdp schema (the library was
// upgraded, ALTER EXTENSION cdp UPDATE not yet run): the hooks then do nothing.
bool schema_installed();

void customers_changed(const std::vector<int64>& ids);
void customers_changed(const std::vector<int64>& ids, int64 also);
void records_changed(const std::vector<Datum>& record_ids);
// Ingest: also applies Segment consent (context.consent.categoryPreferences)
// of each message (contexts: jsonb, times: timestamptz, parallel to record_ids).
void records_changed(const std::vector<Datum>& record_ids, const std::vector<Datum>& contexts,
                     const std::vector<Datum>& times);
void customer_split(int64 kept, const std::vector<int64>& ids);
// Skipped when cdp.maintain_profiles is off unless `force` (rebuild_profiles).
void rebuild_all(bool force = false);

// Recompute only the computed traits of these customers (or of every
// profile when `all`), with the window clock `now`.
void recompute_computed(const std::vector<int64>& ids, bool all);

// The clock of computed traits: cdp.test_now when set, else the
// transaction start time.
TimestampTz clock_now();

// The generated statements of the current computed-trait definitions.
const Compiled& compiled(Spi& spi);

}  // namespace cdp::pg::profile
