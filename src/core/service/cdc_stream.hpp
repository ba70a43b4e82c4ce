// The CDC stream (nats.cdc_stream): capture publishes to it, transform consumes it, the
// timekeeper records its RTUS calls on it. One reading of its settings, one way to set it up.
#pragma once

#include <chrono>
#include <string>

#include "core/config.hpp"
#include "core/nats/jetstream.hpp"

namespace spdlog {
class logger;
}

namespace tapedeck::service {

struct CdcStreamSettings {
  std::string name;    // nats.cdc_stream; also the name of transform's watermark row
  std::string prefix;  // nats.cdc_prefix: every subject of the stream is under "<prefix>."
  bool create = true;  // nats.create_streams
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(2)};  // nats.duplicate_window

  // Reads the nats.* keys above.
  static CdcStreamSettings from_config(const config::Config& config);
  // File storage, every subject under "<prefix>.>", deduplication by Nats-Msg-Id over the
  // duplicate window.
  nats::StreamConfig stream_config() const;
};

// Makes sure the stream exists: when it does, leaves it as it is; when it does not, creates it
// if `settings.create` (logging "created stream <name>") and throws Error(not_found) otherwise.
void ensure_stream_exists(nats::JetStream& jetstream, const CdcStreamSettings& settings,
                          spdlog::logger& log);

}  // namespace tapedeck::service
