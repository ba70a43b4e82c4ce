// Everything `tapedeck capture` reads from the configuration, checked once at start-up.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "capture/confirm_tracker.hpp"
#include "capture/encoder_settings.hpp"
#include "capture/table_filter.hpp"
#include "core/config.hpp"
#include "core/retry.hpp"
#include "core/service/cdc_stream.hpp"

namespace tapedeck::capture {

// A value object built from the Config (keys in config_keys.cpp, sections live, store, nats,
// capture). `encoder.database_name` is filled in from the Live DB when streaming starts.
struct CaptureSettings {
  std::string live_dsn;
  std::string store_dsn;  // read for the watermark (confirm_mode = watermark)
  std::string nats_url;
  std::string slot_name;
  std::string publication;
  service::CdcStreamSettings cdc;  // cdc.name is also the watermark row's name
  ConfirmMode confirm_mode = ConfirmMode::watermark;
  std::int64_t max_in_flight = 4000;
  std::chrono::milliseconds status_interval{1000};
  // How long acknowledgements may take before the publishes count as failed.
  std::chrono::milliseconds ack_timeout{10'000};
  // Warn when the slot's safe_wal_size falls below this fraction of max_slot_wal_keep_size.
  double slot_warn_fraction = 0.2;
  std::string listen;
  TableFilter tables{{}, {}};
  EncoderSettings encoder;
  RetryPolicy retry{0, std::chrono::milliseconds(200), std::chrono::milliseconds(10'000), 0.2};

  // Throws Error(config, invalid) naming the key for a value capture cannot use.
  static CaptureSettings from_config(const config::Config& config);
};

}  // namespace tapedeck::capture
