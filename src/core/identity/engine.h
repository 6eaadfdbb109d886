// Deterministic identity resolution (docs/identity.md): union-find over
// clusters of records, with the limits of identifier_types and
// cdp.max_cluster_records.  Pure C++ (no PostgreSQL headers).
//
// The same Engine drives every path, so they agree by construction:
//   * incremental upsert: the glue loads the clusters (customers) that touch
//     the record's identifier values, then calls process_record() once;
//   * batch replay (cdp.resolve_identities): every record, in record_id
//     order, through process_record();
//   * split (delete_record, block_identifier, identifiers removed by a
//     re-upsert): replay of the remaining records of one customer.
//
// Semantics of process_record(R, identifiers) -- the precise rule:
//  1. R starts as (or already is, for a re-upsert) a cluster.  Its value
//     sets (used for max_per_customer) hold every non-blocked identifier of R.
//  2. R's identifiers are processed in the order (type priority ascending,
//     i.e. 1 first; then type name; then value, by Unicode code point, which
//     for UTF-8 equals byte order).
//  3. For identifier (t, v):
//       a. v blocked for t: no link.  If other records hold v, a
//          `refused:blocked` event is emitted.
//       b. R becomes a holder of v.  If v is now held by more records than
//          max_records_per_value(t): no link; `refused:max_records_per_value`
//          when other clusters hold v.
//       c. Otherwise the candidate clusters are the clusters of the other
//          holders of v that are not R's cluster, taken one at a time in
//          ascending order of their oldest record_id.  Each candidate C is
//          merged into R's current cluster A unless
//            - |A| + |C| records > max_cluster_records
//              -> `refused:max_cluster_records`, or
//            - for some type u with a max_per_customer limit, the distinct
//              values of u in A union C exceed it -> `refused:max_per_customer`
//              (checked in type priority order; the first offending type is
//              reported).  Because identifiers are processed from the highest
//              priority type down, the link refused is the lower-priority one.
//          A merge emits `exact` with (R, t, v) as evidence.
//  Surviving customer id: the smaller (older) id of the two clusters.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cdp::identity {

struct TypeRule {
    std::string name;
    int priority = 100;
    int max_per_customer = 0;       // 0: unlimited
    int max_records_per_value = 0;  // 0: unlimited
};

// Identifier types sorted by (priority, name); the index is the type code.
class Rules {
 public:
    Rules() = default;
    Rules(std::vector<TypeRule> types, int64_t max_cluster_records);
    int find(std::string_view name) const;  // -1 when unknown
    const TypeRule& type(int t) const { return types_[t]; }
    int size() const { return static_cast<int>(types_.size()); }
    int64_t max_cluster_records() const { return max_cluster_records_; }

 private:
    std::vector<TypeRule> types_;
    int64_t max_cluster_records_ = 0;  // 0: unlimited
};

// Interns (type, value) strings to dense ids; remembers blocked values.
// Open addressing over one string arena: millions of values without a node
// allocation per value (the batch replay interns every identifier).
class ValueTable {
 public:
    uint32_t intern(int type, std::string_view value) { return intern(type, value, hash(type, value)); }
    // The same with the hash computed beforehand (hash()), so that a bulk
    // loader can prefetch() the slot of a value a few rows ahead.
    uint32_t intern(int type, std::string_view value, uint64_t h);
    static uint64_t hash(int type, std::string_view value);
    void prefetch(uint64_t h) const { __builtin_prefetch(&slots_[h & (slots_.size() - 1)]); }
    // -1 when absent
    int64_t lookup(int type, std::string_view value) const;
    int type_of(uint32_t id) const { return types_[id]; }
    void prefetch_value(uint32_t id) const { __builtin_prefetch(&types_[id]); }
    std::string_view value_of(uint32_t id) const {
        return std::string_view(arena_.data() + start_[id], start_[id + 1] - start_[id]);
    }
    void block(uint32_t id);
    bool blocked(uint32_t id) const { return blocked_[id] != 0; }
    uint32_t size() const { return static_cast<uint32_t>(types_.size()); }
    void reserve(size_t n, size_t bytes = 0);

 private:
    size_t probe(uint64_t h, int type, std::string_view value) const;  // slot index
    void grow();

    std::string arena_;
    std::vector<uint64_t> start_{0};  // value i is arena_[start_[i], start_[i+1])
    std::vector<int> types_;
    std::vector<uint64_t> hashes_;
    std::vector<char> blocked_;
    // (high 32 bits of the hash) << 32 | (id + 1); 0 = empty
    std::vector<uint64_t> slots_ = std::vector<uint64_t>(1024, 0);
};

enum class Outcome {
    kMerged,
    kRefusedBlocked,
    kRefusedMaxRecordsPerValue,
    kRefusedMaxPerCustomer,
    kRefusedMaxClusterRecords
};
const char* rule_name(Outcome o);  // "exact", "refused:blocked", ...

struct LinkEvent {
    Outcome outcome;
    int64_t record_id;    // the record being processed (evidence)
    uint32_t value;       // the identifier (value id) of the evidence
    int32_t cluster;      // R's cluster before the event (a node id)
    int32_t other;        // the other cluster (merged or refused); -1 when none
    int64_t cluster_ext;  // external ids at the time of the event (0 = new)
    int64_t other_ext;
    int limited_type = -1;  // max_per_customer: the offending type
    int64_t would_be = 0;   // the count that would exceed the limit
    int64_t limit = 0;
    int32_t refused_count = 1;  // number of clusters refused by this one event
};

class Engine {
 public:
    Engine(const Rules& rules, ValueTable& values) : rules_(rules), values_(values) {}

    // A pre-existing cluster (incremental path): customer id `ext`, oldest
    // record, record count.  Returns its node id.
    int32_t add_cluster(int64_t ext, int64_t min_record, int64_t record_count);
    // A (non-blocked) value held by records of the cluster (for max_per_customer).
    void add_cluster_value(int32_t node, uint32_t value);
    // `count` records of `node` hold `value` (incremental path).
    void add_holders(uint32_t value, int32_t node, int64_t count);
    // Records holding `value` that belong to no cluster (deferred records):
    // they count for max_records_per_value but are not linked.
    void add_unlinked_holders(uint32_t value, int64_t count);

    // Process a record.  `node` < 0: a new record (a new cluster is made);
    // otherwise the record already belongs to that cluster.  Values must be
    // interned; duplicates are ignored.  Returns the record's final node.
    int32_t process_record(int64_t record_id, std::vector<uint32_t> values, int32_t node = -1,
                           std::vector<LinkEvent>* events = nullptr);
    // Same, values given as a range (no allocation per record).
    int32_t process_record(int64_t record_id, const uint32_t* begin, const uint32_t* end, int32_t node = -1,
                           std::vector<LinkEvent>* events = nullptr);

    // Hint for a bulk replay: the values of a record about to be processed
    // (their type and holder state are fetched into cache ahead of use).
    void prefetch(const uint32_t* begin, const uint32_t* end) const {
        for (const uint32_t* v = begin; v != end; ++v) {
            values_.prefetch_value(*v);
            if (*v < vstate_.size()) __builtin_prefetch(&vstate_[*v]);
        }
    }

    int32_t find(int32_t node);
    int64_t ext(int32_t node) { return nodes_[find(node)].ext; }
    int64_t min_record(int32_t node) { return nodes_[find(node)].min_record; }
    int64_t record_count(int32_t node) { return nodes_[find(node)].count; }
    int32_t node_count() const { return static_cast<int32_t>(nodes_.size()); }
    void reserve(size_t nodes, size_t values);

 private:
    struct Node {
        int32_t parent;
        int64_t ext;                    // external (customer) id, 0 when new
        int64_t min_record;             // oldest record
        int64_t count;                  // records
        std::vector<uint64_t> limited;  // sorted (type << 32 | value) of limited types
    };
    struct ValueState {
        int64_t holders = 0;
        int32_t first = -1;  // a node holding the value
        int32_t more = -1;   // index into more_ (other nodes), -1 when none
    };
    ValueState& state(uint32_t v);
    void add_limited(Node& n, uint32_t value);
    // 0 when mergeable, else the outcome; fills the limit fields of `ev`.
    bool check(int32_t a, int32_t c, LinkEvent& ev);
    int32_t unite(int32_t a, int32_t c);

    const Rules& rules_;
    ValueTable& values_;
    std::vector<Node> nodes_;
    std::vector<ValueState> vstate_;
    std::vector<std::vector<int32_t>> more_;
    std::vector<int32_t> scratch_;
    std::vector<int32_t> cands_;
    std::vector<uint32_t> vals_;
};

// Breadth-first search for the shortest chain of shared identifier values
// joining two records.  `record_values[i]` lists the (non-blocked) value ids
// of record i.  Returns the alternating chain [rec, value, rec, value, ...,
// rec] as indexes (records) and value ids, or empty when not connected.
struct ChainStep {
    int32_t record;  // record index
    int64_t via;     // value id used to reach this record (-1 for the first)
};
std::vector<ChainStep> shortest_chain(const std::vector<std::vector<uint32_t>>& record_values, int32_t from,
                                      int32_t to);

}  // namespace cdp::identity
