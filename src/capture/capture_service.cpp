// `tapedeck capture` as a long-running service: Live DB slot -> Debezium events -> JetStream.
#include "capture/capture_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <iterator>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "capture/catalog_resolver.hpp"
#include "capture/confirm_tracker.hpp"
#include "capture/debezium_encoder.hpp"
#include "capture/pgoutput.hpp"
#include "capture/relation_cache.hpp"
#include "capture/session_options.hpp"
#include "capture/slot_guard.hpp"
#include "capture/value_codec.hpp"
#include "core/cdc_headers.hpp"
#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/jetstream.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/params.hpp"
#include "core/pg/replication.hpp"
#include "core/pg/replication_admin.hpp"
#include "core/recording/watermarks_table.hpp"
#include "core/schema/live_schema.hpp"
#include "core/service/cdc_stream.hpp"
#include "core/service/observability_server.hpp"
#include "core/service/retry_loop.hpp"
#include "core/stop.hpp"

namespace tapedeck::capture {

namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

constexpr const char* kApplicationName = "tapedeck-capture";
constexpr const char* kCurrentWalQuery = "SELECT pg_current_wal_lsn()::text";
constexpr const char* kEncodingQuery =
    "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()";
// What the walsender reports when a value cannot be written in capture's client encoding,
// UTF-8: character_not_in_repertoire, untranslatable_character.
constexpr std::string_view kNotUtf8States[] = {"22021", "22P05"};
// The longest a read waits when nothing is pending, so the stop flag is seen promptly.
constexpr auto kIdleRead = 200ms;
// While JetStream holds capture back (a full publish window, acks slow to come), capture
// waits in slices of this length and sends the walsender a status update between them, so
// PostgreSQL does not end the replication connection after wal_sender_timeout.
constexpr auto kBlockedSlice = 500ms;

std::int64_t unix_micros_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Lsn parse_lsn(std::string_view text, std::string_view what) {
  const auto lsn = Lsn::parse(text);
  if (!lsn) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("{} is '{}', which is not an LSN", what, text));
  }
  return *lsn;
}

// The walsender's encoding error, with what it means for the recording: the change can never
// be streamed, so capture stays at it (retrying, its slot keeping the WAL) until someone acts.
Error not_utf8_error(const Error& error) {
  return Error(error.source(), error.recovery(),
               fmt::format("{}; a change in the Live DB holds text that is not valid UTF-8 (a "
                           "SQL_ASCII database stores bytes unchecked), which no change event "
                           "can carry: capture stays at this change, nothing after it is "
                           "recorded until the value is handled (docs/operations.md, "
                           "\"A Live DB in SQL_ASCII\")",
                           error.message()),
               error.code())
      .caused_by(std::make_exception_ptr(error));
}

}  // namespace

CaptureMetrics::CaptureMetrics(Metrics& registry)
    : events(registry.counter("tapedeck_capture_events_published_total",
                              "change and transaction events acknowledged by JetStream")),
      bytes(registry.counter("tapedeck_capture_bytes_published_total",
                             "JSON bytes of the events acknowledged by JetStream")),
      transactions(registry.counter("tapedeck_capture_transactions_total",
                                    "transactions streamed from the slot")),
      errors(registry.counter("tapedeck_capture_errors_total",
                              "streaming sessions ended by an error")),
      restarts(registry.counter("tapedeck_capture_restarts_total",
                                "streaming sessions started again from the slot")),
      lag_bytes(registry.gauge("tapedeck_capture_lag_bytes",
                               "WAL bytes between pg_current_wal_lsn() and the confirmed LSN")),
      lag_seconds(registry.gauge("tapedeck_capture_lag_seconds",
                                 "seconds between the last transaction's commit and its capture")),
      events_per_second(registry.gauge("tapedeck_capture_events_per_second",
                                       "events acknowledged per second, last status interval")),
      confirmed_lsn(registry.gauge("tapedeck_capture_confirmed_lsn",
                                   "the LSN confirmed to the replication slot, as a number")),
      streaming(registry.gauge("tapedeck_capture_streaming", "1 while streaming from the slot")),
      slot_retained_bytes(registry.gauge("tapedeck_capture_slot_retained_wal_bytes",
                                         "WAL the slot holds back: pg_current_wal_lsn() - "
                                         "restart_lsn")),
      slot_wal_status(registry.gauge("tapedeck_capture_slot_wal_status",
                                     "the slot's wal_status: 0 reserved, 1 extended, "
                                     "2 unreserved, 3 lost")),
      slot_safe_wal_size(registry.gauge("tapedeck_capture_slot_safe_wal_size_bytes",
                                        "WAL that may still be written before the slot is "
                                        "invalidated (-1: max_slot_wal_keep_size = -1)")) {}

// One streaming session: connections, slot, stream, and the read-encode-publish-confirm loop.
// Members are declared so that they are destroyed in the right order: the publisher before
// the NATS connection, the encoder before the relation cache before the resolver before the
// catalog connection. Lives on the thread that calls run().
class CaptureService::Session {
 public:
  Session(const CaptureSettings& settings, CaptureMetrics& metrics)
      : settings_(settings),
        metrics_(metrics),
        log_(log::get("capture")),
        nats_(nats_options(settings)),
        publisher_(nats_, nats::AsyncPublisherOptions{settings.max_in_flight, kBlockedSlice}),
        live_(settings.live_dsn, std::string(kApplicationName) + "-catalog"),
        resolver_(live_),
        relations_(&resolver_),
        replication_(with_session_options(settings.live_dsn), kApplicationName) {
    {
      nats::JetStream js(nats_);
      service::ensure_cdc_stream(js, settings_.cdc);
    }
    reconnects_at_start_ = nats_.reconnect_count();
    // tapedeck's Live DB tables and the event triggers that record schema changes: the
    // recording is incomplete without them, and capture is where it starts (warns when the
    // triggers cannot be installed).
    schema::migrate_live(live_);
    // The publication first: pgoutput reads it through the slot's historic catalog snapshot,
    // so a publication younger than the slot's start would not be found.
    if (pg::ensure_publication(live_, settings_.publication,
                               settings_.tables.publication_tables())) {
      log_->info("created publication {}", settings_.publication);
    }
    check_published_columns();
    warn_when_text_is_unchecked();
    const pg::SystemIdentity identity = replication_.identify_system();
    EncoderSettings encoder_settings = settings_.encoder;
    encoder_settings.database_name = identity.dbname;
    encoder_.emplace(encoder_settings, relations_);
    if (auto created =
            replication_.create_logical_slot_if_missing(settings_.slot_name, "pgoutput")) {
      log_->info("created replication slot {} at {}", settings_.slot_name,
                 created->consistent_point.str());
    }
    const auto slot = pg::replication_slot(live_, settings_.slot_name);
    if (!slot) {
      throw Error(ErrorSource::postgres, Recovery::retry,
                  fmt::format("replication slot {} vanished right after it was checked",
                              settings_.slot_name));
    }
    // A lost slot cannot stream again (PostgreSQL removed WAL it needed): say so and stop.
    if (slot->wal_status == "lost") throw lost_slot_error(settings_.slot_name);
    if (slot->plugin != "pgoutput") {
      throw Error(ErrorSource::postgres, Recovery::fail,
                  fmt::format("replication slot {} uses plugin {}, capture needs pgoutput; "
                              "choose another capture.slot_name",
                              settings_.slot_name, slot->plugin));
    }
    confirmed_ = slot->confirmed_flush_lsn;
    encoder_->set_last_commit_lsn(confirmed_);
    tracker_.emplace(settings_.confirm_mode, confirmed_);
    if (settings_.confirm_mode == ConfirmMode::watermark) {
      store_.emplace(settings_.store_dsn, std::string(kApplicationName) + "-watermark");
    }
    replication_.start_logical(settings_.slot_name, Lsn{},
                               pg::pgoutput_options({settings_.publication}));
    log_->info("streaming slot {} of {} from {} to stream {} (confirm by {})", settings_.slot_name,
               replication_.dsn_for_log(), confirmed_.str(), settings_.cdc.name,
               settings_.confirm_mode == ConfirmMode::puback ? "puback" : "watermark");
  }

  // Streams until the stop flag is set (then returns after a last confirmation) or an error
  // (thrown; the caller starts a new session).
  void stream() {
    metrics_.streaming.set(1);
    auto next_status = Steady::now();
    rate_since_ = Steady::now();
    rate_events_ = metrics_.events.value();
    while (!stop::requested()) {
      check_nats();
      const auto now = Steady::now();
      if (now >= next_status) {
        status_tick();
        next_status = Steady::now() + settings_.status_interval;
        continue;
      }
      const auto until_status =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_status - now);
      const auto timeout = unacked_ > 0 ? 0ms : std::min(until_status, kIdleRead);
      std::optional<pg::ReplicationMessage> message;
      try {
        message = replication_.read(timeout);
      } catch (const Error& error) {
        if (std::ranges::find(kNotUtf8States, error.code()) != std::end(kNotUtf8States)) {
          throw not_utf8_error(error);
        }
        throw;
      }
      if (!message) {
        if (unacked_ > 0) checkpoint();
        continue;
      }
      if (auto* data = std::get_if<pg::XLogData>(&*message)) {
        on_data(*data);
      } else if (const auto* keepalive = std::get_if<pg::PrimaryKeepalive>(&*message)) {
        if (!encoder_->in_transaction() && unacked_ == 0) {
          tracker_->on_keepalive(keepalive->wal_end, true);
        }
        if (keepalive->reply_requested) send_status();
      }
    }
    // Stopping: confirm what is acknowledged (and stored) before the connections close.
    checkpoint();
    status_tick();
    metrics_.streaming.set(0);
  }

  ~Session() { metrics_.streaming.set(0); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  static nats::ConnectOptions nats_options(const CaptureSettings& settings) {
    nats::ConnectOptions options;
    options.url = settings.nats_url;
    options.name = kApplicationName;
    return options;
  }

  // Refuses, before streaming, a recorded column whose type capture cannot carry exactly
  // (Error(config), which stops capture), and warns about each numeric column whose NaN and
  // ±Infinity the chosen decimal_handling_mode records as NULL.
  void check_published_columns() {
    const TypeLookup lookup = [this](std::uint32_t oid) { return relations_.type(oid); };
    for (const PublishedColumn& column : resolver_.published_columns(settings_.publication)) {
      if (settings_.tables.excluded(column.schema, column.table)) continue;
      const ColumnCodec codec =
          make_codec(column.type_oid, column.type_modifier, settings_.encoder, lookup);
      const std::string name = fmt::format("{}.{}.{}", column.schema, column.table, column.column);
      require_carried(codec, name, column.type_name);
      if (loses_special_numbers(codec)) {
        log_->warn(
            "column {} ({}): capture.decimal_handling_mode=precise records numeric NaN "
            "and Infinity as NULL (Debezium's behaviour); use string to keep them",
            name, column.type_name);
      }
    }
  }

  // PostgreSQL checks no text of a SQL_ASCII database: every value streams as long as it is
  // valid UTF-8, and the first that is not stops capture at its change (not_utf8_error).
  void warn_when_text_is_unchecked() {
    const auto encoding = live_.exec(kEncodingQuery).get<std::string>(0, 0);
    if (encoding != "SQL_ASCII") return;
    log_->warn(
        "the Live DB's encoding is SQL_ASCII: PostgreSQL does not check its text, and a change "
        "holding text that is not valid UTF-8 will stop capture at that change "
        "(docs/operations.md, \"A Live DB in SQL_ASCII\")");
  }

  void check_nats() {
    if (nats_.disconnected() || nats_.reconnect_count() != reconnects_at_start_) {
      throw Error(ErrorSource::nats, Recovery::retry,
                  "the NATS connection was lost; streaming again from the slot so that nothing "
                  "the server may have lost is skipped");
    }
  }

  void on_data(const pg::XLogData& data) {
    if (data.payload.empty()) return;
    pgoutput::Message message = pgoutput::decode(data.payload);
    if (std::holds_alternative<pgoutput::Begin>(message)) tx_events_ = 0;
    if (!settings_.tables.admit(message, relations_)) return;
    events_.clear();
    encoder_->on_message(message, data.wal_start, unix_micros_now(), events_);
    for (const EncodedEvent& event : events_) publish(event);
    tx_events_ += events_.size();
    if (const auto* commit = std::get_if<pgoutput::Commit>(&message)) {
      tracker_->on_commit(commit->commit_lsn, commit->end_lsn, tx_events_);
      metrics_.transactions.inc();
      metrics_.lag_seconds.set(
          static_cast<double>(unix_micros_now() - commit->commit_time.unix_micros()) / 1e6);
      last_received_ = std::max(last_received_, commit->end_lsn);
      tx_events_ = 0;
    }
  }

  // A message larger than the server's max_payload is refused by the server (which then closes
  // the connection) or by the library: say which change it is and what to change instead. Not
  // final: once nats-server is given a larger max_payload, capture goes on from this change.
  void refuse_oversized(const EncodedEvent& event) const {
    // "NATS/1.0\r\n", "name: value\r\n" per header (Nats-Msg-Id among them), "\r\n".
    std::size_t size = event.value.size() + 12 + 13 + 4 + event.message_id.size();
    for (const auto& [name, value] : headers_) size += name.size() + value.size() + 4;
    const auto limit = nats_.max_payload();
    if (limit <= 0 || size <= static_cast<std::size_t>(limit)) return;
    throw Error(ErrorSource::nats, Recovery::retry,
                fmt::format("the change event {} on {} (commit LSN {}) is {} bytes, more than the "
                            "NATS server accepts (max_payload {} bytes); raise max_payload in "
                            "nats-server's configuration (up to 64 MB; past 8 MiB raise "
                            "transform.max_message_bytes too) and capture goes on from this "
                            "change, or leave the table out (capture.exclude_tables)",
                            event.message_id, event.subject, event.commit_lsn.str(), size, limit));
  }

  void publish(const EncodedEvent& event) {
    headers_.clear();
    headers_.emplace_back(std::string(cdc::kCommitLsnHeader), event.commit_lsn.str());
    if (event.key_columns) {
      if (event.key_columns != cached_key_columns_) {
        cached_key_columns_ = event.key_columns;
        cached_key_header_ = key_columns_header(*event.key_columns);
      }
      headers_.emplace_back(std::string(cdc::kKeyColumnsHeader), cached_key_header_);
    }
    if (!event.key_change_header.empty()) {
      headers_.emplace_back(std::string(event.key_change_header), event.key_change);
    }
    refuse_oversized(event);
    // A full window throws after kBlockedSlice (nothing sent): answer the walsender and try
    // again while the connection is up, for as long as acks may take (ack_timeout).
    const auto deadline = Steady::now() + settings_.ack_timeout;
    for (;;) {
      try {
        publisher_.publish(event.subject, event.value, headers_, event.message_id);
        break;
      } catch (const Error&) {
        if (nats_.disconnected() || Steady::now() >= deadline) throw;
        send_status();
      }
    }
    ++unacked_;
    unacked_bytes_ += event.value.size();
  }

  // Waits for every outstanding ack; any failure ends the session (re-streamed from the slot).
  void checkpoint() {
    if (unacked_ == 0) return;
    // In slices, with a status update to the walsender after each (see kBlockedSlice).
    const auto deadline = Steady::now() + settings_.ack_timeout;
    while (deadline - Steady::now() > kBlockedSlice && !publisher_.settle(kBlockedSlice)) {
      send_status();
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
    const auto failures = publisher_.wait_all(std::max(left, 1ms));
    if (!failures.empty()) {
      const auto& first = failures.front();
      throw Error(ErrorSource::nats, Recovery::retry,
                  fmt::format("{} of {} publishes were not acknowledged (first: {} on {}: {}); "
                              "streaming again from the slot",
                              failures.size(), unacked_, first.msg_id, first.subject, first.reason),
                  first.code);
    }
    metrics_.events.inc(unacked_);
    metrics_.bytes.inc(unacked_bytes_);
    unacked_ = 0;
    unacked_bytes_ = 0;
    tracker_->on_all_acked();
  }

  void read_watermark() {
    if (!store_) return;
    if (!watermarks_exist_) {
      // Transform creates the store's tables; until it has, nothing is confirmed yet.
      watermarks_exist_ = recording::watermarks::table_exists(*store_);
      if (!watermarks_exist_) return;
    }
    if (const auto watermark = recording::watermarks::read(*store_, settings_.cdc.name)) {
      tracker_->on_watermark(*watermark);
    }
  }

  void send_status() {
    const Lsn flush = tracker_->flush();
    if (flush > confirmed_) {
      confirmed_ = flush;
      metrics_.confirmed_lsn.set(static_cast<double>(confirmed_.value));
    }
    replication_.send_status(std::max(last_received_, confirmed_), confirmed_, confirmed_);
  }

  void status_tick() {
    checkpoint();
    read_watermark();
    send_status();
    check_slot_retention();
    const pg::Result current = live_.exec(kCurrentWalQuery);
    const Lsn wal = parse_lsn(current.text(0, 0), "pg_current_wal_lsn()");
    metrics_.lag_bytes.set(wal > confirmed_ ? static_cast<double>(wal.value - confirmed_.value)
                                            : 0.0);
    const auto now = Steady::now();
    const double seconds = std::chrono::duration<double>(now - rate_since_).count();
    if (seconds > 0) {
      const std::uint64_t events = metrics_.events.value();
      metrics_.events_per_second.set(static_cast<double>(events - rate_events_) / seconds);
      rate_events_ = events;
      rate_since_ = now;
    }
  }

  // The slot's gauges, a warning when it nears invalidation (once per approach), and the
  // final error once it is lost.
  void check_slot_retention() {
    const auto retention = pg::slot_retention(live_, settings_.slot_name);
    if (!retention) return;
    metrics_.slot_retained_bytes.set(static_cast<double>(retention->retained_bytes));
    metrics_.slot_wal_status.set(wal_status_code(retention->wal_status));
    metrics_.slot_safe_wal_size.set(
        retention->safe_wal_size ? static_cast<double>(*retention->safe_wal_size) : -1.0);
    if (retention->wal_status == "lost") throw lost_slot_error(settings_.slot_name);
    const auto warning =
        slot_retention_warning(settings_.slot_name, *retention, settings_.slot_warn_fraction);
    if (warning && !slot_warned_) log_->warn("{}", *warning);
    slot_warned_ = warning.has_value();
  }

  const CaptureSettings& settings_;
  CaptureMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  nats::Connection nats_;
  nats::AsyncPublisher publisher_;
  pg::Connection live_;
  CatalogResolver resolver_;
  RelationCache relations_;
  std::optional<DebeziumEncoder> encoder_;
  pg::ReplicationConnection replication_;
  std::optional<pg::Connection> store_;
  bool watermarks_exist_ = false;
  bool slot_warned_ = false;
  std::optional<ConfirmTracker> tracker_;

  std::uint64_t reconnects_at_start_ = 0;
  Lsn confirmed_;
  Lsn last_received_;
  std::vector<EncodedEvent> events_;
  nats::Headers headers_;
  std::shared_ptr<const std::vector<std::string>> cached_key_columns_;
  std::string cached_key_header_;
  std::uint64_t tx_events_ = 0;
  std::uint64_t unacked_ = 0;
  std::uint64_t unacked_bytes_ = 0;
  Steady::time_point rate_since_;
  std::uint64_t rate_events_ = 0;
};

CaptureService::CaptureService(CaptureSettings settings)
    : settings_(std::move(settings)), metrics_(registry_) {}

CaptureService::~CaptureService() = default;

http::Health CaptureService::health() const {
  http::Health health = health_.get();
  if (!health.ok) return health;
  if (metrics_.streaming.value() < 1) return {false, "not streaming yet"};
  return {true, "streaming"};
}

int CaptureService::run() {
  auto log = log::get("capture");
  const service::ObservabilityServer server(*log, {settings_.listen}, registry_,
                                            [this] { return health(); });
  service::RetryLoopOptions loop;
  loop.retry = settings_.retry;
  loop.failures = &metrics_.errors;
  loop.texts.recovered = "streaming again after {} failed attempts";
  loop.texts.first_failure = "cannot start streaming: {}; retrying with backoff";
  loop.texts.still_failing = "still cannot start streaming: {}";
  loop.texts.broke_after_start = "streaming stopped: {}; starting again from the slot";
  // A configuration error (a column capture cannot carry, a bad table name, a CDC stream whose
  // settings differ from the keys) does not go away by retrying: capture stops and says why.
  loop.is_final = [](const Error& error) { return error.source() == ErrorSource::config; };
  std::uint64_t attempts = 0;
  service::retry_until_stopped(*log, health_, loop, [&](const service::Started& started) {
    if (attempts++ > 0) metrics_.restarts.inc();
    Session session(settings_, metrics_);
    started();
    session.stream();
  });
  log->info("stopped after {} attempt(s) to stream", attempts);
  return exit_code::ok;
}

}  // namespace tapedeck::capture
