// Logging: one named spdlog logger per component, one line per event.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace tapedeck::log {

// Sets the level ("trace".."critical", "off") and the line pattern for every logger.
// Lines go to stderr: "2026-11-24T10:00:00.123Z INFO  [transform] message", one per event: line
// breaks inside a message are written as "\n" (and "\r").
void configure(std::string_view level);

// The logger of a component ("capture", "transform", ...), created on first use.
std::shared_ptr<spdlog::logger> get(const std::string& component);

}  // namespace tapedeck::log
