#include "pg/pg.h"

extern "C" {
#include "access/xact.h"
#include "storage/lock.h"
#include "utils/resowner.h"
}

#include <algorithm>

#include "pg/boundary.h"
#include "pg/identity_locks.h"

namespace cdp::pg::identity_locks {

namespace {
constexpr uint32 kGraphKey1 = 0x43445047;     // 'CDPG'
constexpr uint32 kValueKey1 = 0x43445056;     // 'CDPV'
constexpr uint32 kCustomerKey1 = 0x43445043;  // 'CDPC'

// Stripe of a key: keys are hashed into kStripes locks per class, so a
// transaction holds at most kStripes value locks and kStripes customer
// locks however many records it writes (a bulk load in one transaction
// would otherwise need one lock per record and exhaust the shared lock
// table).  Two keys on one stripe only wait for each other; the canonical
// order is kept on stripes, so deadlock freedom is unchanged.
uint32 stripe(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return static_cast<uint32>(key % kStripes);
}

uint64_t fnv1a(std::string_view a, std::string_view b, unsigned char tag) {
    uint64_t h = 1469598103934665603ULL;
    auto mix = [&](unsigned char c) {
        h ^= c;
        h *= 1099511628211ULL;
    };
    mix(tag);
    for (char c : a) mix(static_cast<unsigned char>(c));
    mix(0);
    for (char c : b) mix(static_cast<unsigned char>(c));
    return h;
}

bool acquire(uint32 k1, uint32 k2, uint16 field4, LOCKMODE mode, bool wait) {
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, k1, k2, field4);
    LockAcquireResult res = LOCKACQUIRE_NOT_AVAIL;
    pg_call([&] { res = LockAcquire(&tag, mode, false, !wait); });
    return res != LOCKACQUIRE_NOT_AVAIL;
}

void lock_customer_stripe(uint32 s) { acquire(kCustomerKey1, s, 2, ExclusiveLock, true); }
}  // namespace

int64_t value_key(std::string_view id_type, std::string_view id_value) {
    return static_cast<int64_t>(fnv1a(id_type, id_value, 'v'));
}

int64_t record_key(std::string_view source, std::string_view source_key) {
    return static_cast<int64_t>(fnv1a(source, source_key, 'r'));
}

void lock_graph(bool exclusive) { acquire(kGraphKey1, 0, 2, exclusive ? ExclusiveLock : ShareLock, true); }

void lock_keys(std::vector<int64_t> keys) {
    std::vector<uint32> stripes;
    stripes.reserve(keys.size());
    for (int64_t k : keys) stripes.push_back(stripe(static_cast<uint64_t>(k)));
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    for (uint32 s : stripes) acquire(kValueKey1, s, 1, ExclusiveLock, true);
}

std::vector<int64_t> lock_customers(const std::function<std::vector<int64_t>()>& read_customers) {
    std::vector<int64_t> want = read_customers();
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    if (want.empty()) return want;
    for (int attempt = 0;; ++attempt) {
        MemoryContext oldcxt = CurrentMemoryContext;
        ResourceOwner oldowner = CurrentResourceOwner;
        pg_call([&] {
            BeginInternalSubTransaction(nullptr);
            MemoryContextSwitchTo(oldcxt);
        });
        std::vector<int64_t> now;
        std::vector<uint32> stripes;
        for (int64_t c : want) stripes.push_back(stripe(static_cast<uint64_t>(c)));
        std::sort(stripes.begin(), stripes.end());
        stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
        try {
            for (uint32 s : stripes) lock_customer_stripe(s);
            now = read_customers();
        } catch (...) {
            pg_call([&] {
                RollbackAndReleaseCurrentSubTransaction();
                MemoryContextSwitchTo(oldcxt);
                CurrentResourceOwner = oldowner;
            });
            throw;
        }
        std::sort(now.begin(), now.end());
        now.erase(std::unique(now.begin(), now.end()), now.end());
        bool covered = std::includes(want.begin(), want.end(), now.begin(), now.end());
        if (covered) {
            pg_call([&] {
                ReleaseCurrentSubTransaction();
                MemoryContextSwitchTo(oldcxt);
                CurrentResourceOwner = oldowner;
            });
            return now;
        }
        pg_call([&] {
            RollbackAndReleaseCurrentSubTransaction();
            MemoryContextSwitchTo(oldcxt);
            CurrentResourceOwner = oldowner;
        });
        want = std::move(now);
    }
}

}  // namespace cdp::pg::identity_locks
