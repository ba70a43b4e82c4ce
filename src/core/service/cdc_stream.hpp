// The CDC stream (nats.cdc_stream): capture publishes to it, transform consumes it, the
// timekeeper records its RTUS calls on it. One reading of its settings, one way to set it up.
#pragma once

#include <chrono>
#include <string>

#include "core/config.hpp"
#include "core/nats/jetstream.hpp"

namespace tapedeck::service {

struct CdcStreamSettings {
  std::string name;    // nats.cdc_stream; also the name of transform's watermark row
  std::string prefix;  // nats.cdc_prefix: every subject of the stream is under "<prefix>."
  bool create = true;  // nats.create_streams
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(2)};  // nats.duplicate_window
  nats::StreamLimits limits;  // nats.cdc_max_age, nats.cdc_max_bytes, nats.cdc_replicas

  // Reads the nats.* keys above.
  static CdcStreamSettings from_config(const config::Config& config);
  // File storage, every subject under "<prefix>.>", deduplication by Nats-Msg-Id over the
  // duplicate window, the configured limits and replicas.
  nats::StreamConfig stream_config() const;
};

// Sets the stream up the one way (JetStream::ensure_stream): creates it when missing if
// `settings.create` (Error not_found otherwise); refuses an existing stream whose settings
// differ from the configuration (Error config/conflict naming each difference), leaving it as
// it is; sets only the duplicate window tapedeck owns.
nats::StreamInfo ensure_cdc_stream(nats::JetStream& jetstream, const CdcStreamSettings& settings);

}  // namespace tapedeck::service
