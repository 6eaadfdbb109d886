#include "pg/common/spi.h"

#include <string>
#include <unordered_map>

#include "core/common/error.h"
#include "pg/common/boundary.h"

namespace cdp::pg {

namespace {
// SpiArg list -> the parallel arrays SPI_*_with_args take.
struct ArgArrays {
    explicit ArgArrays(const std::vector<SpiArg>& args)
        : n(static_cast<int>(args.size())), types(args.size()), values(args.size()), nulls(args.size()) {
        for (std::size_t i = 0; i < args.size(); ++i) {
            types[i] = args[i].type;
            values[i] = args[i].value;
            nulls[i] = args[i].isnull ? 'n' : ' ';
        }
    }
    int n;
    std::vector<Oid> types;
    std::vector<Datum> values;
    std::vector<char> nulls;
};
}  // namespace

Spi::Spi() {
    int rc = 0;
    pg_call([&]() noexcept { rc = SPI_connect(); });
    if (rc != SPI_OK_CONNECT) throw cdp::Error("SPI_connect failed", cdp::sqlstate::kInternalError);
    connected_ = true;
}

// SPI_finish may elog(ERROR) (it frees the procedure's memory).  A
// destructor cannot throw, so the error, if any, is deferred: the enclosing
// guarded() call raises it when its body returns (see boundary.h).
Spi::~Spi() {
    if (!connected_) return;
    try {
        pg_call([]() noexcept { SPI_finish(); });
    } catch (const PgError& e) {
        detail::defer_error(e.edata());
    } catch (...) {  // NOLINT(bugprone-empty-catch): pg_call throws only PgError
    }
}

uint64 Spi::exec(const char* sql, const std::vector<SpiArg>& args, bool read_only, long limit) {
    ArgArrays arrays(args);
    const int n = arrays.n;
    Oid* tp = arrays.types.data();
    Datum* vp = arrays.values.data();
    char* np = arrays.nulls.data();
    int rc = 0;
    pg_call([&]() noexcept { rc = SPI_execute_with_args(sql, n, tp, vp, np, read_only, limit); });
    if (rc < 0)
        throw cdp::Error(std::string("SPI failed: ") + SPI_result_code_string(rc),
                         cdp::sqlstate::kInternalError);
    return SPI_processed;
}

uint64 Spi::exec_prepared(const char* sql, const std::vector<SpiArg>& args, bool read_only) {
    static std::unordered_map<std::string, SPIPlanPtr> plans;
    ArgArrays arrays(args);
    const int n = arrays.n;
    std::string key(sql);
    for (Oid t : arrays.types) key += '/' + std::to_string(t);
    SPIPlanPtr plan = nullptr;
    auto it = plans.find(key);
    if (it != plans.end()) {
        plan = it->second;
    } else {
        Oid* tp = arrays.types.data();
        pg_call([&]() noexcept {
            // Generic plan: the statements that use it are small lookups whose
            // best plan does not depend on the values; custom plans would be
            // re-planned on every call.
            plan = SPI_prepare_cursor(sql, n, tp, CURSOR_OPT_GENERIC_PLAN);
            if (plan != nullptr) SPI_keepplan(plan);
        });
        if (plan == nullptr)
            throw cdp::Error(std::string("SPI_prepare failed: ") + SPI_result_code_string(SPI_result),
                             cdp::sqlstate::kInternalError);
        plans.emplace(key, plan);
    }
    Datum* vp = arrays.values.data();
    char* np = arrays.nulls.data();
    int rc = 0;
    pg_call([&]() noexcept { rc = SPI_execute_plan(plan, vp, np, read_only, 0); });
    if (rc < 0)
        throw cdp::Error(std::string("SPI failed: ") + SPI_result_code_string(rc),
                         cdp::sqlstate::kInternalError);
    return SPI_processed;
}

uint64 Spi::rows() const { return SPI_processed; }

bool Spi::is_null(uint64 row, int col) const {
    bool isnull = true;
    pg_call([&]() noexcept {
        (void)SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col + 1, &isnull);
    });
    return isnull;
}

std::optional<int64> Spi::get_int64(uint64 row, int col) const {
    bool isnull = true;
    Datum d = 0;
    Oid type = InvalidOid;
    pg_call([&]() noexcept {
        d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col + 1, &isnull);
        type = SPI_gettypeid(SPI_tuptable->tupdesc, col + 1);
    });
    if (isnull) return std::nullopt;
    switch (type) {
        case INT8OID:
            return DatumGetInt64(d);
        case INT4OID:
            return DatumGetInt32(d);
        case INT2OID:
            return DatumGetInt16(d);
        default:
            throw cdp::Error("column is not an integer", cdp::sqlstate::kInternalError);
    }
}

std::optional<std::string> Spi::get_text(uint64 row, int col) const {
    char* s = nullptr;
    pg_call([&]() noexcept { s = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col + 1); });
    if (s == nullptr) return std::nullopt;
    std::string out(s);
    pfree(s);
    return out;
}

std::optional<std::string_view> Spi::get_text_view(uint64 row, int col) const {
    bool isnull = true;
    const char* data = nullptr;
    size_t len = 0;
    pg_call([&]() noexcept {
        Datum d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col + 1, &isnull);
        if (!isnull) {
            text* t = DatumGetTextPP(d);
            data = VARDATA_ANY(t);
            len = VARSIZE_ANY_EXHDR(t);
        }
    });
    if (isnull) return std::nullopt;
    return std::string_view(data, len);
}

void Spi::stream(const char* sql, const std::vector<SpiArg>& args, long batch,
                 const std::function<void()>& on_batch, bool read_only) {
    ArgArrays arrays(args);
    const int n = arrays.n;
    Oid* tp = arrays.types.data();
    Datum* vp = arrays.values.data();
    char* np = arrays.nulls.data();
    Portal portal = nullptr;
    pg_call([&]() noexcept {
        portal = SPI_cursor_open_with_args(nullptr, sql, n, tp, vp, np, read_only, CURSOR_OPT_NO_SCROLL);
    });
    if (portal == nullptr) throw cdp::Error("SPI_cursor_open failed", cdp::sqlstate::kInternalError);
    try {
        for (;;) {
            pg_call([&]() noexcept { SPI_cursor_fetch(portal, true, batch); });
            if (SPI_processed == 0) break;
            on_batch();
            pg_call([&]() noexcept { SPI_freetuptable(SPI_tuptable); });
        }
    } catch (const PgError&) {
        throw;  // the transaction is aborting; Postgres drops the portal
    } catch (...) {
        pg_call([&]() noexcept { SPI_cursor_close(portal); });
        throw;
    }
    pg_call([&]() noexcept { SPI_cursor_close(portal); });
}

}  // namespace cdp::pg
