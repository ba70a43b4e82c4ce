// A received NATS message (core or JetStream) and its headers, metadata and acknowledgements.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapedeck::nats {

// Message headers in order; a key may repeat.
using Headers = std::vector<std::pair<std::string, std::string>>;

// The JetStream header that carries a message's de-duplication id.
inline constexpr std::string_view kMsgIdHeader = "Nats-Msg-Id";

// Where a JetStream message stands, parsed from its reply subject.
struct MessageMetadata {
  std::string stream;
  std::string consumer;
  std::uint64_t stream_sequence = 0;
  std::uint64_t consumer_sequence = 0;
  std::uint64_t num_delivered = 0;                  // 1 on first delivery
  std::uint64_t num_pending = 0;                    // messages left for the consumer after this one
  std::chrono::system_clock::time_point timestamp;  // when the stream stored it
};

namespace detail {
struct MsgDeleter {
  void operator()(natsMsg* msg) const noexcept { natsMsg_Destroy(msg); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;
}  // namespace detail

// Owns one natsMsg. Move-only. Not thread-safe: one thread uses a message at a time. A
// JetStream message from a PullConsumer is acknowledged by publishing to its reply subject on
// the connection it came in on, so ack before that Connection is destroyed. Acknowledgement
// calls throw tapedeck::Error (retry when the connection is down, invalid on a message that
// did not come from a PullConsumer).
class Message {
 public:
  explicit Message(natsMsg* msg, natsConnection* ack_connection = nullptr)
      : msg_(msg), ack_connection_(ack_connection) {}

  std::string_view subject() const;
  std::string_view reply() const;  // empty when none
  std::string_view data() const;

  // The first value of `key` (case-sensitive, as cnats 3 keeps it), or nullopt.
  std::optional<std::string> header(const std::string& key) const;
  // Every value of `key`, in order; empty when absent.
  std::vector<std::string> header_values(const std::string& key) const;
  // All headers, in key order as cnats returns them.
  Headers headers() const;

  // JetStream only; throws Error(invalid) on a core NATS message.
  MessageMetadata metadata() const;

  // Tells the server the message is done. ack() does not wait: the ack may be lost with the
  // connection and the message redelivered after ack_wait. ack_sync() waits for the server's
  // confirmation (up to `timeout`): use it where a lost ack matters.
  void ack();
  void ack_sync(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Asks for redelivery, at once or after `delay`.
  void nak();
  void nak(std::chrono::milliseconds delay);
  // Never redeliver this message.
  void term();
  // Resets the ack_wait timer: still working on it.
  void in_progress();

  // Releases ownership to the caller (for passing back into cnats). Empty afterwards.
  natsMsg* release() noexcept { return msg_.release(); }
  explicit operator bool() const noexcept { return msg_ != nullptr; }

 private:
  natsMsg* get() const;
  // The reply subject acknowledgements go to; throws Error(invalid) without one.
  const char* ack_subject(std::string_view what) const;
  void send_ack(std::string_view body, std::string_view what);

  detail::MsgPtr msg_;
  natsConnection* ack_connection_;  // not owned; null for core NATS messages
};

// Builds a natsMsg with headers (and the Nats-Msg-Id header when msg_id is not empty) for
// publishing. Throws tapedeck::Error.
detail::MsgPtr make_message(std::string_view subject, std::string_view data, const Headers& headers,
                            std::string_view msg_id = {});

// Reads all headers of a message cnats owns (used in callbacks, no throwing).
Headers read_headers(natsMsg* msg) noexcept;

}  // namespace tapedeck::nats
