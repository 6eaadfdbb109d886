// Locking protocol of the identity graph (see README "Identity graph",
// concurrency).  Every writer of the graph takes, in this order:
//   1. the graph lock: SHARE for upsert/delete/block, EXCLUSIVE for
//      cdp.resolve_identities();
//   2. value keys: a transaction advisory lock for each identifier value it
//      links through (and each (source, source_key) it writes), on a
//      64-bit hash reduced to one of kStripes stripes, acquired in
//      ascending stripe order;
//   3. customer keys, likewise striped, in ascending stripe order.  Because a concurrent
//      merge may move the holders of a value to another customer while we
//      wait, the customer set is read again after locking; when it grew, the
//      customer locks are released (by rolling back an internal
//      subtransaction that holds only them) and taken again in order.
// Nobody waits for a lock of an earlier class while holding a later one, and
// waits within a class follow ascending keys, so no deadlock can form.
// All locks are transaction advisory locks, visible in pg_locks
// (locktype 'advisory'; classid 0x43445047 'CDPG' graph, 0x43445056 'CDPV'
// value stripes (objsubid 1), 0x43445043 'CDPC' customer stripes).  Striping
// bounds the locks one transaction holds (a bulk load in one transaction
// takes at most 2 * kStripes + 1), at the price of rare waits between
// writers of unrelated keys that share a stripe.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace cdp::pg::identity_locks {

inline constexpr uint32_t kStripes = 1024;

// Stable 64-bit key (FNV-1a) of an identifier value or a record key.
int64_t value_key(std::string_view id_type, std::string_view id_value);
int64_t record_key(std::string_view source, std::string_view source_key);

void lock_graph(bool exclusive);
// Sorts, de-duplicates and locks (exclusive, waiting) in ascending order.
void lock_keys(std::vector<int64_t> keys);

// Locks the customers returned by `read_customers` and returns the set read
// under the locks (sorted).  `read_customers` is called again after the
// locks are taken, until the set it returns is covered.
std::vector<int64_t> lock_customers(const std::function<std::vector<int64_t>()>& read_customers);

}  // namespace cdp::pg::identity_locks
