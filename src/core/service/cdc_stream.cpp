// The CDC stream's settings and its creation when missing.
#include "core/service/cdc_stream.hpp"

#include <spdlog/spdlog.h>

#include "core/error.hpp"

namespace tapedeck::service {

CdcStreamSettings CdcStreamSettings::from_config(const config::Config& config) {
  return {.name = config.string("nats.cdc_stream"),
          .prefix = config.string("nats.cdc_prefix"),
          .create = config.boolean("nats.create_streams"),
          .duplicate_window = config.duration("nats.duplicate_window")};
}

nats::StreamConfig CdcStreamSettings::stream_config() const {
  nats::StreamConfig stream;
  stream.name = name;
  stream.subjects = {prefix + ".>"};
  stream.storage = nats::StorageType::file;
  stream.duplicate_window = duplicate_window;
  return stream;
}

void ensure_stream_exists(nats::JetStream& jetstream, const CdcStreamSettings& settings,
                          spdlog::logger& log) {
  try {
    jetstream.stream_info(settings.name);
  } catch (const Error& error) {
    if (error.recovery() != Recovery::not_found || !settings.create) throw;
    jetstream.ensure_stream(settings.stream_config());
    log.info("created stream {}", settings.name);
  }
}

}  // namespace tapedeck::service
