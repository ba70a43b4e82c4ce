// One error type for every failure tapedeck reports: what failed, the native code, what to do.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace tapedeck {

// Where the failure was met; printed as the message's first word.
enum class ErrorSource { config, postgres, nats, storage, http, input, internal };

// What the caller should do about it. Service loops retry `retry` whole units of work;
// everything else is final for that input.
enum class Recovery {
  retry,      // transient: connection lost, timeout, server busy
  fail,       // permanent for this operation: bad SQL, refused request
  not_found,  // the thing asked for does not exist
  conflict,   // the request is illegal in the current state (HTTP 409)
  invalid,    // the input itself is malformed
};

// What went wrong, for the few failures a caller treats apart from others of the same source
// and Recovery; test `kind()`, never the message's text. Most errors are `unspecified`.
enum class ErrorKind {
  unspecified,
  content_mismatch,  // bytes read back differ from their recorded size or checksum
};

std::string_view to_string(ErrorSource source);
std::string_view to_string(Recovery recovery);
std::string_view to_string(ErrorKind kind);

// Thrown by every wrapper at a server or input boundary. `what()` is the full sentence:
// "<source>: <message> [<code>]". `code` is the native code (SQLSTATE, natsStatus name,
// HTTP status) or empty.
//
// An error may carry its kind and the failure that caused it (a wrapper that adds what was
// being done keeps the original for callers that test it):
//   throw Error(ErrorSource::storage, Recovery::fail,
//   "...").with_kind(ErrorKind::content_mismatch); catch (const Error& e) { throw Error(e.source(),
//   e.recovery(), "...").caused_by(
//                                std::current_exception()); }
class Error : public std::runtime_error {
 public:
  Error(ErrorSource source, Recovery recovery, std::string message, std::string code = {});

  // Set on a new error before it is thrown.
  Error&& with_kind(ErrorKind kind) && {
    kind_ = kind;
    return std::move(*this);
  }
  Error&& caused_by(std::exception_ptr cause) && {
    cause_ = std::move(cause);
    return std::move(*this);
  }

  ErrorSource source() const noexcept { return source_; }
  Recovery recovery() const noexcept { return recovery_; }
  ErrorKind kind() const noexcept { return kind_; }
  const std::string& code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  bool retryable() const noexcept { return recovery_ == Recovery::retry; }
  // The failure this one wraps, or null.
  const std::exception_ptr& cause() const noexcept { return cause_; }

 private:
  ErrorSource source_;
  Recovery recovery_;
  ErrorKind kind_ = ErrorKind::unspecified;
  std::string code_;
  std::string message_;
  std::exception_ptr cause_;
};

// The error and its causes (Error::cause() and std::nested_exception alike), one per line:
// "<what>\n  caused by: <what>...". A cause whose text the message already quotes is not
// repeated, so a wrapper that says "...: <inner message>" prints as one line.
std::string describe(const std::exception& error);

}  // namespace tapedeck
