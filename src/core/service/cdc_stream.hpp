// The CDC stream (nats.cdc_stream) as capture, transform and the timekeeper set it up.
#pragma once

#include <chrono>
#include <string>

#include "core/nats/jetstream.hpp"

namespace spdlog {
class logger;
}

namespace tapedeck::service {

// File storage, every subject under "<prefix>.>", deduplication by Nats-Msg-Id over
// `duplicate_window` (nats.duplicate_window).
nats::StreamConfig cdc_stream_config(std::string name, const std::string& prefix,
                                     std::chrono::milliseconds duplicate_window);

// Makes sure the stream exists: when it does, leaves it as it is; when it does not, creates it
// with `config` if `create` (nats.create_streams; logs "created stream <name>"), and throws
// Error(not_found) otherwise.
void ensure_stream_exists(nats::JetStream& jetstream, const nats::StreamConfig& config, bool create,
                          spdlog::logger& log);

}  // namespace tapedeck::service
