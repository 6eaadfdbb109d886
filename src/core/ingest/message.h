// Segment-spec messages (identify, track, page, screen, group, alias):
// validation and mapping to the record they land on, its identifiers and the
// event row.  Pure C++: the glue layer reads a fixed set of paths from the
// jsonb message into a RawMessage (no recursion over user data) and keeps
// properties/traits/context as jsonb; this file decides everything else.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/limits.h"
#include "core/ingest/timestamp.h"

namespace cdp::ingest {

// Largest batch accepted by cdp.ingest (more is a top-level ERROR 54000).
inline constexpr std::size_t kMaxBatchMessages = 10000;
// Longest userId / anonymousId / previousId / groupId / messageId / identifier
// value in bytes (they are btree-indexed; longer values are rejected).
inline constexpr std::size_t kMaxIdBytes = cdp::limits::kMaxKeyBytes;

enum class MsgType { kIdentify, kTrack, kPage, kScreen, kGroup, kAlias };

std::optional<MsgType> parse_type(std::string_view s);
const char* type_name(MsgType t);

// What the glue found at one path of a message.
struct Field {
    enum Kind : unsigned char { kAbsent, kNull, kString, kNumber, kBool, kObject, kArray };
    Kind kind = kAbsent;
    std::string text;  // the string, or the number as JSON text

    static Field str(std::string s) { return Field{kString, std::move(s)}; }
    static Field num(std::string s) { return Field{kNumber, std::move(s)}; }
    static Field of(Kind k) { return Field{k, {}}; }
    bool present() const { return kind != kAbsent && kind != kNull; }
};

// The paths the mapping reads (docs/ingest.md lists them).
struct RawMessage {
    Field type, message_id, user_id, anonymous_id, previous_id, group_id, event, name;
    Field timestamp, original_timestamp, sent_at, received_at;
    Field traits, properties, context, context_traits;  // kinds only
    Field traits_email, traits_phone;                   // traits.email, traits.phone
    Field context_traits_email, context_traits_phone;   // context.traits.email, .phone
    Field context_device_id;                            // context.device.id
};

// Batch-level facts.
struct Envelope {
    Micros now = 0;                       // receive time when the message has no receivedAt
    std::optional<Micros> batch_sent_at;  // "sentAt" of a {"batch":[...]} envelope
    std::optional<MsgType> default_type;  // endpoint type for bodies without "type"
};

struct Identifier {
    std::string type;
    std::string value;
    bool operator==(const Identifier& o) const { return type == o.type && value == o.value; }
};

// Which jsonb of the message becomes events.properties.
enum class PropsFrom { kProperties, kTraits, kNone };

struct Mapped {
    MsgType type = MsgType::kTrack;
    std::string record_key;               // userId, else anonymousId
    std::string message_id;               // empty: derive one (derived_message_id)
    std::vector<Identifier> identifiers;  // raw values; normalised by the identity layer
    std::optional<std::string> event;     // see event_column_doc
    PropsFrom props_from = PropsFrom::kNone;
    bool traits_to_record = false;           // identify: "traits" merge into records.traits
    std::optional<std::string> previous_id;  // alias
    Micros occurred_at = 0;
    Micros received_at = 0;
};

// A message that cannot be ingested; what() is the reason stored in
// cdp.rejected_messages and returned in "rejected".
class Rejection : public std::runtime_error {
 public:
    using std::runtime_error::runtime_error;
};

// Validate and map one message.  Throws Rejection.
Mapped map_message(const RawMessage& m, const Envelope& env);

// Parse the batch envelope's sentAt (absent/null: nullopt).  Throws
// cdp::Error (22007) because a bad envelope is a top-level error.
std::optional<Micros> parse_batch_sent_at(const Field& f);

// Deterministic messageId for a message without one: "cdp-" + SHA-256 of the
// type and the message's canonical JSON text (jsonb output), so a retried
// message dedupes.
std::string derived_message_id(std::string_view type, std::string_view canonical_json);

// Quote a user value for an error message: JSON-ish quotes, at most 80 code
// points (longer values end in "...").
std::string quote_value(std::string_view s);

// {"accepted":n,"duplicates":n,"rejected":[{"index":i,"error":"..."}]}
std::string render_result(long accepted, long duplicates,
                          const std::vector<std::pair<long, std::string>>& rejected);

// Append s to out as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view s);

}  // namespace cdp::ingest
