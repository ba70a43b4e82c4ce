// The JetStream metadata that a delivered message carries in its ack reply subject.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tapedeck::nats {

// Views into the reply subject; valid as long as it is.
struct AckReply {
  std::string_view domain;  // empty without a JetStream domain
  std::string_view stream;
  std::string_view consumer;
  std::uint64_t num_delivered = 0;
  std::uint64_t stream_sequence = 0;
  std::uint64_t consumer_sequence = 0;
  std::int64_t timestamp_ns = 0;
  std::uint64_t num_pending = 0;
};

// Reads "$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>"
// and the form with a domain and account hash after "$JS.ACK." and a random token at the end
// (ADR-15), in place: cnats' natsMsg_GetMetaData allocates four strings for each message.
// Nullopt for anything else.
std::optional<AckReply> parse_ack_reply(std::string_view reply);

}  // namespace tapedeck::nats
