// The C++ <-> PostgreSQL error boundary.  Every SQL-callable function body
// goes through cdp::pg::guarded(); every call from C++ into PostgreSQL code
// that may elog(ERROR) goes through cdp::pg::pg_call().
//
//   extern "C" Datum cdp_foo(PG_FUNCTION_ARGS) {
//       return cdp::pg::guarded([&] { ... C++ ...; return SomeDatum; });
//   }
//
// Rules enforced here:
//  * No C++ exception crosses a C frame: guarded() catches everything and
//    only raises ereport(ERROR) after the C++ frames (and their destructors)
//    are gone.
//  * No elog(ERROR) longjmp crosses C++ frames: pg_call() runs Postgres code
//    under PG_TRY and converts an error into cdp::pg::PgError, which unwinds
//    C++ normally and is re-thrown as the original Postgres error (same
//    SQLSTATE, message, detail) at the boundary.  A PgError must never be
//    swallowed: the transaction is unusable until it is re-thrown.
//  * Cancellation: cdp::Cancelled (thrown by cdp::interrupt::poll() when
//    InterruptPending is set) becomes CHECK_FOR_INTERRUPTS() at the boundary,
//    which raises the proper "canceling statement due to ..." error.
#pragma once

#include "pg/common/pg.h"

#include <exception>
#include <new>
#include <type_traits>
#include <utility>

#include "core/common/error.h"

namespace cdp::pg {

// A PostgreSQL error caught inside pg_call(); owns a copy of the ErrorData
// (allocated in the memory context that was current at the call).
class PgError : public std::exception {
 public:
    explicit PgError(ErrorData* edata) : edata_(edata) {}
    const char* what() const noexcept override;
    ErrorData* edata() const noexcept { return edata_; }

 private:
    ErrorData* edata_;
};

// Plain-old-data snapshot of a C++ error, filled in a catch block without
// allocating, and raised after the C++ frames are gone.  The text buffers are
// deliberately left uninitialised: every guarded() call constructs a box, and
// zero-filling 2.5 KB per call cost more than a whole short-string similarity
// function.  capture() writes every buffer that raise() reads.
struct ErrorBox {
    enum Kind { kNone, kCxx, kPg, kCancel, kNoMemory } kind = kNone;
    char sqlstate[6];
    char message[1024];
    char detail[1024];
    char hint[512];
    ErrorData* edata = nullptr;
};

void capture(ErrorBox& box, const std::exception_ptr& ep) noexcept;
[[noreturn]] void raise(const ErrorBox& box);

// Install the cancellation probe (called from _PG_init).
void install_interrupt_probe();

namespace detail {
// Errors caught by pg_call() are copied into a memory context of their own
// (a child of TopMemoryContext), so that nothing freed while C++ unwinds
// (SPI_finish in ~Spi, a reset per-tuple context) takes the saved error with
// it before raise() re-throws it.  The outermost guarded() call empties it on
// entry, when no saved error can still be referenced.
extern int guarded_depth;
void reset_error_context() noexcept;

// An error of Postgres's that could not be thrown where it happened (SPI_finish
// in ~Spi while C++ unwinds or returns): kept in the context of saved errors
// and raised by the enclosing guarded() call when its body returns.
void defer_error(ErrorData* edata) noexcept;
ErrorData* take_deferred_error() noexcept;

// Saves Postgres's error-handling state (the PG_TRY jump target and the
// error-context callback chain) and puts it back whatever way the scope is
// left, as pg_duckdb's PgExceptionGuard: a C++ exception leaving code that
// pushed an error-context callback, or a PG_TRY frame, never leaves them
// pointing into a dead stack frame.
class PgStateGuard {
 public:
    PgStateGuard() noexcept : exception_stack_(PG_exception_stack), context_stack_(error_context_stack) {}
    ~PgStateGuard() {
        PG_exception_stack = exception_stack_;
        error_context_stack = context_stack_;
    }
    PgStateGuard(const PgStateGuard&) = delete;
    PgStateGuard& operator=(const PgStateGuard&) = delete;

 private:
    sigjmp_buf* exception_stack_;
    ErrorContextCallback* context_stack_;
};

template <class F, class R>
bool run(F& f, R& result, ErrorBox& box) noexcept {
    if (guarded_depth++ == 0) reset_error_context();
    struct Leave {
        ~Leave() { --guarded_depth; }
    } leave;
    PgStateGuard state;
    try {
        result = f();
    } catch (...) {
        capture(box, std::current_exception());
        return false;
    }
    if (ErrorData* deferred = take_deferred_error()) {
        box.kind = ErrorBox::kPg;
        box.edata = deferred;
        return false;
    }
    return true;
}
}  // namespace detail

// Run a C++ body returning R (usually Datum) and turn any exception into a
// Postgres ERROR raised from this (destructor-free) frame.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
    using R = decltype(f());
    static_assert(std::is_trivially_destructible_v<R>, "guarded() must return a trivial type");
    R result{};
    ErrorBox box;
    if (!detail::run(f, result, box)) raise(box);
    return result;
}

// Same for bodies that return nothing (procedures, void helpers).
template <class F>
void guarded_void(F&& f) {
    ErrorBox box;
    int dummy = 0;
    auto wrapper = [&]() {
        f();
        return 0;
    };
    if (!detail::run(wrapper, dummy, box)) raise(box);
}

// The body of a SQL-callable function, run through guarded().
using FunctionBody = Datum (*)(FunctionCallInfo);
inline Datum call_body(FunctionBody body, FunctionCallInfo fcinfo) {
    return guarded([&] { return body(fcinfo); });
}

// Run Postgres code that may elog(ERROR) from inside C++ code.  The callable
// must be noexcept (checked at compile time: a C++ exception thrown inside
// PG_TRY would skip PG_END_TRY) and must not create C++ objects with
// non-trivial destructors (a longjmp out of it would skip them).  Keep it to
// plain Postgres calls:  pg_call([&]() noexcept { rel = table_open(oid, lock); });
void pg_call_impl(void (*fn)(void*), void* arg);

template <class F>
void pg_call(F&& f) {
    using Fn = std::remove_reference_t<F>;
    static_assert(std::is_nothrow_invocable_v<Fn&>,
                  "pg_call: the callable must be declared noexcept ([&]() noexcept { ... })");
    pg_call_impl([](void* p) { (*static_cast<Fn*>(p))(); }, static_cast<void*>(&f));
}

// A function handed to Postgres as a callback (tuplesort comparator, GUC
// check hook, sortsupport, transaction callback) runs in C frames: it must
// not throw.  pg_callback(&fn) accepts only a noexcept function, so
//   ssup->comparator = cdp::pg::pg_callback(&sort_compare);
// fails to compile when sort_compare is not declared noexcept.
template <class R, class... A>
constexpr auto pg_callback(R (*fn)(A...) noexcept) noexcept -> R (*)(A...) {
    return fn;
}

// palloc0(n) in the current memory context through pg_call (out of memory
// becomes a PgError).
void* palloc0_guarded(std::size_t n);

}  // namespace cdp::pg

// Declares the SQL-callable function `name` (C linkage, PG_FUNCTION_INFO_V1)
// whose body is a named C++ function run through guarded(), as pg_duckdb's
// DECLARE_PG_FUNCTION.  Use at global scope:
//
//   CDP_FUNCTION(cdp_levenshtein) {
//       return Int32GetDatum(cdp::similarity::levenshtein(...));
//   }
//
// Inside, fcinfo and the PG_GETARG_* / PG_RETURN_NULL() / PG_RETURN_VOID()
// macros work as in any V1 function; a C++ exception becomes an ERROR after
// the body's frames are gone.  `make lint` refuses an entry point written
// any other way (scripts/lint.sh).
#define CDP_FUNCTION(name)                                                              \
    static Datum name##_body(FunctionCallInfo fcinfo);                                  \
    extern "C" {                                                                        \
    PG_FUNCTION_INFO_V1(name);                                                          \
    Datum name(PG_FUNCTION_ARGS) { return ::cdp::pg::call_body(&name##_body, fcinfo); } \
    }                                                                                   \
    static Datum name##_body(FunctionCallInfo fcinfo)
