// See computed.h.
#include "core/profile/computed.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/json.h"

namespace cdp::profile {

using json = nlohmann::json;

namespace {

constexpr int kMaxDepth = 32;
constexpr size_t kMaxPathParts = 16;
constexpr size_t kMaxWhere = 64;
constexpr size_t kMaxEvents = 256;

[[noreturn]] void bad(const std::string& path, const std::string& what, std::string hint = {}) {
    throw cdp::Error("computed trait definition: " + path + ": " + what,
                     cdp::sqlstate::kInvalidParameterValue, {}, std::move(hint));
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string jsonb_literal(const json& v) { return sql_literal(dump(v)) + "::jsonb"; }

// "revenue", "properties.revenue", "context.page.url", ["a.b", "c"].
std::string value_path(const json& p, const std::string& where) {
    std::vector<std::string> parts;
    if (p.is_string()) {
        const auto& s = p.get_ref<const std::string&>();
        if (s.empty()) bad(where, "an empty property path");
        size_t start = 0;
        while (true) {
            size_t dot = s.find('.', start);
            std::string part = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
            if (part.empty()) bad(where, "an empty part in the property path \"" + s + "\"");
            parts.push_back(part);
            if (dot == std::string::npos) break;
            start = dot + 1;
        }
    } else if (p.is_array()) {
        for (size_t i = 0; i < p.size(); ++i) {
            if (!p[i].is_string() || p[i].get_ref<const std::string&>().empty())
                bad(where + "[" + std::to_string(i) + "]", "a path element must be a non-empty string");
            parts.push_back(p[i].get<std::string>());
        }
        if (parts.empty()) bad(where, "an empty property path");
    } else {
        bad(where, "a property path must be a string (\"a.b\") or an array of strings");
    }
    std::string column = "e.properties";
    if (p.is_string() && parts.size() > 1 && (parts[0] == "properties" || parts[0] == "context")) {
        column = "e." + parts[0];
        parts.erase(parts.begin());
    }
    if (parts.size() > kMaxPathParts) bad(where, "a property path of more than 16 parts");
    std::string arr = "ARRAY[";
    for (size_t i = 0; i < parts.size(); ++i) arr += (i ? "," : "") + sql_literal(parts[i]);
    return "(" + column + " #> " + arr + "]::text[])";
}

std::string numeric_of(const std::string& x) {
    return "(CASE WHEN jsonb_typeof(" + x + ") = 'number' THEN (" + x + ")::numeric END)";
}

std::string present(const std::string& x) { return "(" + x + " IS NOT NULL AND " + x + " <> 'null'::jsonb)"; }

std::string condition(const json& c, const std::string& where) {
    if (!c.is_object()) bad(where, "a condition must be an object {\"property\", \"op\", \"value\"}");
    for (auto it = c.begin(); it != c.end(); ++it)
        if (it.key() != "property" && it.key() != "op" && it.key() != "value")
            bad(where + "." + it.key(), "unknown key", "A condition has \"property\", \"op\" and \"value\".");
    if (!c.contains("property")) bad(where, "\"property\" is missing");
    if (!c.contains("op")) bad(where, "\"op\" is missing");
    std::string x = value_path(c.at("property"), where + ".property");
    if (!c.at("op").is_string()) bad(where + ".op", "must be a string");
    const std::string op = c.at("op").get<std::string>();
    const bool has_v = c.contains("value");
    const json v = has_v ? c.at("value") : json();
    auto need_value = [&] {
        if (!has_v) bad(where, "\"value\" is missing for op \"" + op + "\"");
    };
    auto same_type = [&](const json& val) {
        return "jsonb_typeof(" + x + ") = jsonb_typeof(" + jsonb_literal(val) + ")";
    };
    if (op == "eq") {
        need_value();
        return "(" + x + " = " + jsonb_literal(v) + ")";
    }
    if (op == "ne") {
        need_value();
        return "(" + x + " IS DISTINCT FROM " + jsonb_literal(v) + ")";
    }
    if (op == "lt" || op == "lte" || op == "gt" || op == "gte") {
        need_value();
        if (!v.is_number() && !v.is_string())
            bad(where + ".value", "op " + op + " needs a number or a string");
        const char* sym = op == "lt" ? " < " : op == "lte" ? " <= " : op == "gt" ? " > " : " >= ";
        return "(" + same_type(v) + " AND " + x + sym + jsonb_literal(v) + ")";
    }
    if (op == "between") {
        need_value();
        const bool ok = v.is_array() && v.size() == 2 &&
                        ((v[0].is_number() && v[1].is_number()) || (v[0].is_string() && v[1].is_string()));
        if (!ok) bad(where + ".value", "op between needs [low, high] of one type (numbers or strings)");
        return "(" + same_type(v[0]) + " AND " + x + " >= " + jsonb_literal(v[0]) + " AND " + x +
               " <= " + jsonb_literal(v[1]) + ")";
    }
    if (op == "in" || op == "not_in") {
        need_value();
        if (!v.is_array() || v.empty()) bad(where + ".value", "op " + op + " needs a non-empty array");
        if (v.size() > 1000) bad(where + ".value", "more than 1000 values");
        std::string list = "ARRAY[";
        for (size_t i = 0; i < v.size(); ++i) list += (i ? "," : "") + jsonb_literal(v[i]);
        list += "]";
        if (op == "in") return "(" + x + " = ANY (" + list + "))";
        return "(" + x + " IS NULL OR NOT (" + x + " = ANY (" + list + ")))";
    }
    if (op == "contains") {
        need_value();
        std::string arr =
            "(jsonb_typeof(" + x + ") = 'array' AND " + x + " @> " + jsonb_literal(json::array({v})) + ")";
        if (!v.is_string()) return arr;
        return "(" + arr + " OR (jsonb_typeof(" + x + ") = 'string' AND strpos(" + x + " #>> '{}', " +
               sql_literal(v.get<std::string>()) + ") > 0))";
    }
    if (op == "starts_with") {
        need_value();
        if (!v.is_string()) bad(where + ".value", "op starts_with needs a string");
        return "(jsonb_typeof(" + x + ") = 'string' AND starts_with(" + x + " #>> '{}', " +
               sql_literal(v.get<std::string>()) + "))";
    }
    if (op == "exists") return present(x);
    if (op == "not_exists") return "(NOT " + present(x) + ")";
    bad(where + ".op", "unknown op \"" + op + "\"",
        "Ops: eq ne lt lte gt gte in not_in contains starts_with exists not_exists between.");
}

int64_t parse_within(const json& w, const std::string& where) {
    if (!w.is_string()) bad(where, "must be a string such as \"90 days\"");
    const std::string s = w.get<std::string>();
    size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    size_t d0 = i;
    int64_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        n = n * 10 + (s[i] - '0');
        if (n > 100000000) bad(where, "\"" + s + "\" is too long a window");
        ++i;
    }
    if (i == d0 || n == 0)
        bad(where, "\"" + s + "\" must start with a positive whole number",
            "Examples: \"30 days\", \"12 hours\", \"2 weeks\".");
    while (i < s.size() && s[i] == ' ') ++i;
    std::string unit = s.substr(i);
    while (!unit.empty() && unit.back() == ' ') unit.pop_back();
    if (unit.size() > 1 && unit.back() == 's') unit.pop_back();
    int64_t mult = unit == "minute" ? 60
                   : unit == "hour" ? 3600
                   : unit == "day"  ? 86400
                   : unit == "week" ? 604800
                                    : 0;
    if (mult == 0) bad(where, "unknown unit in \"" + s + "\"", "Units: minutes, hours, days, weeks.");
    if (n * mult > int64_t(100) * 366 * 86400) bad(where, "\"" + s + "\" is longer than 100 years");
    return n * mult;
}

}  // namespace

std::string sql_literal(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

bool valid_trait_name(std::string_view name) {
    if (name.empty() || name.size() > 63) return false;
    if (!(name[0] >= 'a' && name[0] <= 'z')) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

ComputedTrait compile_computed_trait(std::string_view name, std::string_view text) {
    if (!valid_trait_name(name))
        throw cdp::Error("invalid computed trait name \"" + std::string(name.substr(0, 100)) + "\"",
                         cdp::sqlstate::kInvalidParameterValue, {},
                         "1-63 characters a-z, 0-9, _, starting with a letter.");
    if (cdp::json::deeper_than(text, kMaxDepth)) bad("$", "nested deeper than 32 levels");
    json d = json::parse(text.begin(), text.end(), nullptr, false);
    if (d.is_discarded()) bad("$", "not valid JSON");
    if (!d.is_object()) bad("$", "a definition must be a JSON object");
    static const char* const kKeys[] = {"aggregate", "event",  "type",  "property",
                                        "measure",   "within", "where", "trait"};
    for (auto it = d.begin(); it != d.end(); ++it) {
        bool ok = false;
        for (const char* k : kKeys) ok = ok || it.key() == k;
        if (!ok)
            bad("$." + it.key(), "unknown key",
                "Keys: aggregate, event, type, property, measure, within, where, trait.");
    }
    ComputedTrait t;
    t.name = std::string(name);
    if (!d.contains("aggregate")) bad("$", "\"aggregate\" is missing");
    if (!d.at("aggregate").is_string()) bad("$.aggregate", "must be a string");
    const std::string agg = d.at("aggregate").get<std::string>();
    static const std::pair<const char*, Aggregate> kAggs[] = {{"count", Aggregate::kCount},
                                                              {"sum", Aggregate::kSum},
                                                              {"avg", Aggregate::kAvg},
                                                              {"min", Aggregate::kMin},
                                                              {"max", Aggregate::kMax},
                                                              {"first", Aggregate::kFirst},
                                                              {"last", Aggregate::kLast},
                                                              {"distinct", Aggregate::kDistinct},
                                                              {"most_frequent", Aggregate::kMostFrequent},
                                                              {"days_since", Aggregate::kDaysSince}};
    bool found = false;
    for (const auto& [n, a] : kAggs)
        if (agg == n) {
            t.aggregate = a;
            found = true;
        }
    if (!found)
        bad("$.aggregate", "unknown aggregate \"" + agg + "\"",
            "Aggregates: count, sum, avg, min, max, first, last, distinct, most_frequent, days_since.");

    if (t.aggregate == Aggregate::kDaysSince) {
        for (auto it = d.begin(); it != d.end(); ++it)
            if (it.key() != "aggregate" && it.key() != "trait")
                bad("$." + it.key(), "days_since takes only \"trait\"");
        if (!d.contains("trait") || !d.at("trait").is_string() ||
            !valid_trait_name(d.at("trait").get<std::string>()))
            bad("$.trait", "days_since needs \"trait\": the name of a computed trait holding a timestamp");
        t.source_trait = d.at("trait").get<std::string>();
        if (t.source_trait == t.name) bad("$.trait", "a trait cannot read itself");
        return t;
    }
    if (d.contains("trait")) bad("$.trait", "only days_since takes \"trait\"");

    // Filter of the events that count.
    std::vector<std::string> conds;
    if (d.contains("event")) {
        const json& ev = d.at("event");
        if (ev.is_string()) {
            conds.push_back("e.event = " + sql_literal(ev.get<std::string>()));
        } else if (ev.is_array() && !ev.empty() && ev.size() <= kMaxEvents) {
            std::string list;
            for (size_t i = 0; i < ev.size(); ++i) {
                if (!ev[i].is_string())
                    bad("$.event[" + std::to_string(i) + "]", "an event name must be a string");
                list += (i ? "," : "") + sql_literal(ev[i].get<std::string>());
            }
            conds.push_back("e.event IN (" + list + ")");
        } else {
            bad("$.event", "an event name or a non-empty array of at most 256 names");
        }
    }
    if (d.contains("type")) {
        const json& ty = d.at("type");
        static const char* const kTypes[] = {"identify", "track", "page", "screen", "group", "alias"};
        bool ok = false;
        if (ty.is_string())
            for (const char* k : kTypes) ok = ok || ty.get<std::string>() == k;
        if (!ok) bad("$.type", "one of identify, track, page, screen, group, alias");
        conds.push_back("e.type = " + sql_literal(ty.get<std::string>()));
    }
    if (d.contains("within")) {
        t.within_seconds = parse_within(d.at("within"), "$.within");
        conds.push_back("e.occurred_at > {now} - interval '" + std::to_string(t.within_seconds) +
                        " seconds'");
    }
    if (d.contains("where")) {
        const json& w = d.at("where");
        if (!w.is_array()) bad("$.where", "must be an array of conditions");
        if (w.size() > kMaxWhere) bad("$.where", "more than 64 conditions");
        for (size_t i = 0; i < w.size(); ++i)
            conds.push_back(condition(w[i], "$.where[" + std::to_string(i) + "]"));
    }

    // The value aggregated.
    if (d.contains("property") && d.contains("measure"))
        bad("$.measure", "give either property or measure, not both");
    std::string x;    // jsonb value, or empty (no property)
    std::string num;  // numeric value
    if (d.contains("measure")) {
        if (!d.at("measure").is_string() || d.at("measure").get<std::string>() != "order_value")
            bad("$.measure", "the only measure is \"order_value\"");
        // Inline (a SQL function call per event costs more than the whole
        // aggregate); the same rule as cdp._order_value().
        num =
            "(CASE WHEN jsonb_typeof(e.properties -> 'revenue') = 'number' THEN (e.properties -> "
            "'revenue')::numeric "
            "WHEN jsonb_typeof(e.properties -> 'total') = 'number' THEN (e.properties -> 'total')::numeric "
            "WHEN jsonb_typeof(e.properties -> 'products') = 'array' THEN (SELECT sum((p -> "
            "'price')::numeric * "
            "CASE WHEN jsonb_typeof(p -> 'quantity') = 'number' THEN (p -> 'quantity')::numeric ELSE 1 END) "
            "FROM jsonb_array_elements(e.properties -> 'products') AS p WHERE jsonb_typeof(p -> 'price') = "
            "'number') END)";
        x = "to_jsonb(" + num + ")";
    } else if (d.contains("property")) {
        x = value_path(d.at("property"), "$.property");
        num = numeric_of(x);
    }
    std::string f = "e.event_id IS NOT NULL";
    for (const auto& c : conds) f += " AND " + c;
    const std::string F = " FILTER (WHERE " + f + ")";
    const std::string Fx = x.empty() ? F : " FILTER (WHERE " + f + " AND " + present(x) + ")";
    switch (t.aggregate) {
        case Aggregate::kCount:
            t.sql = "to_jsonb(count(*)" + Fx + ")";
            break;
        case Aggregate::kSum:
        case Aggregate::kAvg:
            if (num.empty()) bad("$", "aggregate " + agg + " needs \"property\" or \"measure\"");
            t.sql = t.aggregate == Aggregate::kSum ? "to_jsonb(coalesce(sum(" + num + ")" + F + ", 0))"
                                                   : "to_jsonb(avg(" + num + ")" + F + ")";
            break;
        case Aggregate::kMin:
        case Aggregate::kMax: {
            const char* fn = t.aggregate == Aggregate::kMin ? "min(" : "max(";
            t.sql = num.empty() ? "to_jsonb(" + std::string(fn) + "e.occurred_at)" + F + ")"
                                : "to_jsonb(" + std::string(fn) + num + ")" + F + ")";
            break;
        }
        case Aggregate::kFirst:
        case Aggregate::kLast: {
            const bool first = t.aggregate == Aggregate::kFirst;
            if (x.empty()) {
                t.sql = std::string("to_jsonb(") + (first ? "min" : "max") + "(e.occurred_at)" + F + ")";
            } else {
                t.sql = "(array_agg(" + x + " ORDER BY e.occurred_at" + (first ? "" : " DESC") +
                        ", e.event_id" + (first ? "" : " DESC") + ")" + Fx + ")[1]";
            }
            break;
        }
        case Aggregate::kDistinct:
            t.sql = x.empty() ? "to_jsonb(count(DISTINCT e.event)" + F + ")"
                              : "to_jsonb(count(DISTINCT " + x + ")" + Fx + ")";
            break;
        case Aggregate::kMostFrequent:
            t.sql = x.empty() ? "to_jsonb(mode() WITHIN GROUP (ORDER BY e.event)" + F + ")"
                              : "(mode() WITHIN GROUP (ORDER BY " + x + ")" + Fx + ")";
            break;
        case Aggregate::kDaysSince:
            break;
    }
    return t;
}

const std::vector<Builtin>& builtin_computed_traits() {
    static const std::vector<Builtin> kBuiltins = {
        {"rfm_frequency", R"({"aggregate":"count","event":"Order Completed"})"},
        {"rfm_monetary", R"({"aggregate":"sum","event":"Order Completed","measure":"order_value"})"},
        {"rfm_last_order_at", R"({"aggregate":"last","event":"Order Completed"})"},
        {"rfm_recency_days", R"({"aggregate":"days_since","trait":"rfm_last_order_at"})"},
    };
    return kBuiltins;
}

}  // namespace cdp::profile
