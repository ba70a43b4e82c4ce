// Session events on the EVENTS stream (DESIGN §3.4): tapedeck.session.<id>.<event>.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/nats/consumer.hpp"
#include "core/nats/jetstream.hpp"

namespace tapedeck::session {

// The EVENTS stream: nats.events_stream, subjects tapedeck.session.>, file storage, the limits
// and replicas of nats.events_max_age, nats.events_max_bytes and nats.events_replicas.
nats::StreamConfig events_stream_config(const config::Config& config);

// Sets up the EVENTS stream the one way (JetStream::ensure_stream): created when missing if
// nats.create_streams (Error not_found otherwise); an existing stream with other settings is
// refused (Error config/conflict naming each difference) and left as it is.
void ensure_events_stream(nats::JetStream& jetstream, const config::Config& config);

// Binds the durable pull consumer `durable` on tapedeck.session.*.<event> of the EVENTS stream,
// after making sure the stream is there (ensure_events_stream). Every copy of a service binds
// the same durable, so each event goes to one of them; one unacknowledged for `ack_wait` is
// delivered again.
nats::PullConsumer bind_event_consumer(nats::JetStream& jetstream, const config::Config& config,
                                       const std::string& durable, std::string_view event,
                                       std::chrono::milliseconds ack_wait);

// Publishes `event` for session `id` (body: event_body(id, event, fields)) and waits for the
// stream's ack. `msg_id`, when given, makes a re-publish of the same event a duplicate.
nats::PubAck publish_event(nats::JetStream& jetstream, std::string_view id, std::string_view event,
                           nlohmann::json fields = nlohmann::json::object(),
                           std::string_view msg_id = {});

}  // namespace tapedeck::session
