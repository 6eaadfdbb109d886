// Locking protocol of the identity graph (see docs/identity.md,
// concurrency).  Every writer of the graph takes, in this order:
//   1. the graph lock: SHARE for upsert/delete/block, EXCLUSIVE for
//      cdp.resolve_identities();
//   2. value keys: one transaction advisory lock per identifier value it
//      links through (and per (source, source_key) it writes), on a 64-bit
//      hash, acquired in ascending key order;
//   3. customer keys, in ascending customer id order.  Because a concurrent
//      merge may move the holders of a value to another customer while we
//      wait, the customer set is read again after locking; when it grew, the
//      customer locks are released (by rolling back an internal
//      subtransaction that holds only them) and taken again in order.
// Nobody waits for a lock of an earlier class while holding a later one, and
// waits within a class follow ascending keys, so no deadlock can form within
// one call.  Calls that write many records take the graph lock EXCLUSIVE
// instead (lock_graph_for_bulk) and no key locks.
// All locks are transaction advisory locks, visible in pg_locks
// (locktype 'advisory'; values: objsubid 1, customers/graph: objsubid 2).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace cdp::pg::identity::locks {

// Stable 64-bit key (FNV-1a) of an identifier value or a record key.
int64_t value_key(std::string_view id_type, std::string_view id_value);
int64_t record_key(std::string_view source, std::string_view source_key);

void lock_graph(bool exclusive);

// Bulk mode, for calls that write many records in one transaction (an
// ingest batch, a deferred load): take the graph lock EXCLUSIVE, unless the
// transaction already holds it SHARE (an upgrade could deadlock; it then
// keeps the per-key protocol).  While a transaction holds the graph lock
// exclusively no other writer runs, so lock_keys() and lock_customers() take
// nothing: one lock however many records, and no lock-order cycle between
// two batches is possible.  Returns whether the transaction is in bulk mode.
bool lock_graph_for_bulk();
// Does this transaction hold the graph lock EXCLUSIVE?
bool graph_exclusive();
// Sorts, de-duplicates and locks (exclusive, waiting) in ascending order.
void lock_keys(std::vector<int64_t> keys);

// Locks the customers returned by `read_customers` and returns the set read
// under the locks (sorted).  `read_customers` is called again after the
// locks are taken, until the set it returns is covered.
std::vector<int64_t> lock_customers(const std::function<std::vector<int64_t>()>& read_customers);

}  // namespace cdp::pg::identity::locks
