// Error type shared by the whole C++ core.
//
// The core never includes postgres.h, but its errors still carry a standard
// SQLSTATE (five characters, SQL:2016 / PostgreSQL appendix A) so that the
// glue layer in src/pg/ can raise them with the right errcode.
#pragma once

#include <stdexcept>
#include <string>

namespace cdp {

// A handful of SQLSTATEs the core uses; any other five-character code works too.
namespace sqlstate {
inline constexpr const char* kInvalidParameterValue = "22023";
inline constexpr const char* kInvalidTextRepresentation = "22P02";
inline constexpr const char* kDataException = "22000";
inline constexpr const char* kCharacterNotInRepertoire = "22021";
inline constexpr const char* kProgramLimitExceeded = "54000";
inline constexpr const char* kInvalidJsonText = "22032";
inline constexpr const char* kUndefinedObject = "42704";
inline constexpr const char* kDuplicateObject = "42710";
inline constexpr const char* kFeatureNotSupported = "0A000";
inline constexpr const char* kObjectNotInPrerequisiteState = "55000";
inline constexpr const char* kSyntaxError = "42601";
inline constexpr const char* kQueryCanceled = "57014";
inline constexpr const char* kInternalError = "XX000";
}  // namespace sqlstate

// An error the user caused or can act on.  `detail` and `hint` are optional
// and map to the DETAIL and HINT fields of the PostgreSQL error report.
class Error : public std::runtime_error {
 public:
    explicit Error(const std::string& message, const char* sqlstate = sqlstate::kInvalidParameterValue,
                   std::string detail = {}, std::string hint = {})
        : std::runtime_error(message),
          sqlstate_(sqlstate),
          detail_(std::move(detail)),
          hint_(std::move(hint)) {}

    const char* sqlstate() const noexcept { return sqlstate_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::string& hint() const noexcept { return hint_; }

 private:
    const char* sqlstate_;
    std::string detail_;
    std::string hint_;
};

// Thrown by interrupt::poll() when the host asked to stop (statement timeout,
// cancel, terminate).  The glue layer turns it into CHECK_FOR_INTERRUPTS().
class Cancelled : public std::exception {
 public:
    const char* what() const noexcept override { return "canceled by host"; }
};

}  // namespace cdp
