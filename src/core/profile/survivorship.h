// Survivorship: which value of a trait the profile keeps when the records of
// one customer disagree (DESIGN.md section 5, cdp.trait_rules).
//
// Pure C++ (no database): the glue reads the records of a customer and the
// rules, calls build_profile() and writes the result and the changes.
//
// Rules (a trait without a rule uses most_recent):
//   most_recent      value of the most recent record (record time, then
//                    record_id: the later record wins a tie)
//   source_priority  value of the most trusted source (priority 1 first);
//                    ties by most_recent
//   most_frequent    value held by the most records; ties by most_recent
//   first_seen       value of the earliest record (first time, then the
//                    smaller record_id)
//   max / min        largest / smallest value in jsonb order (null < string
//                    < number < boolean < array < object; strings by bytes,
//                    numbers numerically); ties by most_recent
//   union            every element of every record's value (arrays are
//                    flattened one level, scalars count as one element),
//                    de-duplicated, in order of first appearance when the
//                    records are taken oldest first
// A JSON null value counts as "not held by this record" (a re-upsert that
// sets a trait to null removes the record's value).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cdp::profile {

enum class Rule { kMostRecent, kSourcePriority, kMostFrequent, kFirstSeen, kMax, kMin, kUnion };

std::optional<Rule> parse_rule(std::string_view name);
const char* rule_name(Rule r);
// Comma-separated names of every rule (for error hints).
const char* rule_names();

struct RecordInput {
    int64_t record_id = 0;
    int32_t source_priority = 100;  // cdp.sources.priority, 1 = most trusted
    int64_t first_at = 0;           // microseconds: when the record was first seen
    int64_t last_at = 0;            // microseconds: the record's event/update time
    std::string traits_json;        // the record's traits (a JSON object)
};

using RuleMap = std::map<std::string, Rule, std::less<>>;

struct TraitChange {
    std::string trait;
    std::optional<std::string> old_json;  // nullopt: the trait was absent
    std::optional<std::string> new_json;  // nullopt: the trait is gone
    int64_t record_id = 0;                // record that supplied new_json (0: several / none)
};

struct ProfileResult {
    std::string traits_json;           // the surviving traits (a JSON object)
    std::vector<TraitChange> changes;  // versus old_traits_json, by trait name
};

// The profile traits of one customer from its records.  old_traits_json is
// the profile before (empty string: none).  Malformed record traits that are
// not an object are ignored (records.traits is always an object).
ProfileResult build_profile(const std::vector<RecordInput>& records, const RuleMap& rules,
                            std::string_view old_traits_json);

// jsonb order of two JSON texts (-1, 0, 1); exposed for tests.
int compare_json_text(std::string_view a, std::string_view b);

}  // namespace cdp::profile
