#include "core/ingest/message.h"

#include "core/common/error.h"
#include "core/common/json.h"
#include "core/ingest/sha256.h"

namespace cdp::ingest {

namespace {

const char* kind_name(Field::Kind k) {
    switch (k) {
        case Field::kAbsent:
            return "absent";
        case Field::kNull:
            return "null";
        case Field::kString:
            return "a string";
        case Field::kNumber:
            return "a number";
        case Field::kBool:
            return "a boolean";
        case Field::kObject:
            return "an object";
        case Field::kArray:
            return "an array";
    }
    return "?";
}

[[noreturn]] void reject(const std::string& msg) { throw Rejection(msg); }

void check_length(const char* what, const std::string& v) {
    if (v.size() > kMaxIdBytes)
        reject(std::string(what) + " is longer than " + std::to_string(kMaxIdBytes) + " bytes");
}

// An id-like field (userId, anonymousId, previousId, groupId): a string or a
// number (Segment libraries stringify numbers); "" counts as absent.
std::optional<std::string> id_field(const char* what, const Field& f) {
    if (!f.present()) return std::nullopt;
    if (f.kind != Field::kString && f.kind != Field::kNumber)
        reject(std::string(what) + " must be a string or a number, not " + kind_name(f.kind));
    if (f.text.empty()) return std::nullopt;
    check_length(what, f.text);
    return f.text;
}

// An optional object (properties, traits, context): null counts as absent.
void object_field(const char* what, const Field& f) {
    if (f.present() && f.kind != Field::kObject)
        reject(std::string(what) + " must be an object, not " + kind_name(f.kind));
}

// An identifier read from traits/context: strings (phone: numbers too) become
// identifiers; anything else is ignored (documented), "" too.
std::optional<std::string> identifier_field(const char* what, const Field& f, bool allow_number) {
    if (f.kind == Field::kString || (allow_number && f.kind == Field::kNumber)) {
        if (f.text.empty()) return std::nullopt;
        check_length(what, f.text);
        return f.text;
    }
    return std::nullopt;
}

std::optional<Micros> time_field(const char* what, const Field& f) {
    if (!f.present()) return std::nullopt;
    if (f.kind != Field::kString)
        reject(std::string(what) + " must be an ISO-8601 date-time string, not " + kind_name(f.kind));
    auto t = parse_iso8601(f.text);
    if (!t) reject(std::string(what) + " " + quote_value(f.text) + " is not an ISO-8601 date-time");
    if (!in_range(*t))
        reject(std::string(what) + " " + quote_value(f.text) + " is outside 0001-01-01 .. 9999-12-31 (UTC)");
    return t;
}

}  // namespace

std::optional<MsgType> parse_type(std::string_view s) {
    if (s == "identify") return MsgType::kIdentify;
    if (s == "track") return MsgType::kTrack;
    if (s == "page") return MsgType::kPage;
    if (s == "screen") return MsgType::kScreen;
    if (s == "group") return MsgType::kGroup;
    if (s == "alias") return MsgType::kAlias;
    return std::nullopt;
}

const char* type_name(MsgType t) {
    switch (t) {
        case MsgType::kIdentify:
            return "identify";
        case MsgType::kTrack:
            return "track";
        case MsgType::kPage:
            return "page";
        case MsgType::kScreen:
            return "screen";
        case MsgType::kGroup:
            return "group";
        case MsgType::kAlias:
            return "alias";
    }
    return "?";
}

Mapped map_message(const RawMessage& m, const Envelope& env) {
    Mapped out;

    // type: the message's own, else the endpoint's.
    if (m.type.present()) {
        if (m.type.kind != Field::kString)
            reject(std::string("\"type\" must be a string, not ") + kind_name(m.type.kind));
        auto t = parse_type(m.type.text);
        if (!t)
            reject("unknown type " + quote_value(m.type.text) +
                   " (expected identify, track, page, screen, group or alias)");
        out.type = *t;
    } else if (env.default_type) {
        out.type = *env.default_type;
    } else {
        reject("missing \"type\" (identify, track, page, screen, group or alias)");
    }

    // messageId: a string; absent, null or "" means "derive one".
    if (m.message_id.present()) {
        if (m.message_id.kind != Field::kString)
            reject(std::string("messageId must be a string, not ") + kind_name(m.message_id.kind));
        check_length("messageId", m.message_id.text);
        out.message_id = m.message_id.text;
    }

    auto user_id = id_field("userId", m.user_id);
    auto anonymous_id = id_field("anonymousId", m.anonymous_id);
    if (!user_id && !anonymous_id)
        reject("message has neither userId nor anonymousId (Segment requires one)");
    out.record_key = user_id ? *user_id : *anonymous_id;

    object_field("properties", m.properties);
    object_field("traits", m.traits);
    object_field("context", m.context);
    object_field("context.traits", m.context_traits);

    switch (out.type) {
        case MsgType::kTrack:
            if (!m.event.present()) reject("track message has no \"event\"");
            if (m.event.kind != Field::kString)
                reject(std::string("event must be a string, not ") + kind_name(m.event.kind));
            if (m.event.text.empty()) reject("track message has an empty \"event\"");
            out.event = m.event.text;
            out.props_from = PropsFrom::kProperties;
            break;
        case MsgType::kPage:
        case MsgType::kScreen:
            if (m.name.present()) {
                if (m.name.kind != Field::kString)
                    reject(std::string("name must be a string, not ") + kind_name(m.name.kind));
                if (!m.name.text.empty()) out.event = m.name.text;
            }
            out.props_from = PropsFrom::kProperties;
            break;
        case MsgType::kIdentify:
            out.props_from = PropsFrom::kTraits;
            out.traits_to_record = true;
            break;
        case MsgType::kGroup: {
            auto group_id = id_field("groupId", m.group_id);
            if (!group_id) reject("group message has no \"groupId\"");
            out.event = *group_id;
            out.props_from = PropsFrom::kTraits;
            break;
        }
        case MsgType::kAlias: {
            auto previous_id = id_field("previousId", m.previous_id);
            if (!previous_id) reject("alias message has no \"previousId\"");
            if (!user_id) reject("alias message has no \"userId\"");
            out.event = *previous_id;
            out.previous_id = *previous_id;
            out.props_from = PropsFrom::kNone;
            break;
        }
    }

    // Identifiers.  identify: user traits are "traits" (context.traits as a
    // fallback); every other type carries the user's traits in
    // context.traits ("traits" of a group are the group's, not the user's).
    if (user_id) out.identifiers.push_back({"user_id", *user_id});
    if (anonymous_id) out.identifiers.push_back({"anonymous_id", *anonymous_id});
    std::optional<std::string> email, phone;
    if (out.type == MsgType::kIdentify) {
        email = identifier_field("traits.email", m.traits_email, false);
        phone = identifier_field("traits.phone", m.traits_phone, true);
    }
    if (!email) email = identifier_field("context.traits.email", m.context_traits_email, false);
    if (!phone) phone = identifier_field("context.traits.phone", m.context_traits_phone, true);
    if (email) out.identifiers.push_back({"email", *email});
    if (phone) out.identifiers.push_back({"phone", *phone});
    if (auto device = identifier_field("context.device.id", m.context_device_id, false))
        out.identifiers.push_back({"device_id", *device});

    // Timestamps (Segment's definitions):
    //   received_at = receivedAt, else the time cdp.ingest ran
    //   occurred_at = timestamp
    //              else receivedAt - (sentAt - originalTimestamp)   (clock-skew correction)
    //              else originalTimestamp                           (no sentAt to correct with)
    //              else received_at
    auto timestamp = time_field("timestamp", m.timestamp);
    auto original = time_field("originalTimestamp", m.original_timestamp);
    auto sent_at = time_field("sentAt", m.sent_at);
    auto received_at = time_field("receivedAt", m.received_at);
    if (!sent_at) sent_at = env.batch_sent_at;
    out.received_at = received_at ? *received_at : env.now;
    if (timestamp)
        out.occurred_at = *timestamp;
    else if (original && sent_at)
        out.occurred_at = out.received_at - (*sent_at - *original);
    else if (original)
        out.occurred_at = *original;
    else
        out.occurred_at = out.received_at;
    // The skew correction can leave the range (a sentAt far from
    // originalTimestamp): such a message is refused, never stored with a
    // timestamp the database cannot read back.
    if (!in_range(out.occurred_at))
        reject(
            "timestamp corrected for clock skew (receivedAt - (sentAt - originalTimestamp)) is outside "
            "0001-01-01 .. 9999-12-31");
    if (!in_range(out.received_at)) reject("receivedAt is outside 0001-01-01 .. 9999-12-31");
    return out;
}

std::optional<Micros> parse_batch_sent_at(const Field& f) {
    if (!f.present()) return std::nullopt;
    if (f.kind != Field::kString)
        throw cdp::Error(
            std::string("batch sentAt must be an ISO-8601 date-time string, not ") + kind_name(f.kind),
            "22007");
    auto t = parse_iso8601(f.text);
    if (!t)
        throw cdp::Error("batch sentAt " + quote_value(f.text) + " is not an ISO-8601 date-time", "22007");
    if (!in_range(*t))
        throw cdp::Error("batch sentAt " + quote_value(f.text) + " is outside 0001-01-01 .. 9999-12-31 (UTC)",
                         "22008");
    return t;
}

std::string derived_message_id(std::string_view type, std::string_view canonical_json) {
    std::string buf;
    buf.reserve(type.size() + 1 + canonical_json.size());
    buf.append(type);
    buf.push_back('\n');
    buf.append(canonical_json);
    return "cdp-" + sha256_hex(buf);
}

std::string quote_value(std::string_view s) {
    constexpr std::size_t kMaxCodePoints = 80;
    std::size_t cps = 0, cut = s.size();
    for (std::size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            if (cps == kMaxCodePoints) {
                cut = i;
                break;
            }
            ++cps;
        }
    }
    std::string out;
    append_json_string(out, s.substr(0, cut));
    if (cut < s.size()) out.insert(out.size() - 1, "...");
    return out;
}

void append_json_string(std::string& out, std::string_view s) { out += cdp::json::quote(s); }

std::string render_result(long accepted, long duplicates,
                          const std::vector<std::pair<long, std::string>>& rejected) {
    cdp::json::Json out = {
        {"accepted", accepted}, {"duplicates", duplicates}, {"rejected", cdp::json::Json::array()}};
    for (const auto& [index, error] : rejected)
        out["rejected"].push_back({{"index", index}, {"error", error}});
    return cdp::json::dump(out);
}

}  // namespace cdp::ingest
