// JetStream streams and publishing: stream management, synchronous and windowed async publish.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/message.hpp"
#include "core/nats/stream_config.hpp"

namespace tapedeck::nats {

struct StreamInfo {
  std::string name;
  std::vector<std::string> subjects;
  StreamConfig config;  // the settings tapedeck configures, as the server holds them (no keys)
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t first_sequence = 0;
  std::uint64_t last_sequence = 0;
  std::int64_t consumers = 0;
};

struct PubAck {
  std::string stream;
  std::uint64_t sequence = 0;
  bool duplicate = false;  // the stream already held this Nats-Msg-Id: nothing was stored
};

namespace detail {
struct JsDeleter {
  void operator()(jsCtx* js) const noexcept { jsCtx_Destroy(js); }
};
using JsPtr = std::unique_ptr<jsCtx, JsDeleter>;
}  // namespace detail

// A JetStream context over a Connection. Holds a reference to the connection, which must
// outlive it. Move-only; thread-safe like the connection. Every call waits at most
// `api_timeout` for the server and throws tapedeck::Error.
class JetStream {
 public:
  explicit JetStream(Connection& connection,
                     std::chrono::milliseconds api_timeout = std::chrono::seconds(5));

  // The one way tapedeck sets up a stream it uses. A missing stream is created with `config`
  // (create_missing) or is Error(not_found) (require_existing: nats.create_streams is off). An
  // existing stream is never replaced: with create_missing a difference in a setting tapedeck
  // owns (tapedeck_owns: the duplicate window) is updated in place, keeping every other
  // setting of the stream; any other difference (and with require_existing, every difference)
  // throws stream_conflict's Error(config, conflict) and leaves the stream untouched.
  enum class Setup { create_missing, require_existing };
  StreamInfo ensure_stream(const StreamConfig& config, Setup setup = Setup::create_missing);
  // Throws Error(not_found) when there is no such stream.
  StreamInfo stream_info(const std::string& name);
  // False when there was no such stream.
  bool delete_stream(const std::string& name);
  void purge_stream(const std::string& name);

  // Publishes and waits for the stream's acknowledgement. With a msg_id, a repeat within the
  // duplicate window is not stored again and the PubAck says duplicate.
  PubAck publish(std::string_view subject, std::string_view data, const Headers& headers = {},
                 std::string_view msg_id = {});

  Connection& connection() const { return *connection_; }
  std::chrono::milliseconds api_timeout() const { return api_timeout_; }
  jsCtx* native() const { return js_.get(); }

 private:
  Connection* connection_;
  std::chrono::milliseconds api_timeout_;
  detail::JsPtr js_;
};

// A publish the server did not confirm: what was sent, so the caller can re-send (the
// msg id makes a re-send of something that did arrive a harmless duplicate) or stop.
struct PublishFailure {
  std::string subject;
  std::string msg_id;
  std::string data;
  Headers headers;  // as sent, including Nats-Msg-Id
  Recovery recovery = Recovery::retry;
  std::string code;    // natsStatus name
  std::string reason;  // the server's or library's text
};

struct AsyncPublisherOptions {
  // Most publishes awaiting an ack; publish() blocks up to stall_wait when it is full.
  std::int64_t max_pending = 4096;
  std::chrono::milliseconds stall_wait{5000};
};

namespace detail {
// What the ack-error callback hands to the publisher's thread. Heap-allocated so its address
// is stable as the callback closure.
struct AsyncFailures {
  std::mutex mutex;
  std::vector<PublishFailure> failures;
};
}  // namespace detail

// Publishes without waiting for each ack, at most max_pending in flight, on its own JetStream
// context (the ack callback is per context). Not copyable or movable. Used by one thread;
// cnats calls the ack-error callback on its own thread, which only appends to a list.
// Destroy before the Connection; the destructor drops publishes not yet acknowledged.
class AsyncPublisher {
 public:
  AsyncPublisher(Connection& connection, AsyncPublisherOptions options = {});
  ~AsyncPublisher();
  AsyncPublisher(const AsyncPublisher&) = delete;
  AsyncPublisher& operator=(const AsyncPublisher&) = delete;

  // Queues one publish. Throws Error(retry) when the window stayed full for stall_wait or the
  // connection is closed; the message was not sent then.
  void publish(std::string_view subject, std::string_view data, const Headers& headers = {},
               std::string_view msg_id = {});

  // Waits up to `timeout` for every outstanding ack. Returns every publish that failed since
  // the last call: refused by the server, or still unacknowledged at the timeout (those are
  // taken back from the library, so a late ack for them is ignored). Empty: all stored.
  std::vector<PublishFailure> wait_all(std::chrono::milliseconds timeout);

  // Waits up to `timeout` for every outstanding ack and says whether they all came; unlike
  // wait_all, nothing is taken back, so a caller can wait in slices and do other work between.
  bool settle(std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<detail::AsyncFailures> failures_;
  detail::JsPtr js_;
};

}  // namespace tapedeck::nats
