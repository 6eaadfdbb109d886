#include "pg/common/boundary.h"

#include <cstdio>
#include <cstring>

#include "core/common/interrupt.h"
#include "pg/common/init.h"

namespace cdp::pg {

namespace {
void copy(char* dst, std::size_t cap, const char* src) noexcept {
    if (src == nullptr) {
        dst[0] = '\0';
        return;
    }
    // Truncate on a UTF-8 character boundary: a cut inside a multi-byte
    // sequence would make the error message itself invalid in the encoding.
    std::size_t n = std::strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && (static_cast<unsigned char>(src[n]) & 0xC0) == 0x80) --n;
    }
    std::memcpy(dst, src, n);
    dst[n] = '\0';
}

bool interrupt_probe() {
    // InterruptPending is a volatile sig_atomic_t set by the signal handlers
    // for statement_timeout, pg_cancel_backend and termination.
    return InterruptPending;
}
}  // namespace

const char* PgError::what() const noexcept {
    return edata_ && edata_->message ? edata_->message : "PostgreSQL error";
}

void capture(ErrorBox& box, const std::exception_ptr& ep) noexcept {
    box.sqlstate[0] = box.message[0] = box.detail[0] = box.hint[0] = '\0';
    try {
        std::rethrow_exception(ep);
    } catch (const PgError& e) {
        box.kind = ErrorBox::kPg;
        box.edata = e.edata();
    } catch (const cdp::Cancelled&) {
        box.kind = ErrorBox::kCancel;
    } catch (const cdp::Error& e) {
        box.kind = ErrorBox::kCxx;
        copy(box.sqlstate, sizeof box.sqlstate, e.sqlstate());
        copy(box.message, sizeof box.message, e.what());
        copy(box.detail, sizeof box.detail, e.detail().c_str());
        copy(box.hint, sizeof box.hint, e.hint().c_str());
    } catch (const std::bad_alloc&) {
        box.kind = ErrorBox::kNoMemory;
    } catch (const std::exception& e) {
        box.kind = ErrorBox::kCxx;
        copy(box.sqlstate, sizeof box.sqlstate, cdp::sqlstate::kInternalError);
        copy(box.message, sizeof box.message, e.what());
    } catch (...) {
        box.kind = ErrorBox::kCxx;
        copy(box.sqlstate, sizeof box.sqlstate, cdp::sqlstate::kInternalError);
        copy(box.message, sizeof box.message, "unknown C++ exception");
    }
}

void raise(const ErrorBox& box) {
    switch (box.kind) {
        case ErrorBox::kPg:
            ReThrowError(box.edata);
            pg_unreachable();
        case ErrorBox::kCancel:
            CHECK_FOR_INTERRUPTS();
            // The flag may have been consumed already (e.g. a cancel that
            // arrived outside a statement); still stop this call.
            ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("canceling cdp operation")));
            pg_unreachable();
        case ErrorBox::kNoMemory:
            ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory in cdp")));
            pg_unreachable();
        case ErrorBox::kCxx:
        case ErrorBox::kNone:
        default: {
            const char* s = box.sqlstate[0] ? box.sqlstate : "XX000";
            int code = MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4]);
            ereport(ERROR, (errcode(code), errmsg("%s", box.message),
                            box.detail[0] ? errdetail("%s", box.detail) : 0,
                            box.hint[0] ? errhint("%s", box.hint) : 0));
        }
    }
    pg_unreachable();
}

void install_interrupt_probe() { cdp::interrupt::set_probe(&interrupt_probe); }

namespace detail {
int guarded_depth = 0;
namespace {
MemoryContext error_cxt = nullptr;
}
namespace {
ErrorData* deferred_error = nullptr;
}
void reset_error_context() noexcept {
    deferred_error = nullptr;
    if (error_cxt != nullptr) MemoryContextReset(error_cxt);
}
void defer_error(ErrorData* edata) noexcept {
    // The first error wins: a later one is usually a consequence of it.
    if (deferred_error == nullptr) deferred_error = edata;
}
ErrorData* take_deferred_error() noexcept {
    ErrorData* e = deferred_error;
    deferred_error = nullptr;
    return e;
}
}  // namespace detail

namespace {
// Made when the library loads (_PG_init), so that saving an error never
// needs to create it.
void create_error_context() {
    detail::error_cxt = AllocSetContextCreate(TopMemoryContext, "cdp saved errors", ALLOCSET_SMALL_SIZES);
}
CDP_MODULE_INIT(create_error_context);

MemoryContext error_context() { return detail::error_cxt != nullptr ? detail::error_cxt : TopMemoryContext; }
}  // namespace

void pg_call_impl(void (*fn)(void*), void* arg) {
    MemoryContext oldcxt = CurrentMemoryContext;
    ErrorData* volatile edata = nullptr;
    PG_TRY();
    { fn(arg); }
    PG_CATCH();
    {
        // CopyErrorData() refuses to run in ErrorContext; the copy goes to
        // the context of saved errors, which outlives the C++ unwinding.
        MemoryContextSwitchTo(error_context());
        edata = CopyErrorData();
        MemoryContextSwitchTo(oldcxt);
        FlushErrorState();
    }
    PG_END_TRY();
    if (edata != nullptr) throw PgError(edata);
}

void* palloc0_guarded(std::size_t n) {
    void* p = nullptr;
    pg_call([&]() noexcept { p = palloc0(n); });
    return p;
}

}  // namespace cdp::pg
