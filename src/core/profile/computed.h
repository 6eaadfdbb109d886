// Computed traits (cdp.create_computed_trait): a definition parser and its
// compiler to one SQL aggregate expression over cdp.events.
//
// Definition (a JSON object):
//   {"aggregate": "count" | "sum" | "avg" | "min" | "max" | "first" | "last"
//                 | "distinct" | "most_frequent" | "days_since",
//    "event":    "Order Completed" | ["A", "B"]      (optional: any event)
//    "type":     "track" | "page" | ...               (optional: any type)
//    "property": "revenue" | "products.0.sku" | "context.page.url"
//                (a path into properties, or into context with "context.")
//    "measure":  "order_value"  (instead of property: Segment e-commerce order
//                value = revenue, else total, else sum of price x quantity)
//    "within":   "90 days"   (optional: N minute|hour|day|week, singular or plural)
//    "where":    [{"property": path, "op": op, "value": v}, ...]
//    "trait":    name   (days_since only: a computed trait holding a timestamp)}
// Ops of "where": eq ne lt lte gt gte in not_in contains starts_with exists
// not_exists between (the segment DSL's).  Values are compared as jsonb.
//
// The compiled SQL reads the alias `e` (a row of cdp.events), the window
// clock as `{now}` (the caller substitutes its parameter), and never
// contains user text outside a quoted literal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cdp::profile {

enum class Aggregate { kCount, kSum, kAvg, kMin, kMax, kFirst, kLast, kDistinct, kMostFrequent, kDaysSince };

struct ComputedTrait {
    std::string name;
    Aggregate aggregate = Aggregate::kCount;
    int64_t within_seconds = 0;  // 0: all time
    std::string sql;             // aggregate expression (empty for days_since)
    std::string source_trait;    // days_since: the timestamp trait it reads
};

// Parses and compiles a definition; throws cdp::Error (22023) naming the JSON
// path of the bad part (e.g. "$.where[1].op") and, where useful, a hint.
ComputedTrait compile_computed_trait(std::string_view name, std::string_view definition_json);

// A trait name: 1-63 characters [a-z0-9_], starting with a letter.
bool valid_trait_name(std::string_view name);

// SQL string literal of s ('...' with quotes doubled; standard strings).
std::string sql_literal(std::string_view s);

// Built-in definitions (name, JSON), created by the install script.
struct Builtin {
    const char* name;
    const char* definition;
};
const std::vector<Builtin>& builtin_computed_traits();

}  // namespace cdp::profile
