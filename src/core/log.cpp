// Logger set-up.
#include "core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "core/error.hpp"

namespace tapedeck::log {

namespace {

// "%*" is the message on one line (OneLineMessage).
constexpr const char* kPattern = "%Y-%m-%dT%H:%M:%S.%eZ %-5l [%n] %*";

// The message with each line break written as the two characters "\n" (and "\r"), so an event
// that quotes multi-line text (pg_dump's stderr, a server's error detail) stays one line that
// grep and log shippers see whole, with its time, level and component. Backslashes are left as
// they are: the aim is one line per event, not a reversible encoding.
class OneLineMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& out) override {
    for (const char c : message.payload) {
      if (c == '\n') {
        out.append(std::string_view("\\n"));
      } else if (c == '\r') {
        out.append(std::string_view("\\r"));
      } else {
        out.push_back(c);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<OneLineMessage>();
  }
};

std::unique_ptr<spdlog::formatter> make_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<OneLineMessage>('*').set_pattern(kPattern);
  return formatter;
}

}  // namespace

void configure(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("log.level '{}' is not a level; use trace, debug, info, warn, error, "
                            "critical or off",
                            level));
  }
  spdlog::set_level(parsed);
  spdlog::set_formatter(make_formatter());
}

std::shared_ptr<spdlog::logger> get(const std::string& component) {
  if (auto existing = spdlog::get(component)) return existing;
  std::shared_ptr<spdlog::logger> logger;
  try {
    logger = spdlog::stderr_color_mt(component);
  } catch (const spdlog::spdlog_ex&) {
    // Another thread registered it between the lookup and here.
    if (auto existing = spdlog::get(component)) return existing;
    throw;
  }
  logger->set_formatter(make_formatter());
  logger->set_level(spdlog::get_level());
  return logger;
}

}  // namespace tapedeck::log
