// Session events on the EVENTS stream (DESIGN §3.4): tapedeck.session.<id>.<event>.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// One event of a session as the EVENTS stream keeps it.
struct StoredEvent {
  std::uint64_t sequence = 0;      // the stream's sequence: the order events were stored in
  std::string time;                // the event's sent_at, else when the stream stored it
  std::string kind;                // the event: init, start, pause, progress, restore.ok, ...
  nlohmann::json payload;          // its fields but session_id, event and sent_at
  nlohmann::json to_json() const;  // {"sequence", "time", "kind", "payload"}
};

// The last `limit` events of session `id` still in the EVENTS stream (nats.events_max_age and
// _max_bytes bound what is kept), oldest first; without `progress` events unless
// `with_progress`. Reads them through a pull consumer of its own
// filtered on the session's subjects, removed again before returning. Throws Error(retry)
// when NATS is down; waits at most `timeout` for the stream.
std::vector<StoredEvent> read_session_events(nats::JetStream& jetstream, const std::string& stream,
                                             std::string_view id, std::size_t limit,
                                             bool with_progress, std::chrono::milliseconds timeout);

// A StoredEvent of a message on subject tapedeck.session.<id>.<event>: nullopt when its subject
// is not a session's or its body is no JSON object. Pure.
std::optional<StoredEvent> stored_event(std::string_view subject, std::string_view body,
                                        std::uint64_t sequence, const std::string& stored_at);

}  // namespace tapedeck::session
