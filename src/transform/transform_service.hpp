// `tapedeck transform` as a long-running service: JetStream CDC stream -> TransformMsg DB.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/config.hpp"
#include "core/http/server.hpp"
#include "core/metrics.hpp"
#include "core/retry.hpp"
#include "core/service/cdc_stream.hpp"
#include "core/service/health_state.hpp"
#include "transform/event_processor.hpp"

namespace tapedeck::transform {

// Everything the service reads from the configuration.
struct TransformSettings {
  std::string nats_url;
  service::CdcStreamSettings cdc;  // cdc.name is also the watermark row's name
  std::string durable;
  int batch_size = 1000;
  std::chrono::milliseconds fetch_timeout{200};
  std::chrono::milliseconds ack_wait{std::chrono::seconds(3)};
  std::size_t max_message_bytes = 8u << 20;
  std::string listen;
  std::string store_dsn;
  std::string live_dsn;
  DecodeOptions decode;
  RetryPolicy retry{0, std::chrono::milliseconds(200), std::chrono::seconds(10), 0.2};

  // Reads nats.*, transform.*, store.dsn, live.dsn and capture.decimal_handling_mode (the
  // connector setting that decides how schemaless decimals are sent).
  static TransformSettings from_config(const config::Config& config);
};

struct TransformMetrics {
  explicit TransformMetrics(Metrics& registry);

  Counter& events_in;                // messages fetched (first deliveries and redeliveries)
  Counter& stored;                   // statements newly stored
  Counter& duplicates;               // statements already stored (redeliveries)
  Counter& dead_letters;             // messages dead-lettered
  Counter& rtus_calls;               // RTUS calls newly stored
  Counter& skipped;                  // transaction metadata, logical messages, no-op updates
  Counter& batches;                  // committed store transactions
  Counter& errors;                   // failed sessions (each one is retried)
  Counter& incomplete_transactions;  // capture transactions found with messages missing
  Histogram& batch_seconds;          // fetch -> commit -> ack of one batch
  Gauge& pending;                    // consumer num_pending: messages not yet delivered (lag)
  Gauge& ack_pending;                // delivered, not yet acknowledged
  Gauge& watermark;                  // the last watermark written, as a number
};

// Owns the observability server and runs consuming sessions one after the other until the
// stop flag is set. A session connects to NATS (binding the shared durable pull consumer on
// "<prefix>.>"), the TransformMsg DB (migrating its schema) and the Live DB catalog, then
// loops: fetch up to batch_size messages, turn them into statements / RTUS calls / dead
// letters, write them and the watermark in one store transaction, then acknowledge them.
// A store failure naks the batch (redelivered after a delay) and ends the session; run()
// waits by the retry policy and starts again, so nothing is lost, and the unique event ids
// make redelivered events no-ops. run() is called once from one thread; metrics() and
// health() from any thread.
class TransformService {
 public:
  explicit TransformService(TransformSettings settings);
  ~TransformService() = default;
  TransformService(const TransformService&) = delete;
  TransformService& operator=(const TransformService&) = delete;

  // Serves /healthz and /metrics on settings.listen and consumes until a stop is requested;
  // returns the exit code (0). Throws Error for a failure no retry can fix (bad settings,
  // a consumer that exists with an incompatible configuration).
  int run();

  const Metrics& metrics() const { return registry_; }
  http::Health health() const { return health_.get(); }

 private:
  class Session;

  TransformSettings settings_;
  Metrics registry_;
  TransformMetrics metrics_;
  service::HealthState health_;
};

}  // namespace tapedeck::transform
