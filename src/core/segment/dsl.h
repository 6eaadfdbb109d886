// The segment rule language (DESIGN.md section 6): a JSON definition parsed
// with a depth limit into a typed AST, validated (errors name the JSON path
// of the offending part and what was expected) and compiled to one SQL
// predicate over a customer.
//
// Definition grammar (every node is a JSON object):
//   {"all": [node, ...]}   {"any": [node, ...]}   {"not": node}
//   {"trait": name, "op": op, "value": v, "ci": bool, "type": kind}
//   {"computed": name, "op": op, "value": v, "ci": bool, "type": kind}
//   {"event": name | [names], "type": "track"|..., "within": "30 days",
//    "count": {"gte": 2, ...}, "where": [{"property": path, "op": op, "value": v, "ci": bool, "type": kind}]}
//   {"consent": purpose, "granted": true|false}
//   {"identifier": id_type, "op": op, "value": v, "ci": bool}
//   {"segment": name}
// Ops: eq ne lt lte gt gte in not_in contains starts_with exists not_exists
// between.  A value's JSON type decides the comparison (override with
// "type": "number" | "string" | "date" | "boolean"): numbers compare as
// numbers (a trait holding a numeric string counts), strings as strings
// (case-sensitive, byte order; "ci": true folds case), strings that are
// ISO-8601 dates or relative dates ("now", "now-30 days", "now+2 weeks";
// units minute hour day week month year) as points in time.
//
// Generated SQL: the predicate reads the alias `p` (a row of cdp.profiles:
// the customers a segment selects from are the profiled ones); `$1` is the
// clock (timestamptz), every user value is an element of the text array
// `$2` (`($2::text[])[k]`), `$3` the int8[] of customers a subset
// evaluation is restricted to.  No user text ever appears in the SQL text.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cdp::segment {

// ---- AST
enum class Op {
    kEq,
    kNe,
    kLt,
    kLte,
    kGt,
    kGte,
    kIn,
    kNotIn,
    kContains,
    kStartsWith,
    kExists,
    kNotExists,
    kBetween
};
enum class Kind { kNone, kNumber, kString, kDate, kBool };

// A point in time: absolute (micros since the epoch) or relative to now.
struct TimeValue {
    bool relative = false;
    int64_t micros = 0;  // absolute
    int64_t months = 0;  // relative: now + months + seconds
    int64_t seconds = 0;
};

struct Scalar {
    Kind kind = Kind::kNone;
    std::string text;  // number (JSON text), string, "true"/"false"
    TimeValue time;    // kDate
};

struct Comparison {
    Op op = Op::kExists;
    Kind kind = Kind::kNone;  // kNone for exists / not_exists
    bool ci = false;
    std::vector<Scalar> values;  // 1 (most ops), 2 (between), n (in / not_in)
};

struct CountCmp {
    Op op;
    int64_t a = 0, b = 0;  // b: between's upper bound
};

struct Node {
    enum Type { kAll, kAny, kNot, kTrait, kComputed, kEvent, kConsent, kIdentifier, kSegment } type = kAll;
    std::string path;  // JSON path of this node ("$.all[1]")
    std::vector<std::unique_ptr<Node>> children;
    // trait / computed / identifier: the key; consent: purpose; segment: name
    std::string name;
    Comparison cmp;
    // event
    std::vector<std::string> events;
    std::string event_type;
    int64_t within_seconds = 0;  // 0: all time
    std::vector<CountCmp> count;
    struct Filter {
        std::vector<std::string> column_path;  // first element "properties" or "context"
        Comparison cmp;
    };
    std::vector<Filter> where;
    bool granted = true;  // consent
};

// Parses and validates; throws cdp::Error (22023) naming the JSON path of the
// bad part ("segment definition: $.all[2].op: unknown op \"equals\"").
std::unique_ptr<Node> parse(std::string_view definition_json);

// ---- compiled form
struct Compiled {
    std::string predicate;              // boolean SQL over p with $1, $2 (and $3 in subset_sql)
    std::string sql;                    // SELECT p.customer_id FROM cdp.profiles p WHERE predicate  ($1, $2)
    std::string subset_sql;             // the same restricted to p.customer_id = ANY($3::int8[])
    std::vector<std::string> params;    // elements of $2, in order
    std::string readable;               // sql with every value inlined as a quoted literal, now() for $1
    std::vector<std::string> segments;  // nested segments referenced (distinct, in order)
    std::vector<int64_t> windows;       // distinct event windows in seconds
    // Per event condition with a window: its events, for the boundary scan
    // of incremental refresh (customers with such an event whose window
    // edge passed since the last run).
    struct Boundary {
        int64_t within_seconds;
        std::vector<std::string> events;
    };
    std::vector<Boundary> boundaries;
    // False when the definition depends on the clock other than through
    // event windows (relative dates): incremental refresh cannot bound it.
    bool incremental = true;
};

Compiled compile(std::string_view definition_json);

// {"sql":…, "subset_sql":…, "params":[…], "readable":…, "segments":[…],
//  "windows":[…], "boundaries":[{"within":s,"events":[…]}], "incremental":bool}
std::string compiled_json(const Compiled& c);

// SQL string literal that reads the same whatever standard_conforming_strings
// says: E'…' with quotes and backslashes doubled.
std::string quote_literal(std::string_view s);

// Parses "30 days" (N minute|hour|day|week, singular or plural); seconds.
// Throws cdp::Error naming `path`.
int64_t parse_window(std::string_view s, const std::string& path);

// Canonical ISO-8601 text (UTC, microseconds) of micros since the epoch.
std::string iso_utc(int64_t micros);

}  // namespace cdp::segment
