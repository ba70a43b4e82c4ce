// A NATS connection that reconnects forever, with core publish, subscribe and request.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/nats/message.hpp"

namespace tapedeck::nats {

// The servers of a nats.url: "nats://a:4222" or a comma-separated list of a cluster's servers
// ("nats://a:4222, nats://b:4222"), blanks around each trimmed, empty parts dropped. Pure.
std::vector<std::string> server_urls(std::string_view url);

struct ConnectOptions {
  std::string url = "nats://127.0.0.1:4222";  // comma-separated list for a cluster
  std::string name = "tapedeck";              // shown by the server's monitoring
  std::chrono::milliseconds connect_timeout{2000};
  // After a lost connection the client retries forever: every url once, then waits
  // reconnect_wait plus a random jitter of up to reconnect_jitter.
  std::chrono::milliseconds reconnect_wait{1000};
  std::chrono::milliseconds reconnect_jitter{500};
  // Bytes buffered for publishes while reconnecting (cnats default 8 MiB).
  int reconnect_buffer_bytes = 8 * 1024 * 1024;
  // The server is pinged every ping_interval; max_pings_out unanswered pings mark it stale.
  std::chrono::milliseconds ping_interval{10'000};
  int max_pings_out = 2;
  // Keep trying in the background when the first connect fails, instead of throwing.
  bool retry_on_failed_connect = false;
};

enum class ConnectionStatus {
  disconnected,
  connecting,
  connected,
  closed,
  reconnecting,
  draining_subscriptions,
  draining_publishers,
};
std::string_view to_string(ConnectionStatus status);

namespace detail {
struct ConnectionDeleter {
  void operator()(natsConnection* nc) const noexcept { natsConnection_Destroy(nc); }
};
struct SubscriptionDeleter {
  void operator()(natsSubscription* sub) const noexcept { natsSubscription_Destroy(sub); }
};
using SubscriptionPtr = std::unique_ptr<natsSubscription, SubscriptionDeleter>;

// What cnats' connection callbacks write (atomics only) and the Connection reads. Lives on
// the heap so its address stays fixed while the library holds it as callback closure.
struct ConnectionEvents {
  std::atomic<std::uint64_t> disconnects{0};
  std::atomic<std::uint64_t> reconnects{0};
  std::atomic<std::uint64_t> async_errors{0};
  std::atomic<bool> disconnected{false};
  std::atomic<bool> closed{false};
};
}  // namespace detail

// A synchronous subscription: messages queue inside cnats until next() takes them.
// Move-only; destroy it (it unsubscribes) before its Connection. One thread at a time.
class Subscription {
 public:
  explicit Subscription(natsSubscription* sub) : sub_(sub) {}

  // The next message, or nullopt when none arrived within `timeout`. Throws tapedeck::Error
  // when the connection is closed or the subscription failed (slow consumer: retry).
  std::optional<Message> next(std::chrono::milliseconds timeout);
  // Unsubscribes now; the destructor does it otherwise.
  void unsubscribe();

 private:
  detail::SubscriptionPtr sub_;
};

// One connection to a NATS server (or cluster). Fully connected after the constructor or the
// constructor throws (unless retry_on_failed_connect). Reconnects forever in the background;
// publishes made while disconnected are buffered, requests fail with a retryable Error.
// Move-only; every Subscription, JetStream, consumer and publisher made from it must
// be destroyed before it. Thread-safe: cnats serialises calls on one connection. cnats calls
// the disconnected/reconnected/closed/error callbacks on its own thread; they only update
// atomics.
class Connection {
 public:
  explicit Connection(const ConnectOptions& options);
  ~Connection();
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  ConnectionStatus status() const;
  // True between a disconnected callback and the following reconnected callback.
  bool disconnected() const { return events_->disconnected.load(); }
  std::uint64_t reconnect_count() const { return events_->reconnects.load(); }
  std::uint64_t disconnect_count() const { return events_->disconnects.load(); }
  // Asynchronous errors the library reported (slow consumer, permission violation).
  std::uint64_t async_error_count() const { return events_->async_errors.load(); }
  std::string connected_url() const;
  // The largest message (headers and data) the connected server accepts, in bytes: its
  // max_payload (nats-server's default is 1 MiB).
  std::int64_t max_payload() const { return natsConnection_GetMaxPayload(nc_.get()); }

  // Core NATS publish: fire and forget (buffered while reconnecting).
  void publish(std::string_view subject, std::string_view data, const Headers& headers = {});
  // Waits until the server has processed everything published so far.
  void flush(std::chrono::milliseconds timeout);
  // A subscription on `subject`; with a queue group, each message goes to one member.
  Subscription subscribe(std::string_view subject, std::string_view queue_group = {});
  // Sends a request and waits for the reply. Throws Error(retry) on timeout or no responders.
  Message request(std::string_view subject, std::string_view data,
                  std::chrono::milliseconds timeout);

  // For the JetStream wrappers in this folder only.
  natsConnection* native() const { return nc_.get(); }

 private:
  void close() noexcept;

  std::unique_ptr<detail::ConnectionEvents> events_;
  std::unique_ptr<natsConnection, detail::ConnectionDeleter> nc_;
};

}  // namespace tapedeck::nats
