// cdp.ingest(payload jsonb, source text [, endpoint text]) -> jsonb
//
// Segment-spec messages into records (through identity resolution) and
// cdp.events, set-wise per batch:
//   1. read a fixed set of paths of each message straight from the jsonb
//      (getKeyJsonValueFromContainer: no recursion over user data, no
//      re-parse; properties/context are copied as jsonb sub-containers);
//   2. validate and map in the C++ core (src/core/ingest);
//   3. one duplicate check per batch through the message_id index;
//   4. one upsert per distinct record of the batch (identity layer);
//   5. one multi-row INSERT of the events, one of the rejected messages.
#include "pg/common/pg.h"

extern "C" {
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
}

#include <cstring>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/common/error.h"
#include "core/common/interrupt.h"
#include "core/identity/input.h"
#include "core/ingest/message.h"
#include "pg/profile/maintain.h"
#include "pg/profile/suppress.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/ingest/records.h"
#include "pg/common/spi.h"

namespace {

namespace ing = cdp::ingest;

// Paths read from every message (docs/ingest.md).
enum Path {
    kType,
    kMessageId,
    kUserId,
    kAnonymousId,
    kPreviousId,
    kGroupId,
    kEvent,
    kName,
    kTimestamp,
    kOriginalTimestamp,
    kSentAt,
    kReceivedAt,
    kTraits,
    kProperties,
    kContext,
    kContextTraits,
    kTraitsEmail,
    kTraitsPhone,
    kCtxTraitsEmail,
    kCtxTraitsPhone,
    kCtxDeviceId,
    kNumPaths
};

// Plain-old-data result of one lookup (filled inside pg_call).
struct Found {
    bool present;
    JsonbValue v;
    char* num_text;  // numeric_out of a number
};

// Only Postgres calls in here (run under pg_call).
bool get_key(JsonbContainer* c, const char* key, Found* out) {
    out->present = false;
    out->num_text = nullptr;
    if (c == nullptr || !JsonContainerIsObject(c)) return false;
    if (getKeyJsonValueFromContainer(c, key, static_cast<int>(strlen(key)), &out->v) == nullptr) return false;
    out->present = true;
    if (out->v.type == jbvNumeric)
        out->num_text =
            DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(out->v.val.numeric)));
    return true;
}

JsonbContainer* container_of(const Found& f) {
    return f.present && f.v.type == jbvBinary ? f.v.val.binary.data : nullptr;
}

// Reads every path of one message; `ctx` replaces the message's own context
// when the batch envelope has one (already merged).
void extract(JsonbContainer* msg, JsonbContainer* ctx, Found* f) {
    static const char* const kTop[] = {"type",    "messageId",  "userId", "anonymousId", "previousId",
                                       "groupId", "event",      "name",   "timestamp",   "originalTimestamp",
                                       "sentAt",  "receivedAt", "traits", "properties",  "context"};
    for (int i = 0; i <= kContext; ++i) get_key(msg, kTop[i], &f[i]);
    JsonbContainer* context = ctx != nullptr ? ctx : container_of(f[kContext]);
    get_key(context, "traits", &f[kContextTraits]);
    JsonbContainer* traits = container_of(f[kTraits]);
    get_key(traits, "email", &f[kTraitsEmail]);
    get_key(traits, "phone", &f[kTraitsPhone]);
    JsonbContainer* ctraits = container_of(f[kContextTraits]);
    get_key(ctraits, "email", &f[kCtxTraitsEmail]);
    get_key(ctraits, "phone", &f[kCtxTraitsPhone]);
    Found device;
    get_key(context, "device", &device);
    get_key(container_of(device), "id", &f[kCtxDeviceId]);
}

ing::Field to_field(const Found& f) {
    if (!f.present) return {};
    switch (f.v.type) {
        case jbvNull:
            return ing::Field::of(ing::Field::kNull);
        case jbvString:
            return ing::Field::str(std::string(f.v.val.string.val, static_cast<size_t>(f.v.val.string.len)));
        case jbvNumeric:
            return ing::Field::num(f.num_text);
        case jbvBool:
            return ing::Field::of(ing::Field::kBool);
        case jbvBinary:
            return ing::Field::of(JsonContainerIsObject(f.v.val.binary.data) ? ing::Field::kObject
                                                                             : ing::Field::kArray);
        default:
            return ing::Field::of(ing::Field::kObject);
    }
}

const char* jsonb_kind(const JsonbValue& v) {
    switch (v.type) {
        case jbvNull:
            return "null";
        case jbvString:
            return "a string";
        case jbvNumeric:
            return "a number";
        case jbvBool:
            return "a boolean";
        case jbvBinary:
            return JsonContainerIsObject(v.val.binary.data) ? "an object" : "an array";
        default:
            return "a JSON value";
    }
}

Datum jsonb_of(const JsonbValue& v) {
    Datum d = 0;
    JsonbValue copy = v;
    cdp::pg::pg_call([&]() noexcept { d = JsonbPGetDatum(JsonbValueToJsonb(&copy)); });
    return d;
}

ing::Micros to_unix_micros(TimestampTz t) {
    return t + static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
}

TimestampTz to_timestamptz(ing::Micros us) {
    return us - static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
}

struct Msg {
    enum State { kAccepted, kDuplicate, kRejected } state = kAccepted;
    std::string error;
    JsonbValue elem{};  // the message as found in the payload
    ing::Mapped mapped;
    Datum properties = 0, context = 0, traits = 0;  // jsonb
    size_t rec = 0;                                 // index into records
};

std::optional<ing::MsgType> endpoint_type(std::optional<std::string_view> endpoint, bool& require_batch) {
    require_batch = false;
    if (!endpoint) return std::nullopt;
    if (*endpoint == "batch" || *endpoint == "import") {
        require_batch = true;
        return std::nullopt;
    }
    auto t = ing::parse_type(*endpoint);
    if (!t)
        throw cdp::Error(
            "cdp.ingest: unknown endpoint " + ing::quote_value(*endpoint),
            cdp::sqlstate::kInvalidParameterValue, {},
            "Use identify, track, page, screen, group, alias, batch or import (the Segment HTTP API "
            "endpoint the body was sent to).");
    return t;
}

// The payload's envelope: the messages (as found in the payload), the batch
// context and sentAt.
struct Batch {
    ing::Envelope env;
    std::vector<Msg> msgs;
    Datum context = 0;  // jsonb, when the envelope has a context object
};

Batch read_envelope(Jsonb* payload, const std::optional<ing::MsgType>& default_type, bool require_batch) {
    if (!JB_ROOT_IS_OBJECT(payload) || JB_ROOT_IS_SCALAR(payload))
        throw cdp::Error(
            "cdp.ingest: payload must be a JSON object (one message or {\"batch\": [...]})",
            cdp::sqlstate::kInvalidParameterValue,
            JB_ROOT_IS_SCALAR(payload) ? "The payload is a JSON scalar." : "The payload is a JSON array.");
    Found batch{}, batch_ctx{}, batch_sent{};
    cdp::pg::pg_call([&]() noexcept {
        get_key(&payload->root, "batch", &batch);
        get_key(&payload->root, "context", &batch_ctx);
        get_key(&payload->root, "sentAt", &batch_sent);
    });
    Batch out;
    out.env.now = to_unix_micros(GetCurrentStatementStartTimestamp());
    out.env.default_type = default_type;
    if (!batch.present) {
        if (require_batch)
            throw cdp::Error("cdp.ingest: the batch endpoint needs {\"batch\": [...]}",
                             cdp::sqlstate::kInvalidParameterValue);
        out.msgs.resize(1);
        out.msgs[0].elem.type = jbvBinary;
        out.msgs[0].elem.val.binary.data = &payload->root;
        out.msgs[0].elem.val.binary.len = static_cast<int>(VARSIZE(payload) - VARHDRSZ);
        return out;
    }
    if (batch.v.type != jbvBinary || JsonContainerIsObject(batch.v.val.binary.data))
        throw cdp::Error(
            std::string("cdp.ingest: \"batch\" must be an array of messages, not ") + jsonb_kind(batch.v),
            cdp::sqlstate::kInvalidParameterValue);
    JsonbContainer* arr = batch.v.val.binary.data;
    const uint32 n = JsonContainerSize(arr);
    if (n > ing::kMaxBatchMessages)
        throw cdp::Error("cdp.ingest: batch of " + std::to_string(n) + " messages exceeds the maximum of " +
                             std::to_string(ing::kMaxBatchMessages),
                         cdp::sqlstate::kProgramLimitExceeded, {}, "Split the batch.");
    out.env.batch_sent_at = ing::parse_batch_sent_at(to_field(batch_sent));
    if (batch_ctx.present) {
        if (batch_ctx.v.type != jbvBinary || !JsonContainerIsObject(batch_ctx.v.val.binary.data))
            throw cdp::Error(std::string("cdp.ingest: batch \"context\" must be an object, not ") +
                                 jsonb_kind(batch_ctx.v),
                             cdp::sqlstate::kInvalidParameterValue);
        out.context = jsonb_of(batch_ctx.v);
    }
    out.msgs.resize(n);
    cdp::pg::pg_call([&]() noexcept {
        for (uint32 i = 0; i < n; ++i) {
            JsonbValue* e = getIthJsonbValueFromContainer(arr, i);
            out.msgs[i].elem = *e;
        }
    });
    return out;
}

ing::RawMessage to_raw(const Found* f) {
    ing::RawMessage raw;
    raw.type = to_field(f[kType]);
    raw.message_id = to_field(f[kMessageId]);
    raw.user_id = to_field(f[kUserId]);
    raw.anonymous_id = to_field(f[kAnonymousId]);
    raw.previous_id = to_field(f[kPreviousId]);
    raw.group_id = to_field(f[kGroupId]);
    raw.event = to_field(f[kEvent]);
    raw.name = to_field(f[kName]);
    raw.timestamp = to_field(f[kTimestamp]);
    raw.original_timestamp = to_field(f[kOriginalTimestamp]);
    raw.sent_at = to_field(f[kSentAt]);
    raw.received_at = to_field(f[kReceivedAt]);
    raw.traits = to_field(f[kTraits]);
    raw.properties = to_field(f[kProperties]);
    raw.context = to_field(f[kContext]);
    raw.context_traits = to_field(f[kContextTraits]);
    raw.traits_email = to_field(f[kTraitsEmail]);
    raw.traits_phone = to_field(f[kTraitsPhone]);
    raw.context_traits_email = to_field(f[kCtxTraitsEmail]);
    raw.context_traits_phone = to_field(f[kCtxTraitsPhone]);
    raw.context_device_id = to_field(f[kCtxDeviceId]);
    return raw;
}

// The envelope context under the message's own (message keys win); 0 when
// the envelope has none or the message's context is not an object.
Datum merged_context(JsonbContainer* c, Datum batch_context) {
    Datum merged = 0;
    if (batch_context == 0) return merged;
    cdp::pg::pg_call([&]() noexcept {
        Found own;
        get_key(c, "context", &own);
        if (!own.present || own.v.type == jbvNull) {
            merged = batch_context;
        } else if (own.v.type == jbvBinary && JsonContainerIsObject(own.v.val.binary.data)) {
            merged =
                DirectFunctionCall2(jsonb_concat, batch_context, JsonbPGetDatum(JsonbValueToJsonb(&own.v)));
        }
    });
    return merged;
}

// Read, validate and map one message; `seen` holds the message ids of the
// batch so far (a repeat is a duplicate: the first one counts).
void map_message(Msg& m, const Batch& b, Datum empty_object, std::unordered_set<std::string>& seen) {
    if (m.elem.type != jbvBinary || !JsonContainerIsObject(m.elem.val.binary.data)) {
        m.state = Msg::kRejected;
        m.error = std::string("message is not a JSON object (") + jsonb_kind(m.elem) + ")";
        return;
    }
    JsonbContainer* c = m.elem.val.binary.data;
    Found f[kNumPaths];
    const Datum merged_ctx = merged_context(c, b.context);
    cdp::pg::pg_call(
        [&]() noexcept { extract(c, merged_ctx != 0 ? &DatumGetJsonbP(merged_ctx)->root : nullptr, f); });
    try {
        m.mapped = ing::map_message(to_raw(f), b.env);
    } catch (const ing::Rejection& r) {
        m.state = Msg::kRejected;
        m.error = r.what();
        return;
    }
    if (m.mapped.message_id.empty()) {
        char* text = nullptr;
        cdp::pg::pg_call([&]() noexcept { text = JsonbToCString(nullptr, c, m.elem.val.binary.len); });
        m.mapped.message_id = ing::derived_message_id(ing::type_name(m.mapped.type), text);
        pfree(text);
    }
    if (!seen.insert(m.mapped.message_id).second) {
        m.state = Msg::kDuplicate;
        return;
    }
    auto obj = [&](Path p) {
        return f[p].present && f[p].v.type == jbvBinary ? jsonb_of(f[p].v) : empty_object;
    };
    m.context = merged_ctx != 0 ? merged_ctx : obj(kContext);
    m.traits = m.mapped.traits_to_record ? obj(kTraits) : 0;
    switch (m.mapped.props_from) {
        case ing::PropsFrom::kProperties:
            m.properties = obj(kProperties);
            break;
        case ing::PropsFrom::kTraits:
            m.properties = m.mapped.traits_to_record ? m.traits : obj(kTraits);
            break;
        case ing::PropsFrom::kNone:
            m.properties = empty_object;
            break;
    }
}

// Rejected messages are kept with their reason.
void store_rejected(cdp::pg::Spi& spi, const std::string& source, const std::vector<Msg>& msgs,
                    const std::vector<std::pair<long, std::string>>& rejected) {
    if (rejected.empty()) return;
    std::vector<Datum> idx, err, body;
    for (const auto& [i, e] : rejected) {
        idx.push_back(Int32GetDatum(static_cast<int32>(i)));
        err.push_back(cdp::pg::text_datum(e));
        body.push_back(jsonb_of(msgs[static_cast<size_t>(i)].elem));
    }
    spi.exec_prepared(
        R"sql(
        INSERT INTO cdp.rejected_messages (source, batch_index, error, payload)
        SELECT $1, u.i, u.e, u.p FROM unnest($2::int4[], $3::text[], $4::jsonb[]) AS u(i, e, p))sql",
        {{TEXTOID, cdp::pg::text_datum(source)},
         {INT4ARRAYOID, cdp::pg::array_datum(INT4OID, idx)},
         {TEXTARRAYOID, cdp::pg::array_datum(TEXTOID, err)},
         {JSONBARRAYOID, cdp::pg::array_datum(JSONBOID, body)}});
}

// What the database holds for the batch's records (one query).
void prefetch_records(cdp::pg::RecordBatch& records, const std::vector<Msg>& msgs) {
    std::unordered_set<std::string> distinct;
    std::vector<std::string> keys;
    for (const auto& m : msgs)
        if (m.state == Msg::kAccepted && distinct.insert(m.mapped.record_key).second)
            keys.push_back(m.mapped.record_key);
    records.prefetch(keys);
}

// One duplicate check per batch (message_id index), only for messages that
// would change the identity graph (new record or identifier, identify
// traits, alias): a duplicate must change nothing.  The others change
// nothing anyway; their duplicates are caught by the events INSERT's ON
// CONFLICT, which saves the index probes in the common case (returning
// users).
void check_duplicates(cdp::pg::Spi& spi, cdp::pg::RecordBatch& records, std::vector<Msg>& msgs) {
    std::vector<std::optional<std::string>> check_ids;
    std::unordered_map<std::string, std::pair<const std::vector<ing::Identifier>*, bool>> last;
    for (auto& m : msgs) {
        if (m.state != Msg::kAccepted) continue;
        bool quiet = m.mapped.type != ing::MsgType::kAlias && m.traits == 0;
        if (quiet) {
            auto& [ids_seen, result] = last[m.mapped.record_key];
            if (ids_seen == nullptr || !(*ids_seen == m.mapped.identifiers)) {
                ids_seen = &m.mapped.identifiers;
                result = records.changes_nothing(m.mapped.record_key, m.mapped.identifiers);
            }
            quiet = result;
        }
        if (!quiet) check_ids.emplace_back(m.mapped.message_id);
    }
    if (check_ids.empty()) return;
    spi.exec_prepared(
        R"sql(SELECT e.message_id FROM cdp.events e WHERE e.message_id OPERATOR(pg_catalog.=) ANY ($1))sql",
        {{TEXTARRAYOID, cdp::pg::text_array_datum(check_ids)}});
    const uint64 n = spi.rows();
    if (n == 0) return;
    std::unordered_set<std::string> known;
    for (uint64 r = 0; r < n; ++r) known.insert(spi.get_text(r, 0).value_or(""));
    for (auto& m : msgs)
        if (m.state == Msg::kAccepted && known.count(m.mapped.message_id)) m.state = Msg::kDuplicate;
}

// One upsert per distinct record.  Runs of non-alias messages are grouped
// by record key (first appearance order, identifiers and identify traits in
// message order); an alias is applied alone, after everything before it.
void upsert_records(cdp::pg::RecordBatch& records, std::vector<Msg>& msgs, cdp::interrupt::Ticker& ticker) {
    std::unordered_map<std::string, size_t> run;  // record key -> index in records, current run
    for (auto& m : msgs) {
        ticker.tick();
        if (m.state != Msg::kAccepted) continue;
        if (m.mapped.type == ing::MsgType::kAlias) {
            records.flush();
            run.clear();
            m.rec = records.add(m.mapped.record_key);
            records.add_identifiers(m.rec, m.mapped.identifiers);
            records.add_identifier(m.rec, records.alias_type(*m.mapped.previous_id), *m.mapped.previous_id);
            records.flush();
            continue;
        }
        auto it = run.find(m.mapped.record_key);
        if (it == run.end()) it = run.emplace(m.mapped.record_key, records.add(m.mapped.record_key)).first;
        m.rec = it->second;
        records.add_identifiers(m.rec, m.mapped.identifiers);
        if (m.traits != 0) records.merge_traits(m.rec, m.traits);
    }
    records.flush();
}

// The events: one multi-row INSERT.  ON CONFLICT: a message that was not
// pre-checked (it changes nothing) or that a concurrent session ingested
// between our check and this insert: a duplicate.  Returns (inserted,
// duplicates).
std::pair<long, long> insert_events(cdp::pg::Spi& spi, const cdp::pg::RecordBatch& records,
                                    const std::vector<Msg>& msgs) {
    std::vector<Datum> rid, type, event, props, ctx, occ, rec, mid;
    std::vector<bool> event_null;
    for (const auto& m : msgs) {
        if (m.state != Msg::kAccepted) continue;
        rid.push_back(Int64GetDatum(records.record_id(m.rec)));
        type.push_back(cdp::pg::text_datum(ing::type_name(m.mapped.type)));
        event_null.push_back(!m.mapped.event.has_value());
        event.push_back(m.mapped.event ? cdp::pg::text_datum(*m.mapped.event) : Datum(0));
        props.push_back(m.properties);
        ctx.push_back(m.context);
        occ.push_back(TimestampTzGetDatum(to_timestamptz(m.mapped.occurred_at)));
        rec.push_back(TimestampTzGetDatum(to_timestamptz(m.mapped.received_at)));
        mid.push_back(cdp::pg::text_datum(m.mapped.message_id));
    }
    if (rid.empty()) return {0, 0};
    const uint64 inserted = spi.exec_prepared(
        R"sql(
        INSERT INTO cdp.events (record_id, type, event, properties, context, occurred_at, received_at, message_id)
        SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[],
                             $6::timestamptz[], $7::timestamptz[], $8::text[])
        ON CONFLICT (message_id) DO NOTHING)sql",
        {{INT8ARRAYOID, cdp::pg::array_datum(INT8OID, rid)},
         {TEXTARRAYOID, cdp::pg::array_datum(TEXTOID, type)},
         {TEXTARRAYOID, cdp::pg::array_datum(TEXTOID, event, event_null)},
         {JSONBARRAYOID, cdp::pg::array_datum(JSONBOID, props)},
         {JSONBARRAYOID, cdp::pg::array_datum(JSONBOID, ctx)},
         {TIMESTAMPTZARRAYOID, cdp::pg::array_datum(TIMESTAMPTZOID, occ)},
         {TIMESTAMPTZARRAYOID, cdp::pg::array_datum(TIMESTAMPTZOID, rec)},
         {TEXTARRAYOID, cdp::pg::array_datum(TEXTOID, mid)}});
    cdp::pg::profile::records_changed(rid, ctx, occ);
    return {static_cast<long>(inserted), static_cast<long>(rid.size() - inserted)};
}

Datum ingest(FunctionCallInfo fcinfo) {
    Jsonb* payload = nullptr;
    cdp::pg::pg_call([&]() noexcept { payload = PG_GETARG_JSONB_P(0); });
    const std::string source(cdp::pg::text_arg(fcinfo, 1));
    cdp::identity::check_source(source);
    bool require_batch = false;
    const auto default_type =
        endpoint_type(PG_NARGS() > 2 ? cdp::pg::opt_text_arg(fcinfo, 2) : std::nullopt, require_batch);

    // 1.-2. envelope; read, validate, map every message
    Batch b = read_envelope(payload, default_type, require_batch);
    const Datum empty_object = cdp::pg::jsonb_datum("{}");
    cdp::interrupt::Ticker ticker(256);
    std::unordered_set<std::string> seen;
    seen.reserve(b.msgs.size() * 2);
    for (auto& m : b.msgs) {
        ticker.tick();
        map_message(m, b, empty_object, seen);
    }
    std::vector<std::pair<long, std::string>> rejected;
    for (size_t i = 0; i < b.msgs.size(); ++i)
        if (b.msgs[i].state == Msg::kRejected) rejected.emplace_back(static_cast<long>(i), b.msgs[i].error);
    const std::vector<long> suppressed = cdp::pg::profile::drop_suppressed(b.msgs);

    long accepted = 0, duplicates = 0;
    {
        cdp::pg::Spi spi;
        store_rejected(spi, source, b.msgs, rejected);
        cdp::pg::RecordBatch records(spi, source);
        prefetch_records(records, b.msgs);
        // 3. duplicates
        check_duplicates(spi, records, b.msgs);
        // 4. records
        upsert_records(records, b.msgs, ticker);
        // 5. events
        std::tie(accepted, duplicates) = insert_events(spi, records, b.msgs);
    }
    for (const auto& m : b.msgs)
        if (m.state == Msg::kDuplicate) ++duplicates;
    return cdp::pg::jsonb_datum(
        cdp::pg::profile::with_suppressed(ing::render_result(accepted, duplicates, rejected), suppressed));
}

}  // namespace

CDP_FUNCTION(cdp_ingest) {
    // Not STRICT in its 3-argument form (endpoint NULL = no default type).
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) PG_RETURN_NULL();
    return cdp::pg::guarded([&] { return ingest(fcinfo); });
}
