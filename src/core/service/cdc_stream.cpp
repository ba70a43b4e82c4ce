// The CDC stream's configuration and its creation when missing.
#include "core/service/cdc_stream.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "core/error.hpp"

namespace tapedeck::service {

nats::StreamConfig cdc_stream_config(std::string name, const std::string& prefix,
                                     std::chrono::milliseconds duplicate_window) {
  nats::StreamConfig stream;
  stream.name = std::move(name);
  stream.subjects = {prefix + ".>"};
  stream.storage = nats::StorageType::file;
  stream.duplicate_window = duplicate_window;
  return stream;
}

void ensure_stream_exists(nats::JetStream& jetstream, const nats::StreamConfig& config, bool create,
                          spdlog::logger& log) {
  try {
    jetstream.stream_info(config.name);
  } catch (const Error& error) {
    if (error.recovery() != Recovery::not_found || !create) throw;
    jetstream.ensure_stream(config);
    log.info("created stream {}", config.name);
  }
}

}  // namespace tapedeck::service
