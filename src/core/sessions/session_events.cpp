// The EVENTS stream and publishing to it.
#include "core/sessions/session_events.hpp"

#include <fmt/format.h>

#include <deque>
#include <random>

#include "core/session.hpp"

namespace tapedeck::session {

nats::StreamConfig events_stream_config(const config::Config& config) {
  nats::StreamConfig stream;
  stream.name = config.string("nats.events_stream");
  stream.subjects = {stream_subjects()};
  stream.storage = nats::StorageType::file;
  nats::StreamLimits::from_config(config, "nats.events").apply_to(stream);
  return stream;
}

void ensure_events_stream(nats::JetStream& jetstream, const config::Config& config) {
  jetstream.ensure_stream(events_stream_config(config),
                          config.boolean("nats.create_streams")
                              ? nats::JetStream::Setup::create_missing
                              : nats::JetStream::Setup::require_existing);
}

nats::PullConsumer bind_event_consumer(nats::JetStream& jetstream, const config::Config& config,
                                       const std::string& durable, std::string_view event,
                                       std::chrono::milliseconds ack_wait) {
  ensure_events_stream(jetstream, config);
  nats::ConsumerConfig consumer;
  consumer.ack_wait = ack_wait;
  return nats::PullConsumer(jetstream, config.string("nats.events_stream"), durable,
                            subject("*", event), consumer);
}

nats::PubAck publish_event(nats::JetStream& jetstream, std::string_view id, std::string_view event,
                           nlohmann::json fields, std::string_view msg_id) {
  const auto body = event_body(id, event, std::move(fields)).dump();
  return jetstream.publish(subject(id, event), body, {}, msg_id);
}

nlohmann::json StoredEvent::to_json() const {
  return {{"sequence", sequence}, {"time", time}, {"kind", kind}, {"payload", payload}};
}

std::optional<StoredEvent> stored_event(std::string_view subject, std::string_view body,
                                        std::uint64_t sequence, const std::string& stored_at) {
  const auto parsed = parse_subject(subject);
  if (!parsed) return std::nullopt;
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  StoredEvent event;
  event.sequence = sequence;
  event.kind = parsed->second;
  const auto sent = json.find("sent_at");
  event.time = sent != json.end() && sent->is_string() ? sent->get<std::string>() : stored_at;
  json.erase("session_id");
  json.erase("event");
  json.erase("sent_at");
  event.payload = std::move(json);
  return event;
}

namespace {

// Removes the reading consumer however the read ends; never throws.
class ConsumerRemover {
 public:
  ConsumerRemover(nats::JetStream& jetstream, std::string stream, std::string durable)
      : jetstream_(jetstream), stream_(std::move(stream)), durable_(std::move(durable)) {}
  ConsumerRemover(const ConsumerRemover&) = delete;
  ConsumerRemover& operator=(const ConsumerRemover&) = delete;
  ~ConsumerRemover() {
    try {
      nats::PullConsumer::remove(jetstream_, stream_, durable_);
    } catch (...) {  // NOLINT(bugprone-empty-catch): a left consumer only holds no messages
    }
  }

 private:
  nats::JetStream& jetstream_;
  std::string stream_;
  std::string durable_;
};

}  // namespace

std::vector<StoredEvent> read_session_events(nats::JetStream& jetstream, const std::string& stream,
                                             std::string_view id, std::size_t limit,
                                             bool with_progress,
                                             std::chrono::milliseconds timeout) {
  std::mt19937_64 random(std::random_device{}());
  const std::string durable = fmt::format("tapedeck-events-read-{:016x}", random());
  nats::ConsumerConfig config;
  config.max_ack_pending = 10'000;
  ConsumerRemover remover(jetstream, stream, durable);
  nats::PullConsumer consumer(jetstream, stream, durable, subject(id, ">"), config);
  std::deque<StoredEvent> kept;
  if (consumer.state().num_pending == 0) return {};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool done = false;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    auto messages = consumer.fetch(256, std::chrono::milliseconds(500));
    if (messages.empty()) {
      done = consumer.state().num_pending == 0;
      continue;
    }
    for (auto& message : messages) {
      const auto metadata = message.metadata();
      const auto stored_at =
          format_time(std::chrono::time_point_cast<std::chrono::microseconds>(metadata.timestamp));
      if (auto event =
              stored_event(message.subject(), message.data(), metadata.stream_sequence, stored_at);
          event && (with_progress || event->kind != "progress")) {
        kept.push_back(std::move(*event));
        if (kept.size() > limit) kept.pop_front();
      }
      message.ack();
      if (metadata.num_pending == 0) done = true;
    }
  }
  return {std::make_move_iterator(kept.begin()), std::make_move_iterator(kept.end())};
}

}  // namespace tapedeck::session
