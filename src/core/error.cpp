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

}  // namespace tapedeck
