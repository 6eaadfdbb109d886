// Activation (DESIGN.md section 8): the pure decisions behind destinations.
//
//   parse_spec()      a destination spec (JSON) checked against the catalogue
//                     of segments, consent purposes and profile fields; every
//                     refusal is a cdp::Error naming the offending part ($.key)
//   projection_sql()  the SQL expression that builds a change's payload from
//                     a profile row (alias p): only the listed fields
//   hmac_sha256_hex() the X-Cdp-Signature of a webhook body
//   backoff_ms()      the retry schedule (exponential, capped, with jitter)
//   batch_bounds()    how a run of changes is cut into batches
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdp::activation {

// What the database knows (filled by the glue from the catalog tables).
struct Catalog {
    std::set<std::string> segments;  // cdp.segments.name
    std::set<std::string> purposes;  // cdp.consent_purposes.purpose
    std::set<std::string> id_types;  // cdp.identifier_types.id_type
    std::set<std::string> computed;  // cdp.computed_traits.name
    std::set<std::string> traits;    // trait names known to profiles / trait_rules
};

enum class Kind { kPull, kWebhook };

struct Spec {
    std::string segment;
    std::string purpose;
    std::vector<std::string> fields;
    Kind kind = Kind::kPull;
    std::string url;
    std::string secret;
    int batch_size = 500;
};

inline constexpr int kMaxFields = 50;
inline constexpr int kMaxBatchSize = 10000;

// Parses and validates; throws cdp::Error:
//   22023 (invalid_parameter_value) for a bad shape or value, naming $.key
//   42704 (undefined_object) for an unknown segment, purpose or field.
Spec parse_spec(std::string_view json_text, const Catalog& catalog);

// parse_spec + projection: {"spec": spec_json, "segment", "purpose", "kind",
// "url", "secret", "batch_size", "fields", "payload_sql"} (what the SQL layer
// stores in cdp.destinations).
std::string compile_spec(std::string_view json_text, const Catalog& catalog);

// The spec as stored and shown (keys in a fixed order; the secret is never
// part of it: "secret": true when set).
std::string spec_json(const Spec& spec);

// Field forms: "computed.<name>" (computed trait), "traits.<name>" (trait),
// "<identifier type>" (the customer's most recently updated value of that
// type), "<name>" (trait).  Throws like parse_spec (path "$.fields[i]" or
// "fields[i]" as `where` says).
enum class FieldKind { kComputed, kTrait, kIdentifier };
struct Field {
    std::string name;  // as listed (the payload key)
    FieldKind kind;
    std::string key;  // trait / computed name / id type
};
Field resolve_field(std::string_view name, const Catalog& catalog, const std::string& where);

// SQL jsonb expression of the payload over alias p (a cdp.profiles row):
// jsonb_build_object('<field>', value, ...); '{}' when there are no fields.
// Field names only ever appear inside quoted literals.
std::string projection_sql(const std::vector<Field>& fields);

// Lower-case hex HMAC-SHA256 of body with key.
std::string hmac_sha256_hex(std::string_view key, std::string_view body);

// Delay before retry `attempt` (1 = first retry): min(cap, base * 2^(attempt-1))
// scaled by a jitter factor in [0.5, 1.0] (`unit` in [0, 1), e.g. random()).
int64_t backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, double unit);

// [begin, end) index ranges of at most batch_size items covering n items.
std::vector<std::pair<int64_t, int64_t>> batch_bounds(int64_t n, int batch_size);

// URL check shared with parse_spec: http:// or https:// with a host.
bool valid_url(std::string_view url, std::string* why);

}  // namespace cdp::activation
