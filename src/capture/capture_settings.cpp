// Everything `tapedeck capture` reads from the configuration, checked once at start-up.
#include "capture/capture_settings.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace tapedeck::capture {

namespace {

Error invalid(std::string_view key, std::string_view why) {
  return Error(ErrorSource::config, Recovery::invalid, fmt::format("{}: {}", key, why));
}

}  // namespace

CaptureSettings CaptureSettings::from_config(const config::Config& config) {
  CaptureSettings settings;
  settings.live_dsn = config.string("live.dsn");
  settings.store_dsn = config.string("store.dsn");
  settings.nats_url = config.string("nats.url");
  settings.slot_name = config.string("capture.slot_name");
  settings.publication = config.string("capture.publication");
  settings.cdc = service::CdcStreamSettings::from_config(config);
  settings.confirm_mode = config.string("capture.confirm_mode") == "puback"
                              ? ConfirmMode::puback
                              : ConfirmMode::watermark;
  settings.max_in_flight = config.integer("capture.max_in_flight");
  if (settings.max_in_flight < 1) {
    throw invalid("capture.max_in_flight", "must be at least 1");
  }
  settings.slot_warn_fraction = config.number("capture.slot_warn_fraction");
  if (!(settings.slot_warn_fraction >= 0 && settings.slot_warn_fraction <= 1)) {
    throw invalid("capture.slot_warn_fraction", "must be between 0 and 1");
  }
  settings.status_interval = config.duration("capture.status_interval");
  if (settings.status_interval < std::chrono::milliseconds(10)) {
    throw invalid("capture.status_interval", "must be at least 10ms");
  }
  settings.listen = config.string("capture.listen");
  settings.tables = TableFilter::from_lists(config.string_list("capture.include_tables"),
                                            config.string_list("capture.exclude_tables"));
  if (settings.publication.empty()) throw invalid("capture.publication", "must not be empty");
  if (settings.cdc.name.empty()) throw invalid("nats.cdc_stream", "must not be empty");

  EncoderSettings& encoder = settings.encoder;
  encoder.topic_prefix = config.string("nats.cdc_prefix");
  if (encoder.topic_prefix.empty() ||
      encoder.topic_prefix.find_first_of(" *>") != std::string::npos) {
    throw invalid("nats.cdc_prefix", "must be a non-empty subject prefix without spaces, * or >");
  }
  // The CDC stream takes <prefix>.>; JetStream refuses two streams with overlapping subjects.
  if (encoder.topic_prefix == "tapedeck" || encoder.topic_prefix.starts_with("tapedeck.session")) {
    throw invalid("nats.cdc_prefix",
                  "must not be 'tapedeck' or under 'tapedeck.session': the session EVENTS "
                  "stream owns tapedeck.session.>; use e.g. 'cdc'");
  }
  encoder.schemas_enable = config.boolean("capture.schemas_enable");
  const std::string& decimal = config.string("capture.decimal_handling_mode");
  encoder.decimal_handling_mode = decimal == "string"   ? DecimalHandlingMode::string
                                  : decimal == "double" ? DecimalHandlingMode::double_
                                                        : DecimalHandlingMode::precise;
  encoder.interval_handling_mode = config.string("capture.interval_handling_mode") == "numeric"
                                       ? IntervalHandlingMode::numeric
                                       : IntervalHandlingMode::string;
  encoder.array_handling_mode = config.string("capture.array_handling_mode") == "json"
                                    ? ArrayHandlingMode::json
                                    : ArrayHandlingMode::text;
  encoder.timetz_handling_mode = config.string("capture.timetz_handling_mode") == "zoned_time"
                                     ? TimetzHandlingMode::zoned_time
                                     : TimetzHandlingMode::text;
  // pgoutput sends logical decoding messages only when asked; capture does not ask.
  encoder.emit_messages = false;
  return settings;
}

}  // namespace tapedeck::capture
