// The EVENTS stream and publishing to it.
#include "core/sessions/session_events.hpp"

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

}  // namespace tapedeck::session
