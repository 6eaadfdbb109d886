#include "core/identity/engine.h"

#include <algorithm>
#include <deque>

#include "core/common/error.h"
#include "core/common/interrupt.h"

namespace cdp::identity {

Rules::Rules(std::vector<TypeRule> types, int64_t max_cluster_records)
    : types_(std::move(types)), max_cluster_records_(max_cluster_records) {
    std::sort(types_.begin(), types_.end(), [](const TypeRule& a, const TypeRule& b) {
        return a.priority != b.priority ? a.priority < b.priority : a.name < b.name;
    });
}

int Rules::find(std::string_view name) const {
    for (size_t i = 0; i < types_.size(); ++i)
        if (types_[i].name == name) return static_cast<int>(i);
    return -1;
}

uint64_t ValueTable::hash(int type, std::string_view value) {
    uint64_t h = 1469598103934665603ULL ^ static_cast<uint64_t>(type + 1);
    for (char c : value) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
}

size_t ValueTable::probe(uint64_t h, int type, std::string_view value) const {
    const size_t mask = slots_.size() - 1;
    const uint64_t tag = h & 0xffffffff00000000ULL;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t s = slots_[i];
        if (s == 0) return i;
        if ((s & 0xffffffff00000000ULL) != tag) continue;
        uint32_t id = static_cast<uint32_t>(s & 0xffffffffULL) - 1;
        if (types_[id] == type && value_of(id) == value) return i;
    }
}

void ValueTable::grow() {
    std::vector<uint64_t> next(slots_.size() * 2, 0);
    const size_t mask = next.size() - 1;
    for (uint32_t id = 0; id < types_.size(); ++id) {
        size_t i = hashes_[id] & mask;
        while (next[i] != 0) i = (i + 1) & mask;
        next[i] = (hashes_[id] & 0xffffffff00000000ULL) | (id + 1);
    }
    slots_.swap(next);
}

void ValueTable::reserve(size_t n, size_t bytes) {
    types_.reserve(n);
    hashes_.reserve(n);
    blocked_.reserve(n);
    start_.reserve(n + 1);
    if (bytes) arena_.reserve(bytes);
    size_t want = 1024;
    while (want < n * 2) want *= 2;
    if (want > slots_.size()) {
        slots_.assign(want, 0);
        const size_t mask = slots_.size() - 1;
        for (uint32_t id = 0; id < types_.size(); ++id) {
            size_t i = hashes_[id] & mask;
            while (slots_[i] != 0) i = (i + 1) & mask;
            slots_[i] = (hashes_[id] & 0xffffffff00000000ULL) | (id + 1);
        }
    }
}

uint32_t ValueTable::intern(int type, std::string_view value, uint64_t h) {
    size_t i = probe(h, type, value);
    if (slots_[i] != 0) return static_cast<uint32_t>(slots_[i] & 0xffffffffULL) - 1;
    const uint32_t id = static_cast<uint32_t>(types_.size());
    arena_.append(value.data(), value.size());
    start_.push_back(arena_.size());
    types_.push_back(type);
    hashes_.push_back(h);
    blocked_.push_back(0);
    slots_[i] = (h & 0xffffffff00000000ULL) | (id + 1);
    if (types_.size() * 2 > slots_.size()) grow();
    return id;
}

int64_t ValueTable::lookup(int type, std::string_view value) const {
    size_t i = probe(hash(type, value), type, value);
    return slots_[i] == 0 ? -1 : static_cast<int64_t>(slots_[i] & 0xffffffffULL) - 1;
}

void ValueTable::block(uint32_t id) { blocked_[id] = 1; }

const char* rule_name(Outcome o) {
    switch (o) {
        case Outcome::kMerged:
            return "exact";
        case Outcome::kRefusedBlocked:
            return "refused:blocked";
        case Outcome::kRefusedMaxRecordsPerValue:
            return "refused:max_records_per_value";
        case Outcome::kRefusedMaxPerCustomer:
            return "refused:max_per_customer";
        case Outcome::kRefusedMaxClusterRecords:
            return "refused:max_cluster_records";
    }
    return "unknown";
}

void Engine::reserve(size_t nodes, size_t values) {
    nodes_.reserve(nodes);
    vstate_.reserve(values);
}

int32_t Engine::add_cluster(int64_t ext, int64_t min_record, int64_t record_count) {
    nodes_.push_back(Node{static_cast<int32_t>(nodes_.size()), ext, min_record, record_count, {}});
    return static_cast<int32_t>(nodes_.size() - 1);
}

void Engine::add_limited(Node& n, uint32_t value) {
    int t = values_.type_of(value);
    if (rules_.type(t).max_per_customer <= 0) return;
    uint64_t key = (static_cast<uint64_t>(t) << 32) | value;
    auto it = std::lower_bound(n.limited.begin(), n.limited.end(), key);
    if (it == n.limited.end() || *it != key) n.limited.insert(it, key);
}

void Engine::add_cluster_value(int32_t node, uint32_t value) {
    if (values_.blocked(value)) return;
    add_limited(nodes_[find(node)], value);
}

Engine::ValueState& Engine::state(uint32_t v) {
    if (v >= vstate_.size()) vstate_.resize(std::max<size_t>(v + 1, vstate_.size() * 2));
    return vstate_[v];
}

void Engine::add_holders(uint32_t value, int32_t node, int64_t count) {
    ValueState& s = state(value);
    s.holders += count;
    if (s.first < 0) {
        s.first = node;
        return;
    }
    if (s.more < 0) {
        s.more = static_cast<int32_t>(more_.size());
        more_.emplace_back();
    }
    more_[s.more].push_back(node);
}

void Engine::add_unlinked_holders(uint32_t value, int64_t count) { state(value).holders += count; }

int32_t Engine::find(int32_t x) {
    int32_t root = x;
    while (nodes_[root].parent != root) root = nodes_[root].parent;
    while (nodes_[x].parent != root) {
        int32_t next = nodes_[x].parent;
        nodes_[x].parent = root;
        x = next;
    }
    return root;
}

bool Engine::check(int32_t a, int32_t c, LinkEvent& ev) {
    const Node& na = nodes_[a];
    const Node& nc = nodes_[c];
    const int64_t maxc = rules_.max_cluster_records();
    if (maxc > 0 && na.count + nc.count > maxc) {
        ev.outcome = Outcome::kRefusedMaxClusterRecords;
        ev.would_be = na.count + nc.count;
        ev.limit = maxc;
        return false;
    }
    if (na.limited.empty() || nc.limited.empty()) return true;
    // Count distinct values per type in the union (both sorted by type, value).
    size_t i = 0, j = 0;
    int cur_type = -1;
    int64_t cnt = 0;
    auto flush = [&](int t) -> bool {
        if (cur_type >= 0 && cnt > rules_.type(cur_type).max_per_customer) {
            ev.outcome = Outcome::kRefusedMaxPerCustomer;
            ev.limited_type = cur_type;
            ev.would_be = cnt;
            ev.limit = rules_.type(cur_type).max_per_customer;
            return false;
        }
        cur_type = t;
        cnt = 0;
        return true;
    };
    while (i < na.limited.size() || j < nc.limited.size()) {
        uint64_t k;
        if (j >= nc.limited.size() || (i < na.limited.size() && na.limited[i] < nc.limited[j])) {
            k = na.limited[i++];
        } else if (i >= na.limited.size() || nc.limited[j] < na.limited[i]) {
            k = nc.limited[j++];
        } else {
            k = na.limited[i++];
            ++j;
        }
        int t = static_cast<int>(k >> 32);
        if (t != cur_type && !flush(t)) return false;
        ++cnt;
    }
    return flush(-1);
}

int32_t Engine::unite(int32_t a, int32_t c) {
    Node& na = nodes_[a];
    Node& nc = nodes_[c];
    std::vector<uint64_t> merged;
    merged.reserve(na.limited.size() + nc.limited.size());
    std::set_union(na.limited.begin(), na.limited.end(), nc.limited.begin(), nc.limited.end(),
                   std::back_inserter(merged));
    int64_t ext = na.ext == 0 ? nc.ext : (nc.ext == 0 ? na.ext : std::min(na.ext, nc.ext));
    int64_t minr = std::min(na.min_record, nc.min_record);
    int64_t cnt = na.count + nc.count;
    // Union by record count (the root is an internal choice; ext is what survives).
    int32_t root = na.count >= nc.count ? a : c;
    int32_t child = root == a ? c : a;
    nodes_[child].parent = root;
    std::vector<uint64_t>().swap(nodes_[child].limited);
    Node& nr = nodes_[root];
    nr.limited.swap(merged);
    nr.ext = ext;
    nr.min_record = minr;
    nr.count = cnt;
    return root;
}

int32_t Engine::process_record(int64_t record_id, std::vector<uint32_t> vals, int32_t node,
                               std::vector<LinkEvent>* events) {
    return process_record(record_id, vals.data(), vals.data() + vals.size(), node, events);
}

int32_t Engine::process_record(int64_t record_id, const uint32_t* begin, const uint32_t* end, int32_t node,
                               std::vector<LinkEvent>* events) {
    std::vector<uint32_t>& vals = vals_;
    vals.assign(begin, end);
    if (node < 0) node = add_cluster(0, record_id, 1);
    std::sort(vals.begin(), vals.end());
    vals.erase(std::unique(vals.begin(), vals.end()), vals.end());
    std::sort(vals.begin(), vals.end(), [&](uint32_t x, uint32_t y) {
        int tx = values_.type_of(x), ty = values_.type_of(y);
        if (tx != ty) return tx < ty;
        return values_.value_of(x) < values_.value_of(y);
    });
    {
        Node& own = nodes_[find(node)];
        own.limited.reserve(own.limited.size() + vals.size());  // one allocation, not one per growth step
        for (uint32_t v : vals)
            if (!values_.blocked(v)) add_limited(own, v);
    }

    for (uint32_t v : vals) {
        if (values_.blocked(v)) {
            if (events) {
                int32_t r = find(node);
                events->push_back(LinkEvent{Outcome::kRefusedBlocked, record_id, v, r, -1, nodes_[r].ext, 0});
            }
            continue;
        }
        ValueState& s = state(v);
        s.holders += 1;
        int32_t r = find(node);
        // Distinct clusters of the other holders (compacting the list).
        scratch_.clear();
        if (s.first >= 0) scratch_.push_back(find(s.first));
        if (s.more >= 0)
            for (int32_t x : more_[s.more]) scratch_.push_back(find(x));
        std::sort(scratch_.begin(), scratch_.end());
        scratch_.erase(std::unique(scratch_.begin(), scratch_.end()), scratch_.end());
        std::vector<int32_t>& cands = cands_;
        cands.clear();
        for (int32_t x : scratch_)
            if (x != r) cands.push_back(x);
        const int maxrpv = rules_.type(values_.type_of(v)).max_records_per_value;
        if (maxrpv > 0 && s.holders > maxrpv) {
            if (events && !cands.empty()) {
                LinkEvent ev{Outcome::kRefusedMaxRecordsPerValue,
                             record_id,
                             v,
                             r,
                             cands.front(),
                             nodes_[r].ext,
                             nodes_[cands.front()].ext};
                ev.would_be = s.holders;
                ev.limit = maxrpv;
                ev.refused_count = static_cast<int32_t>(cands.size());
                events->push_back(ev);
            }
            continue;
        }
        std::sort(cands.begin(), cands.end(),
                  [&](int32_t x, int32_t y) { return nodes_[x].min_record < nodes_[y].min_record; });
        for (int32_t c : cands) {
            r = find(node);
            LinkEvent ev{Outcome::kMerged, record_id, v, r, c, nodes_[r].ext, nodes_[c].ext};
            if (check(r, c, ev)) {
                unite(r, c);
                if (events) events->push_back(ev);
            } else if (events) {
                LinkEvent* last = events->empty() ? nullptr : &events->back();
                if (last && last->record_id == record_id && last->value == v && last->outcome == ev.outcome &&
                    last->limited_type == ev.limited_type)
                    last->refused_count++;
                else
                    events->push_back(ev);
            }
        }
        // Remember the holders' clusters, now including this record's.
        r = find(node);
        scratch_.clear();
        if (s.first >= 0) scratch_.push_back(find(s.first));
        if (s.more >= 0)
            for (int32_t x : more_[s.more]) scratch_.push_back(find(x));
        scratch_.push_back(r);
        std::sort(scratch_.begin(), scratch_.end());
        scratch_.erase(std::unique(scratch_.begin(), scratch_.end()), scratch_.end());
        ValueState& s2 = state(v);
        s2.first = scratch_[0];
        if (scratch_.size() > 1) {
            if (s2.more < 0) {
                s2.more = static_cast<int32_t>(more_.size());
                more_.emplace_back();
            }
            more_[s2.more].assign(scratch_.begin() + 1, scratch_.end());
        } else if (s2.more >= 0) {
            more_[s2.more].clear();
        }
    }
    return find(node);
}

std::vector<ChainStep> shortest_chain(const std::vector<std::vector<uint32_t>>& record_values, int32_t from,
                                      int32_t to) {
    const int32_t n = static_cast<int32_t>(record_values.size());
    if (from < 0 || to < 0 || from >= n || to >= n) return {};
    if (from == to) return {ChainStep{from, -1}};
    std::unordered_map<uint32_t, std::vector<int32_t>> holders;
    for (int32_t i = 0; i < n; ++i)
        for (uint32_t v : record_values[i]) holders[v].push_back(i);
    std::vector<int32_t> prev(n, -2);
    std::vector<int64_t> via(n, -1);
    std::deque<int32_t> queue{from};
    prev[from] = -1;
    cdp::interrupt::Ticker ticker(1024);
    std::unordered_map<uint32_t, bool> used;
    while (!queue.empty()) {
        int32_t cur = queue.front();
        queue.pop_front();
        if (cur == to) break;
        std::vector<uint32_t> vals = record_values[cur];
        std::sort(vals.begin(), vals.end());
        for (uint32_t v : vals) {
            ticker.tick();
            if (used[v]) continue;
            used[v] = true;
            for (int32_t nxt : holders[v]) {
                if (prev[nxt] != -2) continue;
                prev[nxt] = cur;
                via[nxt] = v;
                queue.push_back(nxt);
            }
        }
    }
    if (prev[to] == -2) return {};
    std::vector<ChainStep> chain;
    for (int32_t cur = to; cur != -1; cur = prev[cur]) chain.push_back(ChainStep{cur, via[cur]});
    std::reverse(chain.begin(), chain.end());
    return chain;
}

}  // namespace cdp::identity
