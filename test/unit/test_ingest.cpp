// Unit tests of the Segment-spec ingest core (src/core/ingest).
#include <gtest/gtest.h>

#include <string>

#include "core/common/error.h"
#include "core/ingest/message.h"
#include "core/ingest/sha256.h"
#include "core/ingest/timestamp.h"

using cdp::ingest::Envelope;
using cdp::ingest::Field;
using cdp::ingest::map_message;
using cdp::ingest::Mapped;
using cdp::ingest::MsgType;
using cdp::ingest::parse_iso8601;
using cdp::ingest::RawMessage;
using cdp::ingest::Rejection;

namespace {

// Expected values below come from GNU date: date -u -d '<ts>' +%s%N.
constexpr std::int64_t kT0 = 1424730535111000;  // 2015-02-23T22:28:55.111Z

RawMessage track(const char* user = "u1") {
    RawMessage m;
    m.type = Field::str("track");
    m.event = Field::str("Order Completed");
    m.user_id = Field::str(user);
    m.message_id = Field::str("m-1");
    return m;
}

Envelope env_at(std::int64_t now) {
    Envelope e;
    e.now = now;
    return e;
}

std::string error_of(const RawMessage& m, const Envelope& e = env_at(0)) {
    try {
        map_message(m, e);
    } catch (const Rejection& r) {
        return r.what();
    }
    return "(accepted)";
}

}  // namespace

// ---- timestamps ------------------------------------------------------------
TEST(IngestTimestamp, ZuluWithMillis) { EXPECT_EQ(parse_iso8601("2015-02-23T22:28:55.111Z"), kT0); }
TEST(IngestTimestamp, OffsetWithColon) {
    EXPECT_EQ(parse_iso8601("2000-02-29T12:00:00+02:00"), std::int64_t{951818400000000});
}
TEST(IngestTimestamp, OffsetWithoutColonAndHourOnly) {
    EXPECT_EQ(parse_iso8601("2000-02-29T12:00:00+0200"), std::int64_t{951818400000000});
    EXPECT_EQ(parse_iso8601("2000-02-29T12:00:00+02"), std::int64_t{951818400000000});
}
TEST(IngestTimestamp, NegativeEpoch) {
    EXPECT_EQ(parse_iso8601("1969-12-31T23:59:59Z"), std::int64_t{-1000000});
}
TEST(IngestTimestamp, DateOnlyIsMidnightUtc) {
    EXPECT_EQ(parse_iso8601("2012-12-02"), std::int64_t{1354406400000000});
}
TEST(IngestTimestamp, NoZoneIsUtcAndSpaceSeparator) {
    EXPECT_EQ(parse_iso8601("2015-02-23 22:28:55.111"), kT0);
    EXPECT_EQ(parse_iso8601("2015-02-23t22:28:55.111z"), kT0);
}
TEST(IngestTimestamp, FractionRoundedToMicros) {
    EXPECT_EQ(parse_iso8601("2015-02-23T22:28:55.1110004Z"), kT0);
    EXPECT_EQ(parse_iso8601("2015-02-23T22:28:55.1109996Z"), kT0);
    EXPECT_EQ(parse_iso8601("2015-02-23T22:28:55.111000123456789Z"), kT0);
    EXPECT_EQ(parse_iso8601("2015-02-23T22:28:55,111Z"), kT0);
}
TEST(IngestTimestamp, MinutesOnly) { EXPECT_EQ(parse_iso8601("2015-02-23T22:28Z"), kT0 - 55111000); }
TEST(IngestTimestamp, LeapSecondRollsOver) {
    EXPECT_EQ(parse_iso8601("2016-12-31T23:59:60Z"), parse_iso8601("2017-01-01T00:00:00Z"));
}
TEST(IngestTimestamp, OneDigitMonthRefused) {
    // http-api_7.json of the Segment docs has this one.
    EXPECT_FALSE(parse_iso8601("2015-2-02T00:30:08.276Z"));
}
TEST(IngestTimestamp, ImpossibleDatesRefused) {
    EXPECT_FALSE(parse_iso8601("2015-02-29T00:00:00Z"));
    EXPECT_FALSE(parse_iso8601("2015-04-31"));
    EXPECT_FALSE(parse_iso8601("2015-13-01"));
    EXPECT_FALSE(parse_iso8601("2015-00-10"));
    EXPECT_FALSE(parse_iso8601("0000-01-01"));
    EXPECT_TRUE(parse_iso8601("2000-02-29"));
    EXPECT_FALSE(parse_iso8601("1900-02-29"));
}
TEST(IngestTimestamp, GarbageRefused) {
    for (const char* s : {"", "now", "2015", "2015-02-23T", "2015-02-23T25:00:00Z", "2015-02-23T22:61:00Z",
                          "2015-02-23T22:28:55.Z", "2015-02-23T22:28:55Zjunk", "2015-02-23T22:28:55+2",
                          "2015-02-23T22:28:55 +02:00", "1424730535111", "2015-02-23X22:28"})
        EXPECT_FALSE(parse_iso8601(s)) << s;
}

// ---- SHA-256 (FIPS 180-4 examples; the rest checked with sha256sum) -----------
TEST(IngestSha256, Empty) {
    EXPECT_EQ(cdp::ingest::sha256_hex(""),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
TEST(IngestSha256, Abc) {
    EXPECT_EQ(cdp::ingest::sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
TEST(IngestSha256, TwoBlocks) {
    EXPECT_EQ(cdp::ingest::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
TEST(IngestSha256, PaddingBoundaries) {
    EXPECT_EQ(cdp::ingest::sha256_hex(std::string(55, 'a')),
              "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    EXPECT_EQ(cdp::ingest::sha256_hex(std::string(56, 'a')),
              "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    EXPECT_EQ(cdp::ingest::sha256_hex(std::string(64, 'a')),
              "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}
TEST(IngestSha256, MillionA) {
    EXPECT_EQ(cdp::ingest::sha256_hex(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// ---- mapping -------------------------------------------------------------------
TEST(IngestMap, TrackKeyedByUserId) {
    auto m = track();
    m.anonymous_id = Field::str("a1");
    Mapped out = map_message(m, env_at(kT0));
    EXPECT_EQ(out.type, MsgType::kTrack);
    EXPECT_EQ(out.record_key, "u1");
    EXPECT_EQ(out.event, "Order Completed");
    EXPECT_EQ(out.props_from, cdp::ingest::PropsFrom::kProperties);
    EXPECT_FALSE(out.traits_to_record);
    ASSERT_EQ(out.identifiers.size(), 2u);
    EXPECT_EQ(out.identifiers[0].type, "user_id");
    EXPECT_EQ(out.identifiers[1].type, "anonymous_id");
    EXPECT_EQ(out.identifiers[1].value, "a1");
}
TEST(IngestMap, AnonymousOnlyKeyedByAnonymousId) {
    auto m = track();
    m.user_id = Field::of(Field::kNull);
    m.anonymous_id = Field::str("a1");
    EXPECT_EQ(map_message(m, env_at(0)).record_key, "a1");
}
TEST(IngestMap, EmptyUserIdCountsAsAbsent) {
    auto m = track("");
    m.anonymous_id = Field::str("a1");
    auto out = map_message(m, env_at(0));
    EXPECT_EQ(out.record_key, "a1");
    EXPECT_EQ(out.identifiers.size(), 1u);
}
TEST(IngestMap, NumericUserIdAccepted) {
    RawMessage m = track();
    m.user_id = Field::num("12345");
    EXPECT_EQ(map_message(m, env_at(0)).record_key, "12345");
}
TEST(IngestMap, NoIdsRejected) {
    auto m = track();
    m.user_id = Field{};
    EXPECT_EQ(error_of(m), "message has neither userId nor anonymousId (Segment requires one)");
}
TEST(IngestMap, BooleanUserIdRejected) {
    auto m = track();
    m.user_id = Field::of(Field::kBool);
    EXPECT_EQ(error_of(m), "userId must be a string or a number, not a boolean");
}
TEST(IngestMap, TooLongIdRejected) {
    auto m = track();
    m.user_id = Field::str(std::string(1025, 'x'));
    EXPECT_EQ(error_of(m), "userId is longer than 1024 bytes");
}
TEST(IngestMap, MissingTypeRejected) {
    auto m = track();
    m.type = Field{};
    EXPECT_EQ(error_of(m), "missing \"type\" (identify, track, page, screen, group or alias)");
}
TEST(IngestMap, MissingTypeUsesEndpointDefault) {
    auto m = track();
    m.type = Field{};
    auto e = env_at(0);
    e.default_type = MsgType::kTrack;
    EXPECT_EQ(map_message(m, e).type, MsgType::kTrack);
}
TEST(IngestMap, OwnTypeWinsOverEndpoint) {
    auto m = track();
    m.type = Field::str("page");
    auto e = env_at(0);
    e.default_type = MsgType::kTrack;
    EXPECT_EQ(map_message(m, e).type, MsgType::kPage);
}
TEST(IngestMap, UnknownTypeRejected) {
    auto m = track();
    m.type = Field::str("Track");
    EXPECT_EQ(error_of(m), "unknown type \"Track\" (expected identify, track, page, screen, group or alias)");
}
TEST(IngestMap, TrackWithoutEventRejected) {
    auto m = track();
    m.event = Field{};
    EXPECT_EQ(error_of(m), "track message has no \"event\"");
    m.event = Field::num("3");
    EXPECT_EQ(error_of(m), "event must be a string, not a number");
    m.event = Field::str("");
    EXPECT_EQ(error_of(m), "track message has an empty \"event\"");
}
TEST(IngestMap, PageNameOptional) {
    auto m = track();
    m.type = Field::str("page");
    m.event = Field{};
    auto out = map_message(m, env_at(0));
    EXPECT_FALSE(out.event.has_value());
    m.name = Field::str("Home");
    EXPECT_EQ(map_message(m, env_at(0)).event, "Home");
}
TEST(IngestMap, ScreenNameMustBeString) {
    auto m = track();
    m.type = Field::str("screen");
    m.name = Field::of(Field::kObject);
    EXPECT_EQ(error_of(m), "name must be a string, not an object");
}
TEST(IngestMap, IdentifyTraitsGiveIdentifiersAndMerge) {
    RawMessage m;
    m.type = Field::str("identify");
    m.user_id = Field::str("u1");
    m.traits = Field::of(Field::kObject);
    m.traits_email = Field::str("Peter@Example.com");
    m.traits_phone = Field::num("393331234567");
    m.context = Field::of(Field::kObject);
    m.context_device_id = Field::str("dev-1");
    auto out = map_message(m, env_at(0));
    EXPECT_TRUE(out.traits_to_record);
    EXPECT_EQ(out.props_from, cdp::ingest::PropsFrom::kTraits);
    ASSERT_EQ(out.identifiers.size(), 4u);
    EXPECT_EQ(out.identifiers[1], (cdp::ingest::Identifier{"email", "Peter@Example.com"}));
    EXPECT_EQ(out.identifiers[2], (cdp::ingest::Identifier{"phone", "393331234567"}));
    EXPECT_EQ(out.identifiers[3], (cdp::ingest::Identifier{"device_id", "dev-1"}));
}
TEST(IngestMap, TrackReadsContextTraitsNotTopLevelTraits) {
    auto m = track();
    m.traits_email = Field::str("top@example.com");  // not read for track
    m.context_traits = Field::of(Field::kObject);
    m.context_traits_email = Field::str("ctx@example.com");
    auto out = map_message(m, env_at(0));
    ASSERT_EQ(out.identifiers.size(), 2u);
    EXPECT_EQ(out.identifiers[1], (cdp::ingest::Identifier{"email", "ctx@example.com"}));
}
TEST(IngestMap, GroupTraitsAreNotTheUsers) {
    RawMessage m;
    m.type = Field::str("group");
    m.user_id = Field::str("u1");
    m.group_id = Field::str("g1");
    m.traits_email = Field::str("billing@initech.com");
    auto out = map_message(m, env_at(0));
    EXPECT_EQ(out.event, "g1");
    EXPECT_FALSE(out.traits_to_record);
    EXPECT_EQ(out.identifiers.size(), 1u);
}
TEST(IngestMap, GroupWithoutGroupIdRejected) {
    RawMessage m;
    m.type = Field::str("group");
    m.user_id = Field::str("u1");
    EXPECT_EQ(error_of(m), "group message has no \"groupId\"");
}
TEST(IngestMap, NonStringEmailIgnored) {
    RawMessage m;
    m.type = Field::str("identify");
    m.user_id = Field::str("u1");
    m.traits_email = Field::num("42");
    EXPECT_EQ(map_message(m, env_at(0)).identifiers.size(), 1u);
}
TEST(IngestMap, AliasNeedsPreviousIdAndUserId) {
    RawMessage m;
    m.type = Field::str("alias");
    m.user_id = Field::str("u1");
    EXPECT_EQ(error_of(m), "alias message has no \"previousId\"");
    m.previous_id = Field::str("anon-1");
    auto out = map_message(m, env_at(0));
    EXPECT_EQ(out.previous_id, "anon-1");
    EXPECT_EQ(out.record_key, "u1");
    m.user_id = Field{};
    m.anonymous_id = Field::str("anon-2");
    EXPECT_EQ(error_of(m), "alias message has no \"userId\"");
}
TEST(IngestMap, PropertiesMustBeObject) {
    auto m = track();
    m.properties = Field::of(Field::kArray);
    EXPECT_EQ(error_of(m), "properties must be an object, not an array");
    m.properties = Field::of(Field::kNull);
    EXPECT_EQ(error_of(m), "(accepted)");
}
TEST(IngestMap, MessageIdMustBeString) {
    auto m = track();
    m.message_id = Field::num("7");
    EXPECT_EQ(error_of(m), "messageId must be a string, not a number");
    m.message_id = Field{};
    EXPECT_EQ(map_message(m, env_at(0)).message_id, "");
}

// ---- timestamp rules -------------------------------------------------------------
TEST(IngestTime, TimestampWins) {
    auto m = track();
    m.timestamp = Field::str("2015-02-23T22:28:55.111Z");
    m.original_timestamp = Field::str("2000-01-01T00:00:00Z");
    m.received_at = Field::str("2015-02-23T22:28:55.387Z");
    auto out = map_message(m, env_at(0));
    EXPECT_EQ(out.occurred_at, kT0);
    EXPECT_EQ(out.received_at, kT0 + 276000);
}
TEST(IngestTime, SkewCorrectedFromOriginalAndSentAt) {
    // Device clock 1 hour behind: sent 2 s after the event; received at now.
    auto m = track();
    m.original_timestamp = Field::str("2015-02-23T21:28:53.111Z");
    m.sent_at = Field::str("2015-02-23T21:28:55.111Z");
    auto out = map_message(m, env_at(kT0));
    EXPECT_EQ(out.received_at, kT0);
    EXPECT_EQ(out.occurred_at, kT0 - 2000000);
}
TEST(IngestTime, BatchSentAtUsedForSkew) {
    auto m = track();
    m.original_timestamp = Field::str("2015-02-23T21:28:53.111Z");
    auto e = env_at(kT0);
    e.batch_sent_at = parse_iso8601("2015-02-23T21:28:55.111Z");
    EXPECT_EQ(map_message(m, e).occurred_at, kT0 - 2000000);
}
TEST(IngestTime, OriginalWithoutSentAtTakenAsIs) {
    auto m = track();
    m.original_timestamp = Field::str("2015-02-23T21:28:53.111Z");
    EXPECT_EQ(map_message(m, env_at(kT0)).occurred_at, kT0 - 3602000000);
}
TEST(IngestTime, NothingGivenMeansReceiveTime) {
    auto out = map_message(track(), env_at(kT0));
    EXPECT_EQ(out.occurred_at, kT0);
    EXPECT_EQ(out.received_at, kT0);
}
TEST(IngestTime, BadTimestampRejectedWithValue) {
    auto m = track();
    m.timestamp = Field::str("2015-2-02T00:30:08.276Z");
    EXPECT_EQ(error_of(m), "timestamp \"2015-2-02T00:30:08.276Z\" is not an ISO-8601 date-time");
    m.timestamp = Field::num("1424730535");
    EXPECT_EQ(error_of(m), "timestamp must be an ISO-8601 date-time string, not a number");
}
TEST(IngestTime, BadBatchSentAtIsTopLevelError) {
    try {
        cdp::ingest::parse_batch_sent_at(Field::str("yesterday"));
        FAIL();
    } catch (const cdp::Error& e) {
        EXPECT_STREQ(e.sqlstate(), "22007");
        EXPECT_STREQ(e.what(), "batch sentAt \"yesterday\" is not an ISO-8601 date-time");
    }
}

// ---- helpers ----------------------------------------------------------------------
TEST(IngestHelpers, DerivedMessageIdIsStableAndTyped) {
    auto a = cdp::ingest::derived_message_id("track", "{\"event\": \"x\"}");
    EXPECT_EQ(a, cdp::ingest::derived_message_id("track", "{\"event\": \"x\"}"));
    EXPECT_NE(a, cdp::ingest::derived_message_id("page", "{\"event\": \"x\"}"));
    EXPECT_EQ(a, "cdp-" + cdp::ingest::sha256_hex("track\n{\"event\": \"x\"}"));
}
TEST(IngestHelpers, QuoteValueTruncatesOnCodePoints) {
    std::string s;
    for (int i = 0; i < 100; ++i) s += "\xc3\xa9";  // é
    auto q = cdp::ingest::quote_value(s);
    EXPECT_EQ(q.size(), 2 + 80 * 2 + 3u);
    EXPECT_EQ(q.substr(q.size() - 4), "...\"");
}
TEST(IngestHelpers, RenderResultEscapes) {
    EXPECT_EQ(cdp::ingest::render_result(2, 1, {{0, "bad \"x\"\n\x01"}}),
              "{\"accepted\":2,\"duplicates\":1,\"rejected\":[{\"index\":0,\"error\":\"bad "
              "\\\"x\\\"\\n\\u0001\"}]}");
    EXPECT_EQ(cdp::ingest::render_result(0, 0, {}), "{\"accepted\":0,\"duplicates\":0,\"rejected\":[]}");
}

// Every stored timestamp stays within 0001-01-01 .. 9999-12-31 (issue:
// values outside it broke SELECT and pg_dump with 22008).
TEST(IngestTimestamp, RangeLimits) {
    using cdp::ingest::in_range;
    // Boundaries, checked against GNU date: date -u -d '0001-01-01' +%s.
    EXPECT_EQ(parse_iso8601("0001-01-01T00:00:00Z"), cdp::ingest::kMinMicros);
    EXPECT_EQ(parse_iso8601("9999-12-31T23:59:59.999999Z"), cdp::ingest::kMaxMicros);
    EXPECT_EQ(cdp::ingest::kMinMicros, std::int64_t{-62135596800} * 1000000);
    EXPECT_EQ(cdp::ingest::kMaxMicros, std::int64_t{253402300799} * 1000000 + 999999);
    // Rounding or a zone offset past either end leaves the range.
    EXPECT_FALSE(in_range(*parse_iso8601("9999-12-31T23:59:59.9999996Z")));
    EXPECT_TRUE(in_range(*parse_iso8601("9999-12-31T23:59:59.9999994Z")));
    EXPECT_FALSE(in_range(*parse_iso8601("9999-12-31T23:30:00-01:00")));
    EXPECT_FALSE(in_range(*parse_iso8601("0001-01-01T00:30:00+01:00")));
    EXPECT_FALSE(parse_iso8601("10000-01-01"));
}
TEST(IngestTime, OutOfRangeTimestampRejected) {
    auto m = track();
    m.timestamp = Field::str("9999-12-31T23:59:59.9999999Z");
    EXPECT_EQ(error_of(m),
              "timestamp \"9999-12-31T23:59:59.9999999Z\" is outside 0001-01-01 .. 9999-12-31 (UTC)");
    m.timestamp = Field::str("9999-12-31T23:59:59.999999Z");
    EXPECT_EQ(error_of(m), "(accepted)");
}
TEST(IngestTime, SkewCorrectionOutOfRangeRejected) {
    auto m = track();
    m.original_timestamp = Field::str("0001-01-01T00:00:00Z");
    m.sent_at = Field::str("9999-12-31T00:00:00Z");
    EXPECT_NE(error_of(m, env_at(kT0)).find("clock skew"), std::string::npos);
    // The same pair with the event clock ahead: also outside the range.
    auto n = track();
    n.original_timestamp = Field::str("9999-12-31T00:00:00Z");
    n.sent_at = Field::str("0001-01-01T00:00:00Z");
    EXPECT_NE(error_of(n, env_at(kT0)).find("clock skew"), std::string::npos);
    // A correction that stays inside is kept.
    auto k = track();
    k.original_timestamp = Field::str("2015-02-23T21:28:53.111Z");
    k.sent_at = Field::str("2015-02-23T21:28:55.111Z");
    EXPECT_EQ(error_of(k, env_at(kT0)), "(accepted)");
}
TEST(IngestMap, NumericDeviceIdIgnoredLikeOtherNonStrings) {
    auto m = track();
    m.context = Field::of(Field::kObject);
    m.context_device_id = Field::num("12345");
    auto out = map_message(m, env_at(0));
    for (const auto& id : out.identifiers) EXPECT_NE(id.type, "device_id");
}
