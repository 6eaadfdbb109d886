#include "pg/common/convert.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
}

#include "pg/common/boundary.h"

namespace cdp::pg {

std::string_view text_arg(FunctionCallInfo fcinfo, int argno) {
    // Fast path: an inline, uncompressed value needs no detoasting, hence no
    // Postgres call that could raise (this is the common case of short text
    // and keeps per-call overhead of hot functions minimal).
    auto* raw = reinterpret_cast<struct varlena*>(DatumGetPointer(PG_GETARG_DATUM(argno)));
    if (!VARATT_IS_COMPRESSED(raw) && !VARATT_IS_EXTERNAL(raw))
        return std::string_view(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw));
    text* t = nullptr;
    pg_call([&]() noexcept { t = PG_GETARG_TEXT_PP(argno); });
    return std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

std::string_view text_view(Datum d) {
    text* t = nullptr;
    pg_call([&]() noexcept { t = DatumGetTextPP(d); });
    return std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

std::optional<std::string_view> opt_text_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_ARGISNULL(argno)) return std::nullopt;
    return text_arg(fcinfo, argno);
}

Datum text_datum(std::string_view s) {
    Datum d = 0;
    pg_call([&]() noexcept {
        d = PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size())));
    });
    return d;
}

std::string jsonb_arg_text(FunctionCallInfo fcinfo, int argno) {
    char* out = nullptr;
    pg_call([&]() noexcept {
        Jsonb* jb = PG_GETARG_JSONB_P(argno);
        out = JsonbToCString(nullptr, &jb->root, VARSIZE(jb));
    });
    std::string s(out);
    pfree(out);
    return s;
}

Datum jsonb_datum(std::string_view json) {
    Datum d = 0;
    std::string buf(json);  // NUL-terminated copy for jsonb_in
    const char* cstr = buf.c_str();
    pg_call([&]() noexcept { d = DirectFunctionCall1(jsonb_in, CStringGetDatum(cstr)); });
    return d;
}

Datum text_array_datum(const std::vector<std::optional<std::string>>& items) {
    const int n = static_cast<int>(items.size());
    std::vector<Datum> elems(n);
    std::vector<bool> nulls(n);
    for (int i = 0; i < n; ++i) {
        nulls[i] = !items[i].has_value();
        elems[i] = nulls[i] ? 0 : text_datum(*items[i]);
    }
    Datum d = 0;
    bool* nullbuf = static_cast<bool*>(palloc(sizeof(bool) * (n > 0 ? n : 1)));
    for (int i = 0; i < n; ++i) nullbuf[i] = nulls[i];
    Datum* data = elems.data();
    pg_call([&]() noexcept {
        if (n == 0) {
            d = PointerGetDatum(construct_empty_array(TEXTOID));
            return;
        }
        int dims[1] = {n};
        int lbs[1] = {1};
        ArrayType* arr = construct_md_array(data, nullbuf, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT);
        d = PointerGetDatum(arr);
    });
    return d;
}

Datum array_datum(Oid elemtype, const std::vector<Datum>& elems, const std::vector<bool>& nulls) {
    const int n = static_cast<int>(elems.size());
    bool* nullbuf = nullptr;
    if (!nulls.empty()) {
        nullbuf = static_cast<bool*>(palloc(sizeof(bool) * (n > 0 ? n : 1)));
        for (int i = 0; i < n; ++i) nullbuf[i] = nulls[static_cast<size_t>(i)];
    }
    const Datum* data = elems.data();
    Datum d = 0;
    pg_call([&]() noexcept {
        if (n == 0) {
            d = PointerGetDatum(construct_empty_array(elemtype));
            return;
        }
        int16 typlen = 0;
        bool typbyval = false;
        char typalign = 0;
        get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
        int dims[1] = {n};
        int lbs[1] = {1};
        d = PointerGetDatum(construct_md_array(const_cast<Datum*>(data), nullbuf, 1, dims, lbs, elemtype,
                                               typlen, typbyval, typalign));
    });
    return d;
}

Datum int64_array_datum(const std::vector<int64>& items) {
    const int n = static_cast<int>(items.size());
    Datum d = 0;
    const int64* src = items.data();
    pg_call([&]() noexcept {
        if (n == 0) {
            d = PointerGetDatum(construct_empty_array(INT8OID));
            return;
        }
        Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * n));
        for (int i = 0; i < n; ++i) elems[i] = Int64GetDatum(src[i]);
        d = PointerGetDatum(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
        pfree(elems);
    });
    return d;
}

std::vector<std::optional<std::string>> text_array_from_datum(Datum d) {
    Datum* elems = nullptr;
    bool* nulls = nullptr;
    int n = 0;
    pg_call([&]() noexcept {
        ArrayType* arr = DatumGetArrayTypeP(d);
        deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
    });
    std::vector<std::optional<std::string>> out(n);
    for (int i = 0; i < n; ++i)
        if (!nulls[i]) out[i] = std::string(text_view(elems[i]));
    return out;
}

std::vector<int64> int64_array_from_datum(Datum d) {
    Datum* elems = nullptr;
    bool* nulls = nullptr;
    int n = 0;
    pg_call([&]() noexcept {
        ArrayType* arr = DatumGetArrayTypeP(d);
        deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
    });
    std::vector<int64> out(n);
    for (int i = 0; i < n; ++i) {
        if (nulls[i])
            throw cdp::Error("array element must not be NULL", cdp::sqlstate::kInvalidParameterValue);
        out[i] = DatumGetInt64(elems[i]);
    }
    return out;
}

}  // namespace cdp::pg
