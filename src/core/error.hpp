// One error type for every failure tapedeck reports: what failed, the native code, what to do.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

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

std::string_view to_string(ErrorSource source);
std::string_view to_string(Recovery recovery);

// Thrown by every wrapper at a server or input boundary. `what()` is the full sentence:
// "<source>: <message> [<code>]". `code` is the native code (SQLSTATE, natsStatus name,
// HTTP status) or empty.
class Error : public std::runtime_error {
 public:
  Error(ErrorSource source, Recovery recovery, std::string message, std::string code = {});

  ErrorSource source() const noexcept { return source_; }
  Recovery recovery() const noexcept { return recovery_; }
  const std::string& code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  bool retryable() const noexcept { return recovery_ == Recovery::retry; }

 private:
  ErrorSource source_;
  Recovery recovery_;
  std::string code_;
  std::string message_;
};

}  // namespace tapedeck
