// Logger set-up.
#include "core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include "core/error.hpp"

namespace tapedeck::log {

namespace {
constexpr const char* kPattern = "%Y-%m-%dT%H:%M:%S.%eZ %-5l [%n] %v";
}

void configure(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("log.level '{}' is not a level; use trace, debug, info, warn, error, "
                            "critical or off",
                            level));
  }
  spdlog::set_level(parsed);
  spdlog::set_pattern(kPattern, spdlog::pattern_time_type::utc);
}

std::shared_ptr<spdlog::logger> get(const std::string& component) {
  if (auto existing = spdlog::get(component)) return existing;
  auto logger = spdlog::stderr_color_mt(component);
  logger->set_pattern(kPattern, spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::get_level());
  return logger;
}

}  // namespace tapedeck::log
