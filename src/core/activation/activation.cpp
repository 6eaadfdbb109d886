#include "core/activation/activation.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cmath>

#include "core/common/error.h"
#include "core/common/json.h"
#include "core/common/utf8.h"

namespace cdp::activation {
namespace {

using cdp::json::Json;

// Shown text of user input: at most 100 bytes.
std::string shown(std::string_view s) {
    if (s.size() <= 100) return std::string(s);
    size_t n = 100;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return std::string(s.substr(0, n)) + "...";
}

[[noreturn]] void bad(const std::string& path, const std::string& what, std::string hint = {}) {
    throw cdp::Error("destination spec: " + path + ": " + what, cdp::sqlstate::kInvalidParameterValue, {},
                     std::move(hint));
}

[[noreturn]] void unknown(const std::string& path, const std::string& what, std::string hint = {}) {
    throw cdp::Error("destination spec: " + path + ": " + what, cdp::sqlstate::kUndefinedObject, {},
                     std::move(hint));
}

std::string sql_literal(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

std::string list(const std::set<std::string>& s) {
    std::string out;
    size_t i = 0;
    for (const auto& v : s) {
        if (i == 10) return out + ", ...";
        out += (i++ ? ", " : "") + v;
    }
    return out.empty() ? "(none)" : out;
}

bool valid_name(std::string_view n) {
    if (n.empty() || n.size() > 200) return false;
    for (unsigned char c : n)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

const std::string& need_string(const Json& d, const char* key, bool required) {
    static const std::string empty;
    auto it = d.find(key);
    if (it == d.end()) {
        if (required) bad(std::string("$.") + key, "missing");
        return empty;
    }
    if (!it->is_string()) bad(std::string("$.") + key, "must be a string");
    return it->get_ref<const std::string&>();
}

}  // namespace

bool valid_url(std::string_view url, std::string* why) {
    auto colon = url.find("://");
    if (colon == std::string_view::npos) {
        if (why) *why = "not an absolute URL (http://host/...)";
        return false;
    }
    std::string scheme(url.substr(0, colon));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (scheme != "http" && scheme != "https") {
        if (why) *why = "scheme \"" + shown(scheme) + "\" is not http or https";
        return false;
    }
    std::string_view rest = url.substr(colon + 3);
    size_t end = rest.find_first_of("/?#");
    std::string_view host = rest.substr(0, end);
    if (host.empty() || host.front() == ':' || host.find('@') != std::string_view::npos) {
        if (why)
            *why =
                host.empty() || host.front() == ':' ? "no host" : "credentials in the URL (use the secret)";
        return false;
    }
    for (unsigned char c : url)
        if (c <= 0x20 || c == 0x7f) {
            if (why) *why = "control character or space";
            return false;
        }
    return true;
}

namespace {
[[noreturn]] void fbad(const std::string& where, const std::string& what) {
    throw cdp::Error(where + ": " + what, cdp::sqlstate::kInvalidParameterValue);
}
[[noreturn]] void funknown(const std::string& where, const std::string& what, std::string hint = {}) {
    throw cdp::Error(where + ": " + what, cdp::sqlstate::kUndefinedObject, {}, std::move(hint));
}
}  // namespace

Field resolve_field(std::string_view name, const Catalog& c, const std::string& where) {
    if (name.empty() || name.size() > 200) fbad(where, "a field name must have 1-200 bytes");
    cdp::utf8::decode(name);  // 22021 on invalid UTF-8
    Field f{std::string(name), FieldKind::kTrait, {}};
    auto starts = [&](std::string_view p) { return name.substr(0, p.size()) == p; };
    if (starts("computed.")) {
        f.kind = FieldKind::kComputed;
        f.key = std::string(name.substr(9));
        if (!c.computed.count(f.key))
            funknown(where, "unknown computed trait \"" + shown(f.key) + "\"",
                     "Known: " + list(c.computed) + ".");
    } else if (starts("traits.")) {
        f.key = std::string(name.substr(7));
        if (!c.traits.count(f.key)) funknown(where, "unknown trait \"" + shown(f.key) + "\"");
    } else if (c.id_types.count(f.name)) {
        f.kind = FieldKind::kIdentifier;
        f.key = f.name;
    } else {
        f.key = f.name;
        if (!c.traits.count(f.key))
            funknown(where, "unknown field \"" + shown(f.name) + "\"",
                     "A field is an identifier type (" + list(c.id_types) +
                         "), a trait some profile has, or computed.<name>.");
    }
    return f;
}

Spec parse_spec(std::string_view text, const Catalog& c) {
    if (cdp::json::deeper_than(text, 8)) bad("$", "nested deeper than 8 levels");
    Json d = Json::parse(text.begin(), text.end(), nullptr, false);
    if (d.is_discarded()) bad("$", "not valid JSON");
    if (!d.is_object()) bad("$", "a spec must be a JSON object");
    static const char* const kKeys[] = {"segment", "purpose", "fields",    "kind",
                                        "url",     "secret",  "batch_size"};
    for (auto it = d.begin(); it != d.end(); ++it) {
        bool ok = false;
        for (const char* k : kKeys) ok = ok || it.key() == k;
        if (!ok)
            bad("$." + shown(it.key()), "unknown key",
                "Keys: segment, purpose, fields, kind, url, secret, batch_size.");
    }
    Spec s;
    s.segment = need_string(d, "segment", true);
    if (!c.segments.count(s.segment))
        unknown("$.segment", "segment \"" + shown(s.segment) + "\" does not exist");
    s.purpose = need_string(d, "purpose", true);
    if (!valid_name(s.purpose)) bad("$.purpose", "must have 1-200 characters");
    if (!c.purposes.count(s.purpose))
        unknown("$.purpose", "purpose \"" + shown(s.purpose) + "\" is not in the consent catalogue",
                "Known purposes: " + list(c.purposes) + " (cdp.consent_purposes).");
    auto fit = d.find("fields");
    if (fit != d.end()) {
        if (!fit->is_array()) bad("$.fields", "must be an array of field names");
        if (fit->size() > static_cast<size_t>(kMaxFields))
            bad("$.fields", "more than " + std::to_string(kMaxFields) + " fields");
        std::set<std::string> seen;
        for (size_t i = 0; i < fit->size(); ++i) {
            const Json& v = (*fit)[i];
            std::string where = "$.fields[" + std::to_string(i) + "]";
            if (!v.is_string()) bad(where, "must be a string");
            const std::string& n = v.get_ref<const std::string&>();
            resolve_field(n, c, "destination spec: " + where);
            if (n == "cdp_key") bad(where, "\"cdp_key\" is reserved (the pseudonymous key of every change)");
            if (!seen.insert(n).second) bad(where, "field \"" + shown(n) + "\" listed twice");
            s.fields.push_back(n);
        }
    }
    const std::string& kind = need_string(d, "kind", false);
    if (kind.empty() || kind == "pull")
        s.kind = Kind::kPull;
    else if (kind == "webhook")
        s.kind = Kind::kWebhook;
    else
        bad("$.kind", "\"" + shown(kind) + "\" is not pull or webhook");
    s.url = need_string(d, "url", false);
    s.secret = need_string(d, "secret", false);
    if (s.kind == Kind::kWebhook) {
        if (s.url.empty()) bad("$.url", "a webhook destination needs a url");
        std::string why;
        if (!valid_url(s.url, &why)) bad("$.url", why);
        if (s.secret.empty()) bad("$.secret", "a webhook destination needs a secret (signs every batch)");
    } else if (!s.url.empty()) {
        bad("$.url", "only a webhook destination has a url");
    }
    if (s.url.size() > 2000) bad("$.url", "longer than 2000 characters");
    if (s.secret.size() > 1000) bad("$.secret", "longer than 1000 characters");
    auto bit = d.find("batch_size");
    if (bit != d.end()) {
        if (!bit->is_number_integer()) bad("$.batch_size", "must be an integer");
        int64_t b = bit->get<int64_t>();
        if (b < 1 || b > kMaxBatchSize)
            bad("$.batch_size", "must be between 1 and " + std::to_string(kMaxBatchSize));
        s.batch_size = static_cast<int>(b);
    }
    return s;
}

std::string spec_json(const Spec& s) {
    Json j = Json::object();
    j["segment"] = s.segment;
    j["purpose"] = s.purpose;
    j["fields"] = s.fields;
    j["kind"] = s.kind == Kind::kWebhook ? "webhook" : "pull";
    if (!s.url.empty()) j["url"] = s.url;
    if (!s.secret.empty()) j["secret"] = true;
    j["batch_size"] = s.batch_size;
    return cdp::json::dump(j);
}

std::string compile_spec(std::string_view json_text, const Catalog& catalog) {
    Spec s = parse_spec(json_text, catalog);
    std::vector<Field> fields;
    for (size_t i = 0; i < s.fields.size(); ++i)
        fields.push_back(
            resolve_field(s.fields[i], catalog, "destination spec: $.fields[" + std::to_string(i) + "]"));
    Json j = Json::object();
    j["spec"] = Json::parse(spec_json(s));
    j["segment"] = s.segment;
    j["purpose"] = s.purpose;
    j["kind"] = s.kind == Kind::kWebhook ? "webhook" : "pull";
    j["url"] = s.url.empty() ? Json() : Json(s.url);
    j["secret"] = s.secret.empty() ? Json() : Json(s.secret);
    j["batch_size"] = s.batch_size;
    j["fields"] = s.fields;
    j["payload_sql"] = projection_sql(fields);
    return cdp::json::dump(j);
}

std::string projection_sql(const std::vector<Field>& fields) {
    if (fields.empty()) return "'{}'::jsonb";
    std::string out = "jsonb_build_object(";
    for (size_t i = 0; i < fields.size(); ++i) {
        const Field& f = fields[i];
        out += (i ? ", " : "") + sql_literal(f.name) + ", ";
        switch (f.kind) {
            case FieldKind::kComputed:
                out += "p.computed -> " + sql_literal(f.key);
                break;
            case FieldKind::kTrait:
                out += "p.traits -> " + sql_literal(f.key);
                break;
            case FieldKind::kIdentifier:
                out +=
                    "(SELECT to_jsonb(i.id_value) FROM cdp.records r JOIN cdp.identifiers i ON i.record_id = "
                    "r.record_id WHERE r.customer_id = p.customer_id AND i.id_type = " +
                    sql_literal(f.key) + " ORDER BY r.updated_at DESC, i.id_value LIMIT 1)";
                break;
        }
    }
    return out + ")";
}

std::string hmac_sha256_hex(std::string_view key, std::string_view body) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(body.data()), body.size(), md, &len))
        throw cdp::Error("HMAC-SHA256 failed", cdp::sqlstate::kInternalError);
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

int64_t backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, double unit) {
    if (attempt < 1) attempt = 1;
    if (base_ms < 1) base_ms = 1;
    if (cap_ms < base_ms) cap_ms = base_ms;
    double d = static_cast<double>(base_ms);
    for (int i = 1; i < attempt && d < static_cast<double>(cap_ms); ++i) d *= 2;
    d = std::min(d, static_cast<double>(cap_ms));
    if (!(unit >= 0.0)) unit = 0.0;
    if (unit >= 1.0) unit = 0.999999;
    return static_cast<int64_t>(std::llround(d * (0.5 + 0.5 * unit)));
}

std::vector<std::pair<int64_t, int64_t>> batch_bounds(int64_t n, int batch_size) {
    std::vector<std::pair<int64_t, int64_t>> out;
    if (batch_size < 1) batch_size = 1;
    for (int64_t b = 0; b < n; b += batch_size) out.emplace_back(b, std::min<int64_t>(n, b + batch_size));
    return out;
}

}  // namespace cdp::activation
