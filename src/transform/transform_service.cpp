// The transform service loop: fetch, convert, store in one transaction, acknowledge; the
// store transaction of one batch overlaps the fetch and conversion of the next.
#include "transform/transform_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <utility>

#include "core/cdc_headers.hpp"
#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/consumer.hpp"
#include "core/nats/jetstream.hpp"
#include "core/service/cdc_stream.hpp"
#include "core/service/observability_server.hpp"
#include "core/service/retry_loop.hpp"
#include "core/stop.hpp"
#include "transform/batch_prefetcher.hpp"
#include "transform/catalog.hpp"
#include "transform/statement_store.hpp"
#include "transform/watermark.hpp"

namespace tapedeck::transform {
namespace {

// How long a message of a batch that could not be stored waits before redelivery.
constexpr std::chrono::milliseconds kNakDelay{2000};
// Batches fetched ahead of conversion: enough to keep nats-server busy while a commit is slow,
// few enough to bound memory (each is up to transform.batch_size messages).
constexpr std::size_t kBatchesAhead = 2;
// How often a busy transform reads the consumer's ack floor to move the watermark.
constexpr std::chrono::milliseconds kWatermarkInterval{250};

// How often a batch still being stored tells the server it is in progress (+WIP): three
// times per ack_wait, so a short ack_wait (quick redelivery after a kill) never redelivers a
// healthy slow batch.
std::chrono::milliseconds in_progress_interval(std::chrono::milliseconds ack_wait) {
  return std::max(std::chrono::milliseconds(100), ack_wait / 3);
}

DecimalHandling decimal_handling(const std::string& mode) {
  if (mode == "string") return DecimalHandling::string;
  if (mode == "double") return DecimalHandling::double_value;
  return DecimalHandling::precise;
}

}  // namespace

TransformSettings TransformSettings::from_config(const config::Config& config) {
  TransformSettings s;
  s.nats_url = config.string("nats.url");
  s.cdc = service::CdcStreamSettings::from_config(config);
  s.durable = config.string("transform.durable");
  s.batch_size = static_cast<int>(config.integer("transform.batch_size"));
  s.fetch_timeout = config.duration("transform.fetch_timeout");
  s.ack_wait = config.duration("transform.ack_wait");
  const auto max_bytes = config.integer("transform.max_message_bytes");
  s.listen = config.string("transform.listen");
  s.store_dsn = config.string("store.dsn");
  s.live_dsn = config.string("live.dsn");
  s.decode.decimal_handling = decimal_handling(config.string("capture.decimal_handling_mode"));
  if (s.batch_size < 1 || s.batch_size > 100'000) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("transform.batch_size must be 1..100000, not {}", s.batch_size));
  }
  if (max_bytes < 1024) {
    throw Error(
        ErrorSource::config, Recovery::invalid,
        fmt::format("transform.max_message_bytes must be at least 1024, not {}", max_bytes));
  }
  s.max_message_bytes = static_cast<std::size_t>(max_bytes);
  if (s.durable.empty() || s.durable.find_first_of(". *>") != std::string::npos) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("transform.durable \"{}\" must be a non-empty name without '.', "
                            "' ', '*' or '>'",
                            s.durable));
  }
  return s;
}

TransformMetrics::TransformMetrics(Metrics& registry)
    : events_in(registry.counter("tapedeck_transform_events_in_total",
                                 "messages fetched from the CDC stream")),
      stored(registry.counter("tapedeck_transform_statements_stored_total",
                              "statements newly stored in the TransformMsg DB")),
      duplicates(registry.counter("tapedeck_transform_duplicates_total",
                                  "statements that were stored already (redeliveries)")),
      dead_letters(registry.counter("tapedeck_transform_dead_letters_total",
                                    "messages written to tapedeck.dead_letters")),
      rtus_calls(registry.counter("tapedeck_transform_rtus_calls_stored_total",
                                  "RTUS calls newly stored")),
      skipped(registry.counter("tapedeck_transform_skipped_total",
                               "transaction metadata, logical messages and no-op updates")),
      batches(registry.counter("tapedeck_transform_batches_total", "committed store transactions")),
      errors(registry.counter("tapedeck_transform_errors_total",
                              "failed sessions, each retried with backoff")),
      incomplete_transactions(registry.counter(
          "tapedeck_transform_incomplete_transactions_total",
          "capture transactions found with messages missing (the watermark is held before "
          "each until they arrive)")),
      batch_seconds(registry.histogram("tapedeck_transform_batch_seconds",
                                       "fetch to acknowledgement of one batch")),
      pending(registry.gauge("tapedeck_transform_consumer_pending",
                             "messages in the stream not yet delivered to the consumer (lag)")),
      ack_pending(registry.gauge("tapedeck_transform_consumer_ack_pending",
                                 "messages delivered and not yet acknowledged")),
      watermark(registry.gauge("tapedeck_transform_watermark_lsn",
                               "the last watermark written, as a number")) {}

// One connected run: NATS, the store, the catalog. Ends by returning (stop requested) or by
// throwing the first error. Members are declared in the order they must be built; they are
// destroyed in reverse, so the consumer goes before its JetStream context and connection.
class TransformService::Session {
 public:
  Session(const TransformSettings& settings, TransformMetrics& metrics)
      : settings_(settings),
        metrics_(metrics),
        log_(log::get("transform")),
        nats_(connect_options(settings)),
        js_(nats_),
        store_(settings.store_dsn, settings.cdc.name),
        catalog_(settings.live_dsn),
        processor_(
            ProcessorOptions{settings.cdc.prefix, settings.max_message_bytes, settings.decode},
            catalog_) {
    service::ensure_cdc_stream(js_, settings.cdc);
    nats::ConsumerConfig consumer;
    consumer.ack_wait = settings.ack_wait;
    consumer.max_ack_pending =
        std::max<std::int64_t>(20'000, std::int64_t{settings.batch_size} * 8);
    consumer_.emplace(js_, settings.cdc.name, settings.durable, settings.cdc.prefix + ".>",
                      consumer);
    catalog_.reference_xid();  // the Live DB must answer before anything is consumed
    processor_.load_shapes(store_.table_shapes());
    log_->info("consuming {} (durable {}) into {}", settings.cdc.name, settings.durable,
               store_dsn_for_log());
  }

  // Three stages: while one batch commits in the store (on a helper thread), the next is
  // converted, and the prefetcher fetches up to kBatchesAhead more, so neither the server nor
  // the store waits for conversion or for each other. Acks follow each commit, in order.
  void run() {
    BatchPrefetcher<std::vector<nats::Message>> prefetcher(
        [this] { return consumer_->fetch(settings_.batch_size, settings_.fetch_timeout); },
        [](std::vector<nats::Message>& messages) {
          redeliver(messages, std::chrono::milliseconds(0));
        },
        kBatchesAhead);
    std::unique_ptr<InFlight> in_flight;
    std::unique_ptr<InFlight> next;
    // While a commit is awaited, everything fetched after it is kept in progress too: the
    // batch converted and held (`next`) and those the prefetcher holds.
    const auto keep_alive = [&] {
      if (next) keep_in_progress(next->messages);
      prefetcher.for_each_ready(keep_in_progress);
    };
    try {
      while (!stop::requested()) {
        auto messages = prefetcher.next();
        if (messages.empty()) {
          finish(std::exchange(in_flight, nullptr), keep_alive);
          if (const auto watermark = advance_watermark(true)) store_.write_watermark(*watermark);
          continue;
        }
        const auto watermark = advance_watermark();
        next = std::make_unique<InFlight>();
        next->messages = std::move(messages);
        try {
          convert(*next);
          finish(std::exchange(in_flight, nullptr), keep_alive);
        } catch (...) {
          redeliver(next->messages, kNakDelay);
          throw;
        }
        InFlight* batch = next.get();
        batch->write = std::async(std::launch::async, [this, batch, watermark] {
          return store_.write(batch->batch, watermark);
        });
        in_flight = std::move(next);
      }
      finish(std::exchange(in_flight, nullptr), keep_alive);
    } catch (...) {
      try {
        finish(std::exchange(in_flight, nullptr));
      } catch (...) {
        // its messages are naked; the first failure is the one to report
      }
      throw;
    }
  }

 private:
  static nats::ConnectOptions connect_options(const TransformSettings& settings) {
    nats::ConnectOptions options;
    options.url = settings.nats_url;
    options.name = "tapedeck-transform";
    return options;
  }

  std::string store_dsn_for_log() const { return config::mask_secrets(settings_.store_dsn); }

  // The watermark the ack floor now allows, with the consumer gauges refreshed. Between
  // batches it asks the server at most every kWatermarkInterval (the request is a round trip
  // on the batch path); when idle (`now`), always. The request may overlap a fetch.
  std::optional<Lsn> advance_watermark(bool now = false) {
    const auto at = std::chrono::steady_clock::now();
    if (!now && at < next_watermark_) return std::nullopt;
    next_watermark_ = at + kWatermarkInterval;
    const nats::ConsumerState state = consumer_->state();
    metrics_.pending.set(static_cast<double>(state.num_pending));
    metrics_.ack_pending.set(static_cast<double>(state.num_ack_pending));
    const auto watermark = tracker_.advance(state.ack_floor_stream_sequence);
    if (watermark) metrics_.watermark.set(static_cast<double>(watermark->value));
    return watermark;
  }

  // A fetched batch on its way to the store.
  struct InFlight {
    std::vector<nats::Message> messages;
    Batch batch;
    std::vector<EndEvent> ends;
    std::uint64_t skipped = 0;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::future<WriteResult> write;
  };

  void convert(InFlight& flight) {
    // The header names as C strings once per batch, not four allocations per message.
    const std::string msg_id_header(nats::kMsgIdHeader);
    const std::string commit_lsn_header(cdc::kCommitLsnHeader);
    const std::string new_key_header(cdc::kNewKeyHeader);
    const std::string old_key_header(cdc::kOldKeyHeader);
    for (auto& message : flight.messages) {
      const nats::MessageMetadata metadata = message.metadata();
      InMessage in{message.subject(),
                   message.data(),
                   message.header(msg_id_header),
                   message.header(commit_lsn_header),
                   metadata.stream,
                   metadata.stream_sequence,
                   metadata.consumer_sequence,
                   message.header(new_key_header),
                   message.header(old_key_header)};
      metrics_.events_in.inc();
      const Outcome outcome = processor_.process(in, flight.batch);
      if (outcome == Outcome::skipped || outcome == Outcome::transaction_metadata ||
          outcome == Outcome::schema_change) {
        ++flight.skipped;
      }
      if (outcome == Outcome::dead_letter) {
        log_->warn("dead letter: stream sequence {} on {}: {}", metadata.stream_sequence,
                   message.subject().substr(0, 200), processor_.last_reason());
      }
    }
    flight.ends = processor_.take_ends();
  }

  // Waits for the batch's commit, then acknowledges it; a failed commit asks for redelivery
  // and rethrows. Nothing to do for a null batch. While it waits, the batch is kept in
  // progress, and `keep_alive` does the same for what was fetched after it.
  void finish(std::unique_ptr<InFlight> flight, const std::function<void()>& keep_alive = {}) {
    if (!flight) return;
    WriteResult result;
    try {
      const auto interval = in_progress_interval(settings_.ack_wait);
      while (flight->write.wait_for(interval) != std::future_status::ready) {
        keep_in_progress(flight->messages);
        if (keep_alive) keep_alive();
      }
      result = flight->write.get();
    } catch (...) {
      redeliver(flight->messages, kNakDelay);
      throw;
    }
    for (auto& message : flight->messages) message.ack();
    for (const auto& end : flight->ends) {
      tracker_.end_committed(end.stream_sequence, end.commit_lsn);
    }
    metrics_.stored.inc(static_cast<std::uint64_t>(result.statements_stored));
    metrics_.duplicates.inc(flight->batch.statements() -
                            static_cast<std::uint64_t>(result.statements_stored));
    metrics_.rtus_calls.inc(static_cast<std::uint64_t>(result.rtus_calls_stored));
    metrics_.dead_letters.inc(flight->batch.dead_letters().size());
    metrics_.skipped.inc(flight->skipped);
    metrics_.batches.inc();
    const auto incomplete = processor_.incomplete_transactions();
    if (incomplete > reported_incomplete_) {
      metrics_.incomplete_transactions.inc(incomplete - reported_incomplete_);
      reported_incomplete_ = incomplete;
    }
    for (const Lsn lsn : result.holds_released) {
      log_->info(
          "the capture transaction at commit {} is complete in the store: the watermark "
          "may pass it",
          lsn.str());
    }
    // The held watermark catches up with what was covered meanwhile, without a later END.
    if (!result.holds_released.empty() && tracker_.reported().valid()) {
      store_.write_watermark(tracker_.reported());
    }
    metrics_.batch_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - flight->started).count());
  }

  // Resets the messages' ack_wait timers. A failure is left to the commit's outcome: at worst
  // the server redelivers them and the store drops the duplicates by event id.
  static void keep_in_progress(std::vector<nats::Message>& messages) {
    for (auto& message : messages) {
      try {
        message.in_progress();
      } catch (const Error&) {
        return;  // the connection is gone
      }
    }
  }

  // Not stored: ask for redelivery after `delay`.
  static void redeliver(std::vector<nats::Message>& messages, std::chrono::milliseconds delay) {
    for (auto& message : messages) {
      try {
        message.nak(delay);
      } catch (const Error&) {
        break;  // the connection is gone: ack_wait redelivers them
      }
    }
  }

  const TransformSettings& settings_;
  TransformMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  nats::Connection nats_;
  nats::JetStream js_;
  StatementStore store_;
  Catalog catalog_;
  EventProcessor processor_;
  std::optional<nats::PullConsumer> consumer_;
  WatermarkTracker tracker_;
  std::chrono::steady_clock::time_point next_watermark_{};
  std::uint64_t reported_incomplete_ = 0;
};

TransformService::TransformService(TransformSettings settings)
    : settings_(std::move(settings)), metrics_(registry_) {}

int TransformService::run() {
  auto log = log::get("transform");
  const service::ObservabilityServer server(*log, {settings_.listen}, registry_,
                                            [this] { return health(); });
  service::RetryLoopOptions loop;
  loop.retry = settings_.retry;
  loop.failures = &metrics_.errors;
  // Configuration mistakes do not heal by waiting; everything else is retried: the store
  // writes are idempotent, so even an in-doubt commit is safe to redo.
  loop.is_final = [](const Error& error) { return error.source() == ErrorSource::config; };
  loop.rethrow_when_exhausted = true;
  service::retry_until_stopped(*log, health_, loop, [&](const service::Started& started) {
    Session session(settings_, metrics_);
    started();
    session.run();
  });
  log->info("stopped");
  return exit_code::ok;
}

}  // namespace tapedeck::transform
