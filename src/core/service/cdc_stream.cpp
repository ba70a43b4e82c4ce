// The CDC stream's settings and its creation when missing.
#include "core/service/cdc_stream.hpp"

namespace tapedeck::service {

CdcStreamSettings CdcStreamSettings::from_config(const config::Config& config) {
  return {.name = config.string("nats.cdc_stream"),
          .prefix = config.string("nats.cdc_prefix"),
          .create = config.boolean("nats.create_streams"),
          .duplicate_window = config.duration("nats.duplicate_window"),
          .limits = nats::StreamLimits::from_config(config, "nats.cdc")};
}

nats::StreamConfig CdcStreamSettings::stream_config() const {
  nats::StreamConfig stream;
  stream.name = name;
  stream.subjects = {prefix + ".>"};
  stream.storage = nats::StorageType::file;
  stream.duplicate_window = duplicate_window;
  limits.apply_to(stream);
  stream.keys.subjects = "nats.cdc_prefix";
  stream.keys.duplicate_window = "nats.duplicate_window";
  return stream;
}

nats::StreamInfo ensure_cdc_stream(nats::JetStream& jetstream, const CdcStreamSettings& settings) {
  return jetstream.ensure_stream(settings.stream_config(),
                                 settings.create ? nats::JetStream::Setup::create_missing
                                                 : nats::JetStream::Setup::require_existing);
}

}  // namespace tapedeck::service
