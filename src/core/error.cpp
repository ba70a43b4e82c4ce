// Error formatting.
#include "core/error.hpp"

#include <fmt/format.h>

namespace tapedeck {

std::string_view to_string(ErrorSource source) {
  switch (source) {
    case ErrorSource::config:
      return "config";
    case ErrorSource::postgres:
      return "postgres";
    case ErrorSource::nats:
      return "nats";
    case ErrorSource::storage:
      return "storage";
    case ErrorSource::http:
      return "http";
    case ErrorSource::input:
      return "input";
    case ErrorSource::internal:
      return "internal";
  }
  return "unknown";
}

std::string_view to_string(Recovery recovery) {
  switch (recovery) {
    case Recovery::retry:
      return "retry";
    case Recovery::fail:
      return "fail";
    case Recovery::not_found:
      return "not_found";
    case Recovery::conflict:
      return "conflict";
    case Recovery::invalid:
      return "invalid";
  }
  return "unknown";
}

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::unspecified:
      return "unspecified";
    case ErrorKind::content_mismatch:
      return "content_mismatch";
  }
  return "unknown";
}

namespace {
std::string format_error(ErrorSource source, const std::string& message, const std::string& code) {
  if (code.empty()) return fmt::format("{}: {}", to_string(source), message);
  return fmt::format("{}: {} [{}]", to_string(source), message, code);
}
}  // namespace

Error::Error(ErrorSource source, Recovery recovery, std::string message, std::string code)
    : std::runtime_error(format_error(source, message, code)),
      source_(source),
      recovery_(recovery),
      code_(std::move(code)),
      message_(std::move(message)) {}

namespace {

// The exception `error` wraps, or null.
std::exception_ptr cause_of(const std::exception& error) {
  if (const auto* own = dynamic_cast<const Error*>(&error)) {
    if (own->cause()) return own->cause();
  }
  if (const auto* nested = dynamic_cast<const std::nested_exception*>(&error)) {
    return nested->nested_ptr();
  }
  return nullptr;
}

}  // namespace

std::string describe(const std::exception& error) {
  std::string text = error.what();
  std::string quoted = dynamic_cast<const Error*>(&error) != nullptr
                           ? dynamic_cast<const Error&>(error).message()
                           : std::string(error.what());
  std::exception_ptr cause = cause_of(error);
  // Bounded: a cycle cannot be built from exception_ptrs, but a very long chain is cut.
  for (int depth = 0; cause && depth < 16; ++depth) {
    try {
      std::rethrow_exception(cause);
    } catch (const std::exception& inner) {
      const std::string inner_text = dynamic_cast<const Error*>(&inner) != nullptr
                                         ? dynamic_cast<const Error&>(inner).message()
                                         : std::string(inner.what());
      if (quoted.find(inner_text) == std::string::npos) {
        text += fmt::format("\n  caused by: {}", inner.what());
      }
      quoted = inner_text;
      cause = cause_of(inner);
    } catch (...) {
      text += "\n  caused by: an exception that is not a std::exception";
      cause = nullptr;
    }
  }
  return text;
}

}  // namespace tapedeck
