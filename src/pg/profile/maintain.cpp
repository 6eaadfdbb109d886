// See maintain.h.  Survivorship is decided in the core
// (core/profile/survivorship.h); computed traits are one generated UPDATE
// (core/profile/computed.h) over the events of the customers' records.
#include "pg/common/pg.h"

extern "C" {
#include "catalog/namespace.h"
#include "utils/lsyscache.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "lib/stringinfo.h"
#include "utils/timestamp.h"
}

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "core/profile/computed.h"
#include "core/profile/survivorship.h"
#include "pg/common/boundary.h"
#include "pg/common/convert.h"
#include "pg/common/init.h"
#include "pg/common/spi.h"
#include "pg/profile/maintain.h"
#include "pg/activation/hooks.h"
#include "pg/segment/track.h"

namespace cdp::pg::profile {

namespace prof = cdp::profile;

namespace {
char* test_now = nullptr;       // cdp.test_now
bool maintain_profiles = true;  // cdp.maintain_profiles

void define_gucs() {
    DefineCustomBoolVariable(
        "cdp.maintain_profiles",
        "Keep cdp.profiles current on every write (off: bulk loads; then CALL cdp.rebuild_profiles()).",
        nullptr, &maintain_profiles, true, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomStringVariable(
        "cdp.test_now", "Test-only: the time computed traits treat as now (empty: the transaction time).",
        nullptr, &test_now, "", PGC_SUSET, 0, nullptr, nullptr, nullptr);
}
CDP_MODULE_INIT(define_gucs);

constexpr size_t kBatch = 5000;

}  // namespace

namespace {

std::string build_update(const std::string& obj, const std::string& derived, bool all) {
    std::string from =
        all ? "FROM cdp.profiles c LEFT JOIN cdp.records r ON r.customer_id = c.customer_id "
              "LEFT JOIN cdp.events e ON e.record_id = r.record_id GROUP BY c.customer_id"
            : "FROM unnest($1::int8[]) AS c(customer_id) LEFT JOIN cdp.records r ON r.customer_id = "
              "c.customer_id LEFT JOIN cdp.events e ON e.record_id = r.record_id GROUP BY c.customer_id";
    // Keys written by the predict area (predicted_<name>, score_<name>) are
    // not computed here: they are kept as they are.
    const std::string kept =
        "coalesce((SELECT jsonb_object_agg(k.key, k.value) FROM jsonb_each(p.computed) k "
        "WHERE k.key ~ '^(predicted|score)_'), '{}'::jsonb)";
    return "UPDATE cdp.profiles p SET computed = x.j || " + kept +
           ", updated_at = now() FROM ("
           "SELECT b.customer_id, jsonb_strip_nulls(b.j || cdp._rfm_scores(b.j, (SELECT s.rfm_cuts FROM "
           "cdp.computed_state s))) AS j FROM ("
           "SELECT a.customer_id, " +
           derived + " AS j FROM (SELECT c.customer_id, " + obj + " AS j " + from +
           ") a) b OFFSET 0) x WHERE p.customer_id = x.customer_id AND p.computed IS DISTINCT FROM x.j || " +
           kept;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
        s.replace(p, from.size(), to);
    return s;
}

}  // namespace

const Compiled& compiled(Spi& spi) {
    static Compiled cache;
    spi.exec_prepared("SELECT name, definition::text FROM cdp.computed_traits ORDER BY name", {});
    std::vector<std::pair<std::string, std::string>> defs;
    std::string key;
    for (uint64 i = 0; i < spi.rows(); ++i) {
        defs.emplace_back(*spi.get_text(i, 0), *spi.get_text(i, 1));
        key += defs.back().first + '\x1f' + defs.back().second + '\x1e';
    }
    if (key == cache.key && !cache.subset_sql.empty()) return cache;
    std::vector<std::string> parts;
    std::string derived_items;
    std::set<int64_t> windows;
    std::vector<std::pair<std::string, std::string>> days;
    for (const auto& [name, def] : defs) {
        prof::ComputedTrait t = prof::compile_computed_trait(name, def);
        if (t.aggregate == prof::Aggregate::kDaysSince) {
            days.emplace_back(name, t.source_trait);
            derived_items += (derived_items.empty() ? "" : ", ") + prof::sql_literal(name) +
                             ", floor(extract(epoch FROM ({now} - (a.j ->> " +
                             prof::sql_literal(t.source_trait) + ")::timestamptz)) / 86400)::int";
            continue;
        }
        if (t.within_seconds > 0) windows.insert(t.within_seconds);
        parts.push_back(prof::sql_literal(name) + ", " + t.sql);
    }
    // jsonb_build_object takes at most 100 arguments: chunks of 40 pairs.
    std::string obj;
    for (size_t i = 0; i < parts.size(); i += 40) {
        std::string chunk;
        for (size_t k = i; k < std::min(parts.size(), i + 40); ++k) chunk += (k > i ? ", " : "") + parts[k];
        obj += (obj.empty() ? "" : " || ") + std::string("jsonb_build_object(") + chunk + ")";
    }
    if (obj.empty()) obj = "'{}'::jsonb";
    std::string derived = derived_items.empty() ? "a.j" : "a.j || jsonb_build_object(" + derived_items + ")";
    Compiled c;
    c.key = key;
    c.subset_sql = replace_all(build_update(obj, derived, false), "{now}", "$2::timestamptz");
    c.all_sql = replace_all(build_update(obj, derived, true), "{now}", "$1::timestamptz");
    c.windows.assign(windows.begin(), windows.end());
    c.days_since = days;
    cache = std::move(c);
    return cache;
}

namespace {

int64_t micros_of(const std::optional<std::string>& s) { return s ? std::stoll(*s) : 0; }

// Merged-away customers of `ids` that still have a profile or consents:
// consents merge into the survivor (most recent decision per purpose wins),
// the old profile goes.  The consent history stays under the old id (read
// through customer_aliases by customer_profile(as_of)).
void absorb_merged(Spi& spi, const std::vector<int64>& ids) {
    spi.exec_prepared(
        "SELECT a.old_id, a.customer_id FROM cdp.customer_aliases a WHERE a.customer_id = ANY($1) "
        "AND (EXISTS (SELECT 1 FROM cdp.profiles p WHERE p.customer_id = a.old_id) "
        "OR EXISTS (SELECT 1 FROM cdp.consents c WHERE c.customer_id = a.old_id))",
        {{INT8ARRAYOID, int64_array_datum(ids)}});
    if (spi.rows() == 0) return;
    std::vector<int64> olds, news;
    for (uint64 i = 0; i < spi.rows(); ++i) {
        olds.push_back(*spi.get_int64(i, 0));
        news.push_back(*spi.get_int64(i, 1));
    }
    std::vector<SpiArg> args{{INT8ARRAYOID, int64_array_datum(olds)},
                             {INT8ARRAYOID, int64_array_datum(news)}};
    spi.exec_prepared(
        "INSERT INTO cdp.consents AS k (customer_id, purpose, granted, source, updated_at) "
        "SELECT DISTINCT ON (m.n, c.purpose) m.n, c.purpose, c.granted, c.source, c.updated_at "
        "FROM unnest($1::int8[], $2::int8[]) AS m(o, n) JOIN cdp.consents c ON c.customer_id = m.o "
        "ORDER BY m.n, c.purpose, c.updated_at DESC "
        "ON CONFLICT (customer_id, purpose) DO UPDATE SET granted = excluded.granted, source = "
        "excluded.source, "
        "updated_at = excluded.updated_at WHERE excluded.updated_at > k.updated_at",
        args);
    spi.exec_prepared("DELETE FROM cdp.consents WHERE customer_id = ANY($1)", {args[0]});
    spi.exec_prepared("DELETE FROM cdp.profiles WHERE customer_id = ANY($1)", {args[0]});
}

void recompute_traits(Spi& spi, const std::vector<int64>& ids) {
    prof::RuleMap rules;
    spi.exec_prepared("SELECT trait, rule FROM cdp.trait_rules", {});
    for (uint64 i = 0; i < spi.rows(); ++i) {
        auto r = prof::parse_rule(*spi.get_text(i, 1));
        if (r) rules[*spi.get_text(i, 0)] = *r;
    }
    std::map<int64, std::string> old;
    spi.exec_prepared("SELECT customer_id, traits::text FROM cdp.profiles WHERE customer_id = ANY($1)",
                      {{INT8ARRAYOID, int64_array_datum(ids)}});
    for (uint64 i = 0; i < spi.rows(); ++i) old[*spi.get_int64(i, 0)] = *spi.get_text(i, 1);
    // The record's time: its identify events when it has any, else its own
    // created/updated times.
    spi.exec_prepared(
        "SELECT r.customer_id, r.record_id, coalesce(s.priority, 100), "
        "(extract(epoch FROM coalesce(ev.f, r.created_at)) * 1000000)::int8, "
        "(extract(epoch FROM coalesce(ev.l, r.updated_at)) * 1000000)::int8, r.traits::text, r.source "
        "FROM cdp.records r LEFT JOIN cdp.sources s ON s.source = r.source "
        "LEFT JOIN LATERAL (SELECT min(e.occurred_at) AS f, max(e.occurred_at) AS l FROM cdp.events e "
        "WHERE e.record_id = r.record_id AND e.type = 'identify') ev ON true "
        "WHERE r.customer_id = ANY($1) ORDER BY r.customer_id, r.record_id",
        {{INT8ARRAYOID, int64_array_datum(ids)}});
    std::map<int64, std::vector<prof::RecordInput>> recs;
    std::map<int64, std::string> source_of;
    for (uint64 i = 0; i < spi.rows(); ++i) {
        prof::RecordInput r;
        r.record_id = *spi.get_int64(i, 1);
        r.source_priority = static_cast<int32_t>(spi.get_int64(i, 2).value_or(100));
        r.first_at = micros_of(spi.get_text(i, 3));
        r.last_at = micros_of(spi.get_text(i, 4));
        r.traits_json = spi.get_text(i, 5).value_or("{}");
        source_of[r.record_id] = spi.get_text(i, 6).value_or("");
        recs[*spi.get_int64(i, 0)].push_back(std::move(r));
    }
    std::vector<int64> up_id, gone, ch_id;
    std::vector<std::optional<std::string>> up_traits, ch_trait, ch_old, ch_new, ch_src;
    for (int64 c : ids) {
        auto it = recs.find(c);
        auto o = old.find(c);
        if (it == recs.end()) {
            if (o != old.end()) gone.push_back(c);
            continue;
        }
        prof::ProfileResult res = prof::build_profile(it->second, rules, o == old.end() ? "" : o->second);
        if (o != old.end() && res.changes.empty()) continue;
        up_id.push_back(c);
        up_traits.emplace_back(res.traits_json);
        for (auto& ch : res.changes) {
            ch_id.push_back(c);
            ch_trait.emplace_back(ch.trait);
            ch_old.push_back(ch.old_json);
            ch_new.push_back(ch.new_json);
            auto s = source_of.find(ch.record_id);
            ch_src.push_back(s == source_of.end() ? std::nullopt : std::optional<std::string>(s->second));
        }
    }
    if (!gone.empty())
        spi.exec_prepared("DELETE FROM cdp.profiles WHERE customer_id = ANY($1)",
                          {{INT8ARRAYOID, int64_array_datum(gone)}});
    if (!up_id.empty())
        spi.exec_prepared(
            "INSERT INTO cdp.profiles AS p (customer_id, traits) SELECT * FROM unnest($1::int8[], "
            "$2::text[]::jsonb[]) "
            "ON CONFLICT (customer_id) DO UPDATE SET traits = excluded.traits, updated_at = now()",
            {{INT8ARRAYOID, int64_array_datum(up_id)}, {TEXTARRAYOID, text_array_datum(up_traits)}});
    if (!ch_id.empty())
        spi.exec_prepared(
            "INSERT INTO cdp.profile_changes (customer_id, trait, old_value, new_value, source) "
            "SELECT * FROM unnest($1::int8[], $2::text[], $3::text[]::jsonb[], $4::text[]::jsonb[], "
            "$5::text[])",
            {{INT8ARRAYOID, int64_array_datum(ch_id)},
             {TEXTARRAYOID, text_array_datum(ch_trait)},
             {TEXTARRAYOID, text_array_datum(ch_old)},
             {TEXTARRAYOID, text_array_datum(ch_new)},
             {TEXTARRAYOID, text_array_datum(ch_src)}});
}

void recompute_computed_with(Spi& spi, const std::vector<int64>& ids, bool all) {
    const Compiled& c = compiled(spi);
    Datum now = TimestampTzGetDatum(clock_now());
    if (all) {
        spi.exec(c.all_sql.c_str(), {{TIMESTAMPTZOID, now}});
        return;
    }
    if (ids.empty()) return;
    spi.exec_prepared(c.subset_sql.c_str(), {{INT8ARRAYOID, int64_array_datum(ids)}, {TIMESTAMPTZOID, now}});
}

}  // namespace

bool schema_installed() {
    bool ok = false;
    pg_call([&]() noexcept {
        Oid nsp = get_namespace_oid("cdp", true);
        ok = OidIsValid(nsp) && OidIsValid(get_relname_relid("profiles", nsp)) &&
             OidIsValid(get_relname_relid("suppressions", nsp));
    });
    return ok;
}

TimestampTz clock_now() {
    TimestampTz t = GetCurrentTransactionStartTimestamp();
    if (test_now != nullptr && test_now[0] != '\0') {
        const char* s = test_now;
        pg_call([&]() noexcept {
            t = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(s),
                                                        ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
        });
    }
    return t;
}

// With profile maintenance off (bulk loads) the change is not tracked per
// customer: the next refresh of every segment is a full one.
static void untracked_change() {
    Spi spi;
    cdp::pg::segment::everything_touched(spi);
}

void customers_changed(const std::vector<int64>& in) {
    if (!schema_installed()) return;
    if (!maintain_profiles) return untracked_change();
    std::vector<int64> ids;
    for (int64 c : in)
        if (c != 0) ids.push_back(c);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.empty()) return;
    Spi spi;
    cdp::pg::segment::customers_touched(spi, ids);
    for (size_t i = 0; i < ids.size(); i += kBatch) {
        std::vector<int64> part(ids.begin() + static_cast<long>(i),
                                ids.begin() + static_cast<long>(std::min(ids.size(), i + kBatch)));
        absorb_merged(spi, part);
        recompute_traits(spi, part);
        recompute_computed_with(spi, part, false);
        activation::customers_changed(spi, part);
    }
}

void customers_changed(const std::vector<int64>& ids, int64 also) {
    std::vector<int64> v(ids);
    v.push_back(also);
    customers_changed(v);
}

void records_changed(const std::vector<Datum>& record_ids) {
    if (record_ids.empty() || !schema_installed()) return;
    if (!maintain_profiles) return untracked_change();
    std::vector<int64> rids;
    rids.reserve(record_ids.size());
    for (Datum d : record_ids) rids.push_back(DatumGetInt64(d));
    std::sort(rids.begin(), rids.end());
    rids.erase(std::unique(rids.begin(), rids.end()), rids.end());
    std::vector<int64> ids;
    {
        Spi spi;
        spi.exec_prepared(
            "SELECT DISTINCT customer_id FROM cdp.records WHERE record_id = ANY($1) AND customer_id IS NOT "
            "NULL",
            {{INT8ARRAYOID, int64_array_datum(rids)}});
        for (uint64 i = 0; i < spi.rows(); ++i) ids.push_back(*spi.get_int64(i, 0));
    }
    customers_changed(ids);
}

namespace {

// "purpose\tt|f\n" lines of context.consent.categoryPreferences (boolean
// values only) of one context jsonb; empty when there is none.
std::string consent_lines(Datum context) {
    char* out = nullptr;
    pg_call([&]() noexcept {
        Jsonb* jb = DatumGetJsonbP(context);
        JsonbValue v1, v2;
        if (!JB_ROOT_IS_OBJECT(jb)) return;
        if (!getKeyJsonValueFromContainer(&jb->root, "consent", 7, &v1) || v1.type != jbvBinary) return;
        if (!getKeyJsonValueFromContainer(v1.val.binary.data, "categoryPreferences", 19, &v2) ||
            v2.type != jbvBinary || !JsonContainerIsObject(v2.val.binary.data))
            return;
        StringInfoData buf;
        initStringInfo(&buf);
        JsonbIterator* it = JsonbIteratorInit(v2.val.binary.data);
        JsonbValue k, v;
        JsonbIteratorToken tok;
        bool have_key = false;
        while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE) {
            if (tok == WJB_KEY) {
                have_key = true;
                v = k;
            } else if (tok == WJB_VALUE && have_key) {
                if (k.type == jbvBool && v.val.string.len > 0 && v.val.string.len <= 200 &&
                    memchr(v.val.string.val, '\t', v.val.string.len) == nullptr &&
                    memchr(v.val.string.val, '\n', v.val.string.len) == nullptr) {
                    appendBinaryStringInfo(&buf, v.val.string.val, v.val.string.len);
                    appendStringInfoString(&buf, k.val.boolean ? "\tt\n" : "\tf\n");
                }
                have_key = false;
            }
        }
        out = buf.data;
    });
    std::string s = out ? out : "";
    if (out) pfree(out);
    return s;
}

// Segment consent (context.consent.categoryPreferences) of ingested
// messages: each boolean category is a decision for that purpose at the
// message's time; logged once, applied when newer than the current one.
void apply_message_consents(const std::vector<Datum>& record_ids, const std::vector<Datum>& contexts,
                            const std::vector<Datum>& times) {
    std::vector<Datum> rid, at;
    std::vector<std::optional<std::string>> purpose, granted;
    for (size_t i = 0; i < record_ids.size() && i < contexts.size() && i < times.size(); ++i) {
        std::string lines = consent_lines(contexts[i]);
        size_t pos = 0;
        while (pos < lines.size()) {
            size_t tab = lines.find('\t', pos), nl = lines.find('\n', pos);
            if (tab == std::string::npos || nl == std::string::npos) break;
            rid.push_back(record_ids[i]);
            at.push_back(times[i]);
            purpose.emplace_back(lines.substr(pos, tab - pos));
            granted.emplace_back(lines.substr(tab + 1, nl - tab - 1));
            pos = nl + 1;
        }
    }
    if (rid.empty()) return;
    Spi spi;
    std::vector<SpiArg> args{{INT8ARRAYOID, array_datum(INT8OID, rid)},
                             {TEXTARRAYOID, text_array_datum(purpose)},
                             {TEXTARRAYOID, text_array_datum(granted)},
                             {TIMESTAMPTZARRAYOID, array_datum(TIMESTAMPTZOID, at)}};
    spi.exec_prepared(
        "WITH d AS (SELECT DISTINCT r.customer_id, u.p AS purpose, u.g::bool AS granted, r.source, u.at "
        "FROM unnest($1::int8[], $2::text[], $3::text[], $4::timestamptz[]) AS u(rid, p, g, at) "
        "JOIN cdp.records r ON r.record_id = u.rid WHERE r.customer_id IS NOT NULL), "
        "logged AS (INSERT INTO cdp.consent_log (customer_id, purpose, granted, source, at) "
        "SELECT d.customer_id, d.purpose, d.granted, d.source, d.at FROM d WHERE NOT EXISTS (SELECT 1 FROM "
        "cdp.consent_log l WHERE l.customer_id = d.customer_id AND l.purpose = d.purpose AND l.at = d.at "
        "AND l.granted = d.granted AND l.source IS NOT DISTINCT FROM d.source) RETURNING 1) "
        "INSERT INTO cdp.consents AS k (customer_id, purpose, granted, source, updated_at) "
        "SELECT DISTINCT ON (d.customer_id, d.purpose) d.customer_id, d.purpose, d.granted, d.source, d.at "
        "FROM d "
        "ORDER BY d.customer_id, d.purpose, d.at DESC, d.granted "
        "ON CONFLICT (customer_id, purpose) DO UPDATE SET granted = excluded.granted, source = "
        "excluded.source, "
        "updated_at = excluded.updated_at WHERE excluded.updated_at > k.updated_at",
        args);
}

}  // namespace

void records_changed(const std::vector<Datum>& record_ids, const std::vector<Datum>& contexts,
                     const std::vector<Datum>& times) {
    if (!schema_installed()) return;
    if (!maintain_profiles) return untracked_change();
    apply_message_consents(record_ids, contexts, times);
    records_changed(record_ids);
}

void customer_split(int64 kept, const std::vector<int64>& ids) {
    if (!schema_installed()) return;
    std::vector<int64> parts;
    for (int64 c : ids)
        if (c != kept && c != 0) parts.push_back(c);
    if (!parts.empty()) {
        Spi spi;
        std::vector<SpiArg> args{{INT8OID, Int64GetDatum(kept)}, {INT8ARRAYOID, int64_array_datum(parts)}};
        spi.exec_prepared(
            "INSERT INTO cdp.consents (customer_id, purpose, granted, source, updated_at) "
            "SELECT n, c.purpose, c.granted, c.source, c.updated_at FROM cdp.consents c, unnest($2::int8[]) "
            "AS n "
            "WHERE c.customer_id = $1 ON CONFLICT DO NOTHING",
            args);
        spi.exec_prepared(
            "INSERT INTO cdp.consent_log (customer_id, purpose, granted, source, at) "
            "SELECT n, l.purpose, l.granted, l.source, l.at FROM cdp.consent_log l, unnest($2::int8[]) AS n "
            "WHERE l.customer_id = $1 OR l.customer_id IN (SELECT a.old_id FROM cdp.customer_aliases a "
            "WHERE a.customer_id = $1) ORDER BY n, l.log_id",
            args);
    }
    customers_changed(ids, kept);
}

void rebuild_all(bool force) {
    if (!schema_installed()) return;
    if (!maintain_profiles && !force) return untracked_change();
    std::vector<int64> ids;
    {
        Spi spi;
        spi.exec(
            "SELECT customer_id FROM cdp.customers UNION SELECT customer_id FROM cdp.profiles ORDER BY 1",
            {});
        ids.reserve(spi.rows());
        for (uint64 i = 0; i < spi.rows(); ++i) ids.push_back(*spi.get_int64(i, 0));
    }
    Spi spi;
    cdp::pg::segment::everything_touched(spi);
    for (size_t i = 0; i < ids.size(); i += kBatch) {
        std::vector<int64> part(ids.begin() + static_cast<long>(i),
                                ids.begin() + static_cast<long>(std::min(ids.size(), i + kBatch)));
        absorb_merged(spi, part);
        recompute_traits(spi, part);
    }
    recompute_computed_with(spi, {}, true);
}

void recompute_computed(const std::vector<int64>& ids, bool all) {
    Spi spi;
    if (all) {
        recompute_computed_with(spi, {}, true);
        return;
    }
    for (size_t i = 0; i < ids.size(); i += kBatch) {
        std::vector<int64> part(ids.begin() + static_cast<long>(i),
                                ids.begin() + static_cast<long>(std::min(ids.size(), i + kBatch)));
        recompute_computed_with(spi, part, false);
    }
}

}  // namespace cdp::pg::profile
