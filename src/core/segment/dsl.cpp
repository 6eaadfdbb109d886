// See dsl.h.
#include "core/segment/dsl.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/json.h"
#include "core/ingest/timestamp.h"

namespace cdp::segment {

using json = nlohmann::json;

namespace {

constexpr int kMaxDepth = 32;
constexpr size_t kMaxNodes = 500;
constexpr size_t kMaxList = 1000;
constexpr size_t kMaxPathParts = 16;
constexpr size_t kMaxText = 1000;

[[noreturn]] void bad(const std::string& path, const std::string& what, std::string hint = {}) {
    throw cdp::Error("segment definition: " + path + ": " + what, cdp::sqlstate::kInvalidParameterValue, {},
                     std::move(hint));
}

std::string shown(const json& j) {
    std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

std::string key_path(const std::string& path, const std::string& key) {
    bool plain = !key.empty();
    for (char c : key) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    return plain ? path + "." + key : path + "[" + cdp::json::quote(key.substr(0, 60)) + "]";
}

const char* const kOpNames[] = {"eq",     "ne",       "lt",          "lte",    "gt",         "gte",    "in",
                                "not_in", "contains", "starts_with", "exists", "not_exists", "between"};
const char* const kOpList = "eq ne lt lte gt gte in not_in contains starts_with exists not_exists between";

std::string op_name(Op op) { return kOpNames[static_cast<int>(op)]; }

Op parse_op(const json& j, const std::string& path) {
    if (!j.is_string())
        bad(path, "expected an op (a string), got " + shown(j), std::string("Ops: ") + kOpList + ".");
    const auto& s = j.get_ref<const std::string&>();
    for (int i = 0; i < 13; ++i)
        if (s == kOpNames[i]) return static_cast<Op>(i);
    bad(path, "unknown op " + shown(j), std::string("Ops: ") + kOpList + ".");
}

// "now", "now-30 days", "now + 2 weeks"
bool parse_relative(const std::string& s, TimeValue& out) {
    size_t i = 0;
    auto ws = [&] {
        while (i < s.size() && s[i] == ' ') ++i;
    };
    ws();
    if (s.compare(i, 3, "now") != 0) return false;
    i += 3;
    ws();
    out = TimeValue{};
    out.relative = true;
    if (i == s.size()) return true;
    int sign = 0;
    if (s[i] == '-') sign = -1;
    if (s[i] == '+') sign = 1;
    if (sign == 0) return false;
    ++i;
    ws();
    size_t d0 = i;
    int64_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        n = n * 10 + (s[i] - '0');
        if (n > 1000000) return false;
        ++i;
    }
    if (i == d0) return false;
    ws();
    std::string unit = s.substr(i);
    while (!unit.empty() && unit.back() == ' ') unit.pop_back();
    if (unit.size() > 1 && unit.back() == 's') unit.pop_back();
    if (unit == "minute")
        out.seconds = n * 60;
    else if (unit == "hour")
        out.seconds = n * 3600;
    else if (unit == "day")
        out.seconds = n * 86400;
    else if (unit == "week")
        out.seconds = n * 604800;
    else if (unit == "month")
        out.months = n;
    else if (unit == "year")
        out.months = n * 12;
    else
        return false;
    if (out.months > 1200 || out.seconds > int64_t(36600) * 86400) return false;
    out.seconds *= sign;
    out.months *= sign;
    return true;
}

bool looks_relative(const std::string& s) {
    size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    return s.compare(i, 3, "now") == 0;
}

Scalar parse_scalar(const json& v, Kind forced, const std::string& path) {
    Scalar out;
    if (v.is_number()) {
        if (forced != Kind::kNone && forced != Kind::kNumber)
            bad(path, "expected a " +
                          std::string(forced == Kind::kString ? "string"
                                      : forced == Kind::kDate ? "date"
                                                              : "boolean") +
                          ", got " + shown(v));
        if (v.is_number_float() && !std::isfinite(v.get<double>())) bad(path, "expected a finite number");
        out.kind = Kind::kNumber;
        out.text = v.dump();
        return out;
    }
    if (v.is_boolean()) {
        if (forced != Kind::kNone && forced != Kind::kBool)
            bad(path, "expected a non-boolean value, got " + shown(v));
        out.kind = Kind::kBool;
        out.text = v.get<bool>() ? "true" : "false";
        return out;
    }
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        if (s.size() > kMaxText) bad(path, "a string of more than 1000 bytes");
        out.text = s;
        if (forced == Kind::kNumber) {
            bad(path, "expected a number, got " + shown(v));
        } else if (forced == Kind::kBool) {
            bad(path, "expected a boolean, got " + shown(v));
        } else if (forced == Kind::kString) {
            out.kind = Kind::kString;
            return out;
        }
        TimeValue t;
        if (parse_relative(s, t)) {
            out.kind = Kind::kDate;
            out.time = t;
            return out;
        }
        if (looks_relative(s))
            bad(path, "bad relative date " + shown(v),
                "Write \"now\", \"now-30 days\", \"now+2 weeks\" (units: minutes, hours, days, weeks, "
                "months, years).");
        auto m = cdp::ingest::parse_iso8601(s);
        if (m && cdp::ingest::in_range(*m)) {
            out.kind = Kind::kDate;
            out.time.micros = *m;
            return out;
        }
        if (forced == Kind::kDate)
            bad(path,
                "expected a date (ISO-8601 such as \"2024-05-01\" or \"now-30 days\"), got " + shown(v));
        out.kind = Kind::kString;
        return out;
    }
    bad(path, "expected a number, a string or a boolean, got " + shown(v),
        "To test for a missing value use op exists / not_exists.");
}

Kind parse_kind(const json& obj, const std::string& path) {
    if (!obj.contains("type")) return Kind::kNone;
    const json& t = obj.at("type");
    std::string p = path + ".type";
    if (!t.is_string()) bad(p, "expected one of \"number\", \"string\", \"date\", \"boolean\"");
    const auto& s = t.get_ref<const std::string&>();
    if (s == "number") return Kind::kNumber;
    if (s == "string") return Kind::kString;
    if (s == "date") return Kind::kDate;
    if (s == "boolean") return Kind::kBool;
    bad(p, "expected one of \"number\", \"string\", \"date\", \"boolean\", got " + shown(t));
}

// op / value / ci / type of a comparison object.
Comparison parse_comparison(const json& obj, const std::string& path, bool identifier, bool allow_type) {
    Comparison c;
    if (!obj.contains("op")) bad(path, "\"op\" is missing", std::string("Ops: ") + kOpList + ".");
    c.op = parse_op(obj.at("op"), path + ".op");
    if (obj.contains("ci")) {
        if (!obj.at("ci").is_boolean())
            bad(path + ".ci", "expected true or false, got " + shown(obj.at("ci")));
        c.ci = obj.at("ci").get<bool>();
    }
    Kind forced = allow_type ? parse_kind(obj, path) : Kind::kNone;
    if (identifier) forced = Kind::kString;
    const bool has_v = obj.contains("value");
    const std::string vp = path + ".value";
    if (c.op == Op::kExists || c.op == Op::kNotExists) {
        if (has_v) bad(vp, "op " + op_name(c.op) + " takes no value");
        return c;
    }
    if (!has_v) bad(path, "\"value\" is missing for op " + op_name(c.op));
    const json& v = obj.at("value");
    auto one = [&](const json& x, const std::string& p) {
        Scalar s =
            (identifier && x.is_number()) ? Scalar{Kind::kString, x.dump(), {}} : parse_scalar(x, forced, p);
        if (identifier && s.kind != Kind::kString) s.kind = Kind::kString;
        return s;
    };
    switch (c.op) {
        case Op::kIn:
        case Op::kNotIn: {
            if (!v.is_array() || v.empty())
                bad(vp, "op " + op_name(c.op) + " expects a non-empty array of values, got " + shown(v));
            if (v.size() > kMaxList) bad(vp, "more than 1000 values");
            for (size_t i = 0; i < v.size(); ++i) {
                c.values.push_back(one(v[i], vp + "[" + std::to_string(i) + "]"));
                Kind k = c.values.back().kind;
                if (k == Kind::kDate)
                    c.values.back().kind = k = Kind::kString;  // in/not_in: strings as strings
                if (i > 0 && k != c.values[0].kind)
                    bad(vp + "[" + std::to_string(i) + "]",
                        "all values of op " + op_name(c.op) + " must have one type");
            }
            if (forced == Kind::kDate)
                bad(path + ".type", "op " + op_name(c.op) + " compares numbers, strings or booleans");
            c.kind = c.values[0].kind;
            return c;
        }
        case Op::kBetween: {
            if (!v.is_array() || v.size() != 2) bad(vp, "op between expects [low, high], got " + shown(v));
            c.values.push_back(one(v[0], vp + "[0]"));
            c.values.push_back(one(v[1], vp + "[1]"));
            if (c.values[0].kind != c.values[1].kind)
                bad(vp, "low and high of op between must have one type (numbers, dates or strings)");
            c.kind = c.values[0].kind;
            if (c.kind == Kind::kBool) bad(vp, "op between compares numbers, dates or strings");
            return c;
        }
        case Op::kContains:
        case Op::kStartsWith: {
            Scalar s = one(v, vp);
            if (c.op == Op::kStartsWith || s.kind == Kind::kDate) {
                if (!v.is_string()) bad(vp, "op " + op_name(c.op) + " expects a string, got " + shown(v));
                s.kind = Kind::kString;
            }
            c.kind = s.kind;
            c.values.push_back(std::move(s));
            return c;
        }
        default: {
            if (v.is_array() || v.is_object())
                bad(vp, "op " + op_name(c.op) + " expects one value, got " + shown(v),
                    v.is_array() ? "For a list of values use op in / not_in." : "");
            c.values.push_back(one(v, vp));
            c.kind = c.values[0].kind;
            if (c.kind == Kind::kBool && c.op != Op::kEq && c.op != Op::kNe)
                bad(vp, "op " + op_name(c.op) + " does not compare booleans (use eq / ne)");
            return c;
        }
    }
}

void check_keys(const json& obj, const std::string& path, std::initializer_list<const char*> keys) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        bool ok = false;
        for (const char* k : keys) ok = ok || it.key() == k;
        if (!ok) {
            std::string list;
            for (const char* k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
            bad(key_path(path, it.key()), "unknown key", "This condition takes: " + list + ".");
        }
    }
}

std::string name_of(const json& obj, const char* key, const std::string& path, const char* what) {
    const json& j = obj.at(key);
    std::string p = path + "." + key;
    if (!j.is_string()) bad(p, std::string("expected ") + what + " (a string), got " + shown(j));
    const auto& s = j.get_ref<const std::string&>();
    if (s.empty() || s.size() > 200) bad(p, std::string("expected ") + what + " of 1 to 200 bytes");
    return s;
}

std::vector<std::string> property_path(const json& p, const std::string& path) {
    std::vector<std::string> parts;
    if (p.is_string()) {
        const auto& s = p.get_ref<const std::string&>();
        if (s.empty()) bad(path, "expected a property path, got an empty string");
        size_t start = 0;
        while (true) {
            size_t dot = s.find('.', start);
            std::string part = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
            if (part.empty())
                bad(path, "an empty part in the property path " + shown(p),
                    "For keys holding dots give the path as an array: [\"a.b\", \"c\"].");
            parts.push_back(part);
            if (dot == std::string::npos) break;
            start = dot + 1;
        }
        if (parts.size() > 1 && (parts[0] == "properties" || parts[0] == "context")) {
        } else {
            parts.insert(parts.begin(), "properties");
        }
    } else if (p.is_array()) {
        parts.push_back("properties");
        for (size_t i = 0; i < p.size(); ++i) {
            if (!p[i].is_string() || p[i].get_ref<const std::string&>().empty())
                bad(path + "[" + std::to_string(i) + "]", "expected a non-empty string (a key of the path)");
            parts.push_back(p[i].get<std::string>());
        }
        if (parts.size() == 1) bad(path, "expected a non-empty property path");
    } else {
        bad(path, "expected a property path: \"a.b\" or [\"a\", \"b\"], got " + shown(p));
    }
    if (parts.size() > kMaxPathParts + 1) bad(path, "a property path of more than 16 parts");
    for (const auto& s : parts)
        if (s.size() > 200) bad(path, "a path key of more than 200 bytes");
    return parts;
}

int64_t count_number(const json& j, const std::string& path) {
    if (!j.is_number_integer() || j.get<int64_t>() < 0 || j.get<int64_t>() > 1000000000)
        bad(path, "expected a whole number from 0 to 1000000000, got " + shown(j));
    return j.get<int64_t>();
}

struct Parser {
    size_t nodes = 0;

    std::unique_ptr<Node> node(const json& j, const std::string& path, int depth) {
        if (depth > kMaxDepth) bad(path, "nested deeper than 32 levels");
        if (++nodes > kMaxNodes) bad(path, "more than 500 conditions");
        if (!j.is_object())
            bad(path,
                "expected a condition (a JSON object such as "
                "{\"trait\":\"country\",\"op\":\"eq\",\"value\":\"IT\"}), got " +
                    shown(j));
        auto n = std::make_unique<Node>();
        n->path = path;
        static const char* const kHeads[] = {"all",   "any",     "not",        "trait",  "computed",
                                             "event", "consent", "identifier", "segment"};
        int head = -1;
        for (int i = 0; i < 9; ++i)
            if (j.contains(kHeads[i])) {
                if (head >= 0)
                    bad(path,
                        "a condition has one of all, any, not, trait, computed, event, consent, identifier, "
                        "segment; this one has both \"" +
                            std::string(kHeads[head]) + "\" and \"" + kHeads[i] + "\"");
                head = i;
            }
        if (head < 0)
            bad(path,
                "expected one of the keys all, any, not, trait, computed, event, consent, identifier, "
                "segment");
        switch (head) {
            case 0:
            case 1: {
                const char* k = kHeads[head];
                check_keys(j, path, {k});
                n->type = head == 0 ? Node::kAll : Node::kAny;
                const json& a = j.at(k);
                std::string p = path + "." + k;
                if (!a.is_array() || a.empty())
                    bad(p, "expected a non-empty array of conditions, got " + shown(a));
                for (size_t i = 0; i < a.size(); ++i)
                    n->children.push_back(node(a[i], p + "[" + std::to_string(i) + "]", depth + 1));
                break;
            }
            case 2:
                check_keys(j, path, {"not"});
                n->type = Node::kNot;
                n->children.push_back(node(j.at("not"), path + ".not", depth + 1));
                break;
            case 3:
            case 4:
                check_keys(j, path, {kHeads[head], "op", "value", "ci", "type"});
                n->type = head == 3 ? Node::kTrait : Node::kComputed;
                n->name =
                    name_of(j, kHeads[head], path, head == 3 ? "a trait name" : "a computed trait name");
                n->cmp = parse_comparison(j, path, false, true);
                break;
            case 5:
                event(j, path, *n);
                break;
            case 6:
                check_keys(j, path, {"consent", "granted"});
                n->type = Node::kConsent;
                n->name = name_of(j, "consent", path, "a consent purpose");
                if (j.contains("granted")) {
                    if (!j.at("granted").is_boolean())
                        bad(path + ".granted", "expected true or false, got " + shown(j.at("granted")));
                    n->granted = j.at("granted").get<bool>();
                }
                break;
            case 7:
                check_keys(j, path, {"identifier", "op", "value", "ci"});
                n->type = Node::kIdentifier;
                n->name = name_of(j, "identifier", path, "an identifier type");
                n->cmp = parse_comparison(j, path, true, false);
                if (n->cmp.kind == Kind::kBool) bad(path + ".value", "identifier values are strings");
                break;
            case 8:
                check_keys(j, path, {"segment"});
                n->type = Node::kSegment;
                n->name = name_of(j, "segment", path, "a segment name");
                break;
        }
        return n;
    }

    void event(const json& j, const std::string& path, Node& n) {
        check_keys(j, path, {"event", "type", "within", "count", "where"});
        n.type = Node::kEvent;
        const json& ev = j.at("event");
        if (ev.is_string()) {
            n.events.push_back(name_of(j, "event", path, "an event name"));
        } else if (ev.is_array() && !ev.empty() && ev.size() <= kMaxList) {
            for (size_t i = 0; i < ev.size(); ++i) {
                std::string p = path + ".event[" + std::to_string(i) + "]";
                if (!ev[i].is_string() || ev[i].get_ref<const std::string&>().empty() ||
                    ev[i].get_ref<const std::string&>().size() > 200)
                    bad(p, "expected an event name (a string of 1 to 200 bytes), got " + shown(ev[i]));
                n.events.push_back(ev[i].get<std::string>());
            }
        } else {
            bad(path + ".event", "expected an event name or a non-empty array of names, got " + shown(ev));
        }
        if (j.contains("type")) {
            const json& ty = j.at("type");
            static const char* const kTypes[] = {"identify", "track", "page", "screen", "group", "alias"};
            bool ok = false;
            if (ty.is_string())
                for (const char* k : kTypes) ok = ok || ty.get_ref<const std::string&>() == k;
            if (!ok)
                bad(path + ".type",
                    "expected one of identify, track, page, screen, group, alias, got " + shown(ty));
            n.event_type = ty.get<std::string>();
        }
        if (j.contains("within")) {
            const json& w = j.at("within");
            if (!w.is_string())
                bad(path + ".within", "expected a window such as \"30 days\", got " + shown(w));
            n.within_seconds = parse_window(w.get<std::string>(), path + ".within");
        }
        if (j.contains("count")) {
            const json& c = j.at("count");
            std::string p = path + ".count";
            if (!c.is_object() || c.empty())
                bad(p, "expected an object of comparisons such as {\"gte\": 2}, got " + shown(c));
            for (auto it = c.begin(); it != c.end(); ++it) {
                std::string kp = key_path(p, it.key());
                Op op = parse_op(json(it.key()), kp);
                CountCmp cc{op};
                if (op == Op::kBetween) {
                    const json& v = it.value();
                    if (!v.is_array() || v.size() != 2) bad(kp, "expected [low, high], got " + shown(v));
                    cc.a = count_number(v[0], kp + "[0]");
                    cc.b = count_number(v[1], kp + "[1]");
                } else if (op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLte ||
                           op == Op::kGt || op == Op::kGte) {
                    cc.a = count_number(it.value(), kp);
                } else {
                    bad(kp, "a count compares with eq ne lt lte gt gte between");
                }
                n.count.push_back(cc);
            }
        } else {
            n.count.push_back(CountCmp{Op::kGte, 1, 0});
        }
        if (j.contains("where")) {
            const json& w = j.at("where");
            std::string p = path + ".where";
            if (!w.is_array()) bad(p, "expected an array of property conditions, got " + shown(w));
            if (w.size() > 64) bad(p, "more than 64 property conditions");
            for (size_t i = 0; i < w.size(); ++i) {
                std::string ip = p + "[" + std::to_string(i) + "]";
                if (!w[i].is_object())
                    bad(ip, "expected {\"property\": path, \"op\": op, \"value\": v}, got " + shown(w[i]));
                check_keys(w[i], ip, {"property", "op", "value", "ci", "type"});
                if (!w[i].contains("property")) bad(ip, "\"property\" is missing");
                Node::Filter f;
                f.column_path = property_path(w[i].at("property"), ip + ".property");
                f.cmp = parse_comparison(w[i], ip, false, true);
                n.where.push_back(std::move(f));
            }
        }
    }
};

bool count_ok(const CountCmp& c, int64_t n) {
    switch (c.op) {
        case Op::kEq:
            return n == c.a;
        case Op::kNe:
            return n != c.a;
        case Op::kLt:
            return n < c.a;
        case Op::kLte:
            return n <= c.a;
        case Op::kGt:
            return n > c.a;
        case Op::kGte:
            return n >= c.a;
        case Op::kBetween:
            return n >= c.a && n <= c.b;
        default:
            return false;
    }
}

const char* sym(Op op) {
    switch (op) {
        case Op::kEq:
            return " = ";
        case Op::kNe:
            return " <> ";
        case Op::kLt:
            return " < ";
        case Op::kLte:
            return " <= ";
        case Op::kGt:
            return " > ";
        case Op::kGte:
            return " >= ";
        default:
            return " = ";
    }
}

// ---- SQL generation
struct Gen {
    bool literal = false;  // readable form: values inlined
    bool subset = false;   // restrict subqueries to $3
    std::vector<std::string>* params;
    std::vector<std::string>* segments;
    std::vector<int64_t>* windows;
    bool* incremental;
    std::vector<Compiled::Boundary>* boundaries = nullptr;

    std::string P(const std::string& v) {
        if (literal) return quote_literal(v);
        params->push_back(v);
        return "($2::text[])[" + std::to_string(params->size()) + "]";
    }
    std::string now() const { return literal ? "now()" : "$1::timestamptz"; }
    std::string restrict(const std::string& col) const {
        return subset ? " AND " + col + " = ANY ($3::int8[])" : "";
    }

    std::string value(const Scalar& s, bool ci) {
        switch (s.kind) {
            case Kind::kNumber:
                return "(" + P(s.text) + ")::numeric";
            case Kind::kBool:
                return "(" + P(s.text) + ")::boolean";
            case Kind::kDate:
                if (s.time.relative) {
                    *incremental = false;
                    return "(" + now() + " + make_interval(months => " + std::to_string(s.time.months) +
                           ", secs => " + std::to_string(s.time.seconds) + "))";
                }
                return "(" + P(iso_utc(s.time.micros)) + ")::timestamptz";
            default:
                return ci ? "lower(" + P(s.text) + ")" : P(s.text);
        }
    }

    static std::string num_of(const std::string& x) { return "cdp._segment_num(" + x + ")"; }
    static std::string text_of(const std::string& x) {
        return "(CASE WHEN jsonb_typeof(" + x + ") IN ('string', 'number', 'boolean') THEN " + x +
               " #>> '{}' END)";
    }

    // Comparison of a jsonb expression `x` (identifier: a text expression).
    // `xt`: the same value as text (->> / #>>), for string comparisons.
    std::string compare(const std::string& x, const Comparison& c, bool text_column,
                        const std::string& xt = {}) {
        if (c.op == Op::kExists) return "(" + x + " IS NOT NULL AND " + x + " <> 'null'::jsonb)";
        if (c.op == Op::kNotExists) return "(" + x + " IS NULL OR " + x + " = 'null'::jsonb)";
        std::string l;
        bool str = false;
        switch (c.kind) {
            case Kind::kNumber:
                l = text_column ? x : num_of(x);
                break;
            case Kind::kBool:
                l = "(CASE WHEN jsonb_typeof(" + x + ") = 'boolean' THEN (" + x + ")::boolean END)";
                break;
            case Kind::kDate:
                l = "cdp._segment_time(" + x + ")";
                break;
            default:
                str = true;
                l = text_column ? x : xt.empty() ? text_of(x) : xt;
                if (c.ci) l = "lower(" + l + ")";
        }
        const std::string coll = str ? " COLLATE \"C\"" : "";
        auto v = [&](size_t i) { return value(c.values[i], c.ci); };
        switch (c.op) {
            case Op::kEq:
                return "(" + l + " = " + v(0) + ")";
            case Op::kNe:
                return "(NOT coalesce(" + l + " = " + v(0) + ", false))";
            case Op::kLt:
            case Op::kLte:
            case Op::kGt:
            case Op::kGte:
                return "(" + l + coll + sym(c.op) + v(0) + ")";
            case Op::kBetween:
                return "(" + l + coll + " BETWEEN " + v(0) + " AND " + v(1) + ")";
            case Op::kIn:
            case Op::kNotIn: {
                std::string list;
                for (size_t i = 0; i < c.values.size(); ++i) list += (i ? ", " : "") + v(i);
                std::string in = "(" + l + " = ANY (ARRAY[" + list + "]))";
                return c.op == Op::kIn ? in : "(NOT coalesce(" + in + ", false))";
            }
            case Op::kContains: {
                const Scalar& s = c.values[0];
                std::string el = s.kind == Kind::kNumber ? "to_jsonb(" + value(s, false) + ")"
                                 : s.kind == Kind::kBool ? "to_jsonb(" + value(s, false) + ")"
                                                         : "to_jsonb(" + P(s.text) + ")";
                if (text_column) return "(strpos(" + l + ", " + v(0) + ") > 0)";
                std::string arr =
                    "(jsonb_typeof(" + x + ") = 'array' AND " + x + " @> jsonb_build_array(" + el + "))";
                if (s.kind != Kind::kString) return arr;
                return "(" + arr + " OR coalesce(strpos(" + l + ", " + v(0) + ") > 0, false))";
            }
            case Op::kStartsWith:
                return "starts_with(" + l + ", " + v(0) + ")";
            default:
                return "false";
        }
    }

    std::string gen(const Node& n) {
        switch (n.type) {
            case Node::kAll:
            case Node::kAny: {
                std::string s;
                for (const auto& ch : n.children)
                    s += (s.empty() ? "" : (n.type == Node::kAll ? " AND " : " OR ")) + gen(*ch);
                return "(" + s + ")";
            }
            case Node::kNot:
                return "(NOT " + gen(*n.children[0]) + ")";
            case Node::kTrait:
            case Node::kComputed: {
                const std::string col = n.type == Node::kTrait ? "p.traits" : "p.computed";
                const std::string key = P(n.name);
                std::string x = "(" + col + " -> " + key + ")";
                std::string xt = "(" + col + " ->> " + key + ")";
                return "coalesce(" + compare(x, n.cmp, false, xt) + ", false)";
            }
            case Node::kConsent: {
                std::string purpose = P(n.name);
                std::string granted =
                    "p.customer_id IN (SELECT k.customer_id FROM cdp.consents k WHERE k.purpose = " +
                    purpose + " AND k.granted" + restrict("k.customer_id") + ")";
                std::string decided =
                    "p.customer_id IN (SELECT k.customer_id FROM cdp.consents k WHERE k.purpose = " +
                    purpose + restrict("k.customer_id") + ")";
                std::string def = "coalesce(current_setting('cdp.consent_default', true), 'off')::boolean";
                std::string yes = "(" + granted + " OR (" + def + " AND NOT (" + decided + ")))";
                return n.granted ? yes : "(NOT " + yes + ")";
            }
            case Node::kSegment: {
                if (std::find(segments->begin(), segments->end(), n.name) == segments->end())
                    segments->push_back(n.name);
                return "(p.customer_id IN (SELECT m.customer_id FROM cdp.segment_members m WHERE "
                       "m.segment_id = "
                       "(SELECT s.segment_id FROM cdp.segments s WHERE s.name = " +
                       P(n.name) + ")" + restrict("m.customer_id") + "))";
            }
            case Node::kIdentifier: {
                std::string base =
                    "SELECT r.customer_id FROM cdp.records r JOIN cdp.identifiers i ON i.record_id = "
                    "r.record_id WHERE r.customer_id IS NOT NULL AND i.id_type = " +
                    P(n.name) + restrict("r.customer_id");
                const Comparison& c = n.cmp;
                if (c.op == Op::kExists) return "(p.customer_id IN (" + base + "))";
                if (c.op == Op::kNotExists) return "(NOT (p.customer_id IN (" + base + ")))";
                Comparison pos = c;
                bool neg = false;
                if (c.op == Op::kNe) pos.op = Op::kEq, neg = true;
                if (c.op == Op::kNotIn) pos.op = Op::kIn, neg = true;
                std::string in =
                    "p.customer_id IN (" + base + " AND " + compare("i.id_value", pos, true) + ")";
                return neg ? "(NOT (" + in + "))" : "(" + in + ")";
            }
            case Node::kEvent: {
                if (n.within_seconds > 0 &&
                    std::find(windows->begin(), windows->end(), n.within_seconds) == windows->end())
                    windows->push_back(n.within_seconds);
                if (n.within_seconds > 0 && boundaries) boundaries->push_back({n.within_seconds, n.events});
                std::string f =
                    "SELECT r.customer_id FROM cdp.records r JOIN cdp.events e ON e.record_id = r.record_id "
                    "WHERE r.customer_id IS NOT NULL" +
                    restrict("r.customer_id");
                if (n.events.size() == 1) {
                    f += " AND e.event = " + P(n.events[0]);
                } else {
                    std::string list;
                    for (const auto& e : n.events) list += (list.empty() ? "" : ", ") + P(e);
                    f += " AND e.event = ANY (ARRAY[" + list + "])";
                }
                if (!n.event_type.empty()) f += " AND e.type = " + P(n.event_type);
                if (n.within_seconds > 0)
                    f += " AND e.occurred_at > " + now() + " - make_interval(secs => " +
                         std::to_string(n.within_seconds) + ")";
                for (const auto& w : n.where) {
                    std::string arr;
                    for (size_t i = 1; i < w.column_path.size(); ++i)
                        arr += (i > 1 ? ", " : "") + P(w.column_path[i]);
                    std::string x = "(e." + w.column_path[0] + " #> ARRAY[" + arr + "]::text[])";
                    std::string xt = "(e." + w.column_path[0] + " #>> ARRAY[" + arr + "]::text[])";
                    f += " AND coalesce(" + compare(x, w.cmp, false, xt) + ", false)";
                }
                bool zero_ok = true;
                std::string having;
                for (const auto& cc : n.count) {
                    zero_ok = zero_ok && count_ok(cc, 0);
                    having += (having.empty() ? "" : " AND ");
                    if (cc.op == Op::kBetween)
                        having += "count(*) BETWEEN " + std::to_string(cc.a) + " AND " + std::to_string(cc.b);
                    else
                        having += "count(*)" + std::string(sym(cc.op)) + std::to_string(cc.a);
                }
                f += " GROUP BY r.customer_id";
                // A customer without a matching event has count 0: when 0
                // satisfies the count, members are those NOT among the
                // customers whose (positive) count fails it.
                if (zero_ok) return "(NOT (p.customer_id IN (" + f + " HAVING NOT (" + having + "))))";
                return "(p.customer_id IN (" + f + " HAVING " + having + "))";
            }
        }
        return "false";
    }
};

std::string wrap(const std::string& pred, bool subset) {
    return "SELECT p.customer_id FROM cdp.profiles p WHERE " +
           std::string(subset ? "p.customer_id = ANY ($3::int8[]) AND " : "") + pred;
}

}  // namespace

std::string quote_literal(std::string_view s) {
    std::string out = "E'";
    for (char c : s) {
        if (c == '\'' || c == '\\') out += c;
        out += c;
    }
    return out + "'";
}

int64_t parse_window(std::string_view sv, const std::string& path) {
    std::string s(sv);
    size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    size_t d0 = i;
    int64_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        n = n * 10 + (s[i] - '0');
        if (n > 100000000) bad(path, "\"" + s.substr(0, 60) + "\" is too long a window");
        ++i;
    }
    if (i == d0 || n == 0)
        bad(path,
            "expected a window: a positive whole number and a unit, got " + cdp::json::quote(s.substr(0, 60)),
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
    if (mult == 0)
        bad(path, "unknown unit in " + cdp::json::quote(s.substr(0, 60)),
            "Units: minutes, hours, days, weeks.");
    if (n * mult > int64_t(100) * 366 * 86400) bad(path, "a window longer than 100 years");
    return n * mult;
}

std::string iso_utc(int64_t micros) {
    int64_t secs = micros / 1000000, us = micros % 1000000;
    if (us < 0) us += 1000000, secs -= 1;
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) rem += 86400, days -= 1;
    // civil_from_days (H. Hinnant)
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    char buf[64];
    snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ", (long long)y, (long long)m,
             (long long)d, (long long)(rem / 3600), (long long)(rem / 60 % 60), (long long)(rem % 60),
             (long long)us);
    return buf;
}

std::unique_ptr<Node> parse(std::string_view text) {
    if (text.size() > 1000000) bad("$", "a definition of more than 1 MB");
    if (cdp::json::deeper_than(text, kMaxDepth)) bad("$", "nested deeper than 32 levels");
    json d = json::parse(text.begin(), text.end(), nullptr, false);
    if (d.is_discarded()) bad("$", "not valid JSON");
    Parser p;
    return p.node(d, "$", 0);
}

Compiled compile(std::string_view text) {
    auto root = parse(text);
    Compiled c;
    std::vector<std::string> ignored_params, ignored_segments;
    std::vector<int64_t> ignored_windows;
    bool ignored_inc = true;
    Gen g{false, false, &c.params, &c.segments, &c.windows, &c.incremental, &c.boundaries};
    c.predicate = g.gen(*root);
    c.sql = wrap(c.predicate, false);
    std::vector<std::string> sub_params;
    Gen gs{false, true, &sub_params, &ignored_segments, &ignored_windows, &ignored_inc};
    std::string sub = gs.gen(*root);
    // The subset form draws the same values in the same order.
    if (sub_params != c.params)
        throw cdp::Error("segment compiler: parameter mismatch", cdp::sqlstate::kInternalError);
    c.subset_sql = wrap(sub, true);
    Gen gl{true, false, &ignored_params, &ignored_segments, &ignored_windows, &ignored_inc};
    c.readable = wrap(gl.gen(*root), false);
    std::sort(c.windows.begin(), c.windows.end());
    return c;
}

std::string compiled_json(const Compiled& c) {
    cdp::json::Json j;
    j["sql"] = c.sql;
    j["subset_sql"] = c.subset_sql;
    j["params"] = c.params;
    j["readable"] = c.readable;
    j["segments"] = c.segments;
    j["windows"] = c.windows;
    j["boundaries"] = cdp::json::Json::array();
    for (const auto& b : c.boundaries)
        j["boundaries"].push_back({{"within", b.within_seconds}, {"events", b.events}});
    j["incremental"] = c.incremental;
    return cdp::json::dump(j);
}

}  // namespace cdp::segment
