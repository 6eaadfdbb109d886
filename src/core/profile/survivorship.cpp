// See survivorship.h.
#include "core/profile/survivorship.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "core/common/error.h"
#include "core/common/json.h"

namespace cdp::profile {

using json = nlohmann::json;

namespace {

constexpr struct {
    const char* name;
    Rule rule;
} kRules[] = {{"most_recent", Rule::kMostRecent},
              {"source_priority", Rule::kSourcePriority},
              {"most_frequent", Rule::kMostFrequent},
              {"first_seen", Rule::kFirstSeen},
              {"max", Rule::kMax},
              {"min", Rule::kMin},
              {"union", Rule::kUnion}};

// Record traits are jsonb already, so nesting is bounded by Postgres; the
// limit here protects direct callers of the core.
constexpr int kMaxDepth = 200;

json parse_object(std::string_view s) {
    if (s.empty() || cdp::json::deeper_than(s, kMaxDepth)) return json::object();
    json j = json::parse(s.begin(), s.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return json::object();
    return j;
}

// jsonb type rank: Null < String < Number < Boolean < Array < Object.
int rank(const json& j) {
    switch (j.type()) {
        case json::value_t::null:
            return 0;
        case json::value_t::string:
            return 1;
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return 2;
        case json::value_t::boolean:
            return 3;
        case json::value_t::array:
            return 4;
        default:
            return 5;
    }
}

// jsonb stores object keys shorter first, then bytewise.
bool jsonb_key_less(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return a.size() < b.size();
    return a < b;
}

int cmp(const json& a, const json& b) {
    int ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb ? -1 : 1;
    switch (ra) {
        case 0:
            return 0;
        case 1: {
            const auto& x = a.get_ref<const std::string&>();
            const auto& y = b.get_ref<const std::string&>();
            int c = x.compare(y);
            return c < 0 ? -1 : c > 0 ? 1 : 0;
        }
        case 2: {
            if (a.is_number_integer() && b.is_number_integer()) {
                auto x = a.get<int64_t>(), y = b.get<int64_t>();
                return x < y ? -1 : x > y ? 1 : 0;
            }
            double x = a.get<double>(), y = b.get<double>();
            return x < y ? -1 : x > y ? 1 : 0;
        }
        case 3: {
            bool x = a.get<bool>(), y = b.get<bool>();
            return x == y ? 0 : (x ? 1 : -1);
        }
        case 4: {
            if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
            for (size_t i = 0; i < a.size(); ++i)
                if (int c = cmp(a[i], b[i])) return c;
            return 0;
        }
        default: {
            if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
            std::vector<std::string> ka, kb;
            for (auto it = a.begin(); it != a.end(); ++it) ka.push_back(it.key());
            for (auto it = b.begin(); it != b.end(); ++it) kb.push_back(it.key());
            std::sort(ka.begin(), ka.end(), jsonb_key_less);
            std::sort(kb.begin(), kb.end(), jsonb_key_less);
            for (size_t i = 0; i < ka.size(); ++i) {
                if (ka[i] != kb[i]) return jsonb_key_less(ka[i], kb[i]) ? -1 : 1;
            }
            for (const auto& k : ka)
                if (int c = cmp(a.at(k), b.at(k))) return c;
            return 0;
        }
    }
}

struct Obs {
    const RecordInput* rec;
    const json* value;
};

// Recency order: later time, then larger record_id, is "more recent".
bool more_recent(const Obs& a, const Obs& b) {
    if (a.rec->last_at != b.rec->last_at) return a.rec->last_at > b.rec->last_at;
    return a.rec->record_id > b.rec->record_id;
}

bool earlier_seen(const Obs& a, const Obs& b) {
    if (a.rec->first_at != b.rec->first_at) return a.rec->first_at < b.rec->first_at;
    return a.rec->record_id < b.rec->record_id;
}

const Obs* survive_obs(Rule rule, std::vector<Obs>& obs);

json survive(Rule rule, std::vector<Obs>& obs, int64_t& from) {
    from = 0;
    if (rule != Rule::kUnion) {
        const Obs* o = survive_obs(rule, obs);
        from = o->rec->record_id;
        return *o->value;
    }
    std::sort(obs.begin(), obs.end(), more_recent);
    json out = json::array();
    auto add = [&](const json& v) {
        if (v.is_null()) return;
        for (const auto& x : out)
            if (cmp(x, v) == 0) return;
        out.push_back(v);
    };
    for (auto it = obs.rbegin(); it != obs.rend(); ++it) {
        const json& v = *it->value;
        if (v.is_array())
            for (const auto& x : v) add(x);
        else
            add(v);
    }
    return out;
}

const Obs* survive_obs(Rule rule, std::vector<Obs>& obs) {
    // obs is non-empty; sort most recent first so that "ties by recency"
    // means "first in this order".
    std::sort(obs.begin(), obs.end(), more_recent);
    switch (rule) {
        case Rule::kMostRecent:
            return &obs.front();
        case Rule::kSourcePriority: {
            const Obs* best = &obs.front();
            for (const auto& o : obs)
                if (o.rec->source_priority < best->rec->source_priority) best = &o;
            return best;
        }
        case Rule::kMostFrequent: {
            // Count per distinct value; first (most recent) wins ties.
            std::vector<std::pair<const Obs*, int>> counts;
            for (const auto& o : obs) {
                auto it = std::find_if(counts.begin(), counts.end(),
                                       [&](const auto& p) { return cmp(*p.first->value, *o.value) == 0; });
                if (it == counts.end())
                    counts.emplace_back(&o, 1);
                else
                    ++it->second;
            }
            const auto* best = &counts.front();
            for (const auto& c : counts)
                if (c.second > best->second) best = &c;
            return best->first;
        }
        case Rule::kFirstSeen: {
            const Obs* best = &obs.front();
            for (const auto& o : obs)
                if (earlier_seen(o, *best)) best = &o;
            return best;
        }
        case Rule::kMax:
        case Rule::kMin: {
            const Obs* best = &obs.front();
            for (const auto& o : obs) {
                int c = cmp(*o.value, *best->value);
                if (rule == Rule::kMax ? c > 0 : c < 0) best = &o;
            }
            return best;
        }
        case Rule::kUnion:
            break;
    }
    return &obs.front();
}

}  // namespace

std::optional<Rule> parse_rule(std::string_view name) {
    for (const auto& r : kRules)
        if (name == r.name) return r.rule;
    return std::nullopt;
}

const char* rule_name(Rule r) {
    for (const auto& x : kRules)
        if (x.rule == r) return x.name;
    return "most_recent";
}

const char* rule_names() {
    return "most_recent, source_priority, most_frequent, first_seen, max, min, union";
}

int compare_json_text(std::string_view a, std::string_view b) {
    json x = json::parse(a.begin(), a.end(), nullptr, false);
    json y = json::parse(b.begin(), b.end(), nullptr, false);
    return cmp(x, y);
}

ProfileResult build_profile(const std::vector<RecordInput>& records, const RuleMap& rules,
                            std::string_view old_traits_json) {
    std::vector<json> parsed;
    parsed.reserve(records.size());
    for (const auto& r : records) parsed.push_back(parse_object(r.traits_json));
    // trait -> observations (non-null values), in key order.
    std::map<std::string, std::vector<Obs>> by_trait;
    for (size_t i = 0; i < records.size(); ++i)
        for (auto it = parsed[i].begin(); it != parsed[i].end(); ++it)
            if (!it.value().is_null()) by_trait[it.key()].push_back(Obs{&records[i], &it.value()});
    json out = json::object();
    std::map<std::string, int64_t> from_record;
    for (auto& [trait, obs] : by_trait) {
        auto r = rules.find(trait);
        int64_t from = 0;
        out[trait] = survive(r == rules.end() ? Rule::kMostRecent : r->second, obs, from);
        from_record[trait] = from;
    }
    ProfileResult res;
    res.traits_json = out.dump();
    json old = parse_object(old_traits_json);
    // Changes: keys of old and new in name order.
    std::set<std::string> keys;
    for (auto it = old.begin(); it != old.end(); ++it) keys.insert(it.key());
    for (auto it = out.begin(); it != out.end(); ++it) keys.insert(it.key());
    for (const auto& k : keys) {
        auto o = old.find(k);
        auto n = out.find(k);
        bool has_o = o != old.end(), has_n = n != out.end();
        if (has_o && has_n && cmp(*o, *n) == 0) continue;
        TraitChange c;
        c.trait = k;
        if (has_o) c.old_json = o->dump();
        if (has_n) {
            c.new_json = n->dump();
            c.record_id = from_record[k];
        }
        res.changes.push_back(std::move(c));
    }
    return res;
}

}  // namespace cdp::profile
