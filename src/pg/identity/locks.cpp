#include "pg/common/pg.h"

extern "C" {
#include "access/xact.h"
#include "storage/lock.h"
#include "utils/resowner.h"
}

#include <algorithm>

#include "core/common/error.h"

#include "pg/common/boundary.h"
#include "pg/identity/locks.h"

namespace cdp::pg::identity::locks {

namespace {
constexpr uint32 kGraphKey1 = 0x43445047;     // 'CDPG'
constexpr uint32 kCustomerKey1 = 0x43440000;  // 'CD' << 16 | high bits of the id

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
    pg_call([&]() noexcept { res = LockAcquire(&tag, mode, false, !wait); });
    return res != LOCKACQUIRE_NOT_AVAIL;
}

void lock_customer(int64_t id) {
    acquire(kCustomerKey1 | static_cast<uint32>((static_cast<uint64_t>(id) >> 32) & 0xffff),
            static_cast<uint32>(id & 0xffffffff), 2, ExclusiveLock, true);
}
}  // namespace

int64_t value_key(std::string_view id_type, std::string_view id_value) {
    return static_cast<int64_t>(fnv1a(id_type, id_value, 'v'));
}

int64_t record_key(std::string_view source, std::string_view source_key) {
    return static_cast<int64_t>(fnv1a(source, source_key, 'r'));
}

void lock_graph(bool exclusive) {
    // Under REPEATABLE READ a writer's snapshot predates the merges it
    // waited for, so it could link a value another transaction has just
    // linked and create a second customer.  SERIALIZABLE detects that case
    // (40001) and READ COMMITTED reads the committed graph after each lock.
    if (XactIsoLevel == XACT_REPEATABLE_READ)
        throw cdp::Error(
            "cdp identity writes need READ COMMITTED or SERIALIZABLE isolation, not REPEATABLE READ", "0A000",
            "Under REPEATABLE READ the transaction's snapshot cannot see links committed while it "
            "waited for the identity graph's locks.",
            "Run the write in a READ COMMITTED transaction (the default), or SERIALIZABLE and "
            "retry on 40001.");
    acquire(kGraphKey1, 0, 2, exclusive ? ExclusiveLock : ShareLock, true);
}

namespace {
bool graph_held(LOCKMODE mode) {
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, kGraphKey1, 0, 2);
    bool held = false;
    pg_call([&]() noexcept { held = LockHeldByMe(&tag, mode); });
    return held;
}
}  // namespace

bool graph_exclusive() { return graph_held(ExclusiveLock); }

bool lock_graph_for_bulk() {
    if (graph_held(ExclusiveLock)) return true;
    if (graph_held(ShareLock)) return false;
    lock_graph(true);
    return true;
}

void lock_keys(std::vector<int64_t> keys) {
    if (graph_exclusive()) return;  // no other writer can run
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (int64_t k : keys) {
        uint64_t u = static_cast<uint64_t>(k);
        acquire(static_cast<uint32>(u >> 32), static_cast<uint32>(u & 0xffffffff), 1, ExclusiveLock, true);
    }
}

std::vector<int64_t> lock_customers(const std::function<std::vector<int64_t>()>& read_customers) {
    std::vector<int64_t> want = read_customers();
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    if (want.empty() || graph_exclusive()) return want;
    for (int attempt = 0;; ++attempt) {
        MemoryContext oldcxt = CurrentMemoryContext;
        ResourceOwner oldowner = CurrentResourceOwner;
        pg_call([&]() noexcept {
            BeginInternalSubTransaction(nullptr);
            MemoryContextSwitchTo(oldcxt);
        });
        std::vector<int64_t> now;
        try {
            for (int64_t c : want) lock_customer(c);
            now = read_customers();
        } catch (...) {
            pg_call([&]() noexcept {
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
            pg_call([&]() noexcept {
                ReleaseCurrentSubTransaction();
                MemoryContextSwitchTo(oldcxt);
                CurrentResourceOwner = oldowner;
            });
            return now;
        }
        pg_call([&]() noexcept {
            RollbackAndReleaseCurrentSubTransaction();
            MemoryContextSwitchTo(oldcxt);
            CurrentResourceOwner = oldowner;
        });
        want = std::move(now);
    }
}

}  // namespace cdp::pg::identity::locks
