// libFuzzer target for the ingest core: timestamp parsing and message
// mapping over arbitrary field values (never a crash; only Rejection).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/error.h"
#include "core/ingest/message.h"
#include "core/ingest/sha256.h"
#include "core/ingest/timestamp.h"

using cdp::ingest::Field;

namespace {

// Splits the input on '\x1f' into field texts; the first byte of each part
// picks its kind.
Field next_field(std::string_view& in) {
    const std::size_t cut = in.find('\x1f');
    std::string_view part = in.substr(0, cut);
    in = cut == std::string_view::npos ? std::string_view{} : in.substr(cut + 1);
    if (part.empty()) return {};
    const auto kind = static_cast<Field::Kind>(static_cast<unsigned char>(part[0]) % 7);
    return Field{kind, std::string(part.substr(1))};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    (void)cdp::ingest::parse_iso8601(in);
    (void)cdp::ingest::quote_value(in);
    if (size < 4096) (void)cdp::ingest::sha256_hex(in);
    cdp::ingest::RawMessage m;
    Field* fields[] = {&m.type,
                       &m.message_id,
                       &m.user_id,
                       &m.anonymous_id,
                       &m.previous_id,
                       &m.group_id,
                       &m.event,
                       &m.name,
                       &m.timestamp,
                       &m.original_timestamp,
                       &m.sent_at,
                       &m.received_at,
                       &m.traits,
                       &m.properties,
                       &m.context,
                       &m.context_traits,
                       &m.traits_email,
                       &m.traits_phone,
                       &m.context_traits_email,
                       &m.context_traits_phone,
                       &m.context_device_id};
    for (Field* f : fields) *f = next_field(in);
    cdp::ingest::Envelope env;
    env.now = 1700000000000000;
    if (size % 3 == 0) env.default_type = cdp::ingest::MsgType::kTrack;
    try {
        auto out = cdp::ingest::map_message(m, env);
        if (out.record_key.empty()) __builtin_trap();
        (void)cdp::ingest::render_result(1, 0, {{0, out.record_key}});
    } catch (const cdp::ingest::Rejection&) {
    }
    return 0;
}
