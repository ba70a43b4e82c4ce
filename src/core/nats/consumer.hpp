// A durable JetStream pull consumer shared by any number of processes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/nats/connection.hpp"
#include "core/nats/jetstream.hpp"
#include "core/nats/message.hpp"
#include "core/nats/pull_request.hpp"

namespace tapedeck::nats {

enum class DeliverPolicy { all, last, new_only, last_per_subject };

// explicit_each: each message is acknowledged (or naked) on its own; none: the server counts a
// message done once delivered (benchmarks measure fetching without acks this way).
enum class AckPolicy { explicit_each, none };

struct ConsumerConfig {
  // Unacknowledged messages are redelivered after ack_wait.
  std::chrono::milliseconds ack_wait{std::chrono::seconds(30)};
  std::int64_t max_deliver = -1;  // -1: redeliver forever
  std::int64_t max_ack_pending = 1000;
  DeliverPolicy deliver_policy = DeliverPolicy::all;
  AckPolicy ack_policy = AckPolicy::explicit_each;
};

// Where the durable consumer stands on the server.
struct ConsumerState {
  std::uint64_t num_pending = 0;     // stored but not yet delivered
  std::int64_t num_ack_pending = 0;  // delivered, waiting for an ack
  std::int64_t num_redelivered = 0;  // delivered more than once and still unacked
  std::uint64_t delivered_stream_sequence = 0;
  std::uint64_t ack_floor_stream_sequence = 0;
};

// Pulls from durable consumer `durable` on `stream`. The constructor creates the consumer when
// it does not exist, or uses it when it does, so several processes share one durable and each
// message goes to one of them. The consumer stays on the server after destruction (it is
// durable). Holds a reference to the JetStream context, which must outlive it. Move-only.
// fetch() from one thread at a time; state() may run on another thread meanwhile (it is a
// JetStream API request, not a use of the inbox). Messages are acknowledged through the
// connection, so they may outlive the consumer (not the connection).
//
// The pull loop is ours, not cnats' natsSubscription_Fetch: cnats 3.4.1 (Debian 12) writes past
// its result array when a fetch finds more than half a batch already delivered by an earlier
// request (see README.md).
class PullConsumer {
 public:
  PullConsumer(JetStream& js, const std::string& stream, const std::string& durable,
               const std::string& filter_subject, const ConsumerConfig& config = {});

  // Up to `batch` messages, waiting at most `timeout`. An empty vector when none came in
  // time. Messages an earlier request delivered after its fetch had returned come first, and
  // without a new request. Throws Error(retry) when the connection is down, Error(not_found)
  // when the consumer was deleted, and the errors of read_pull_status (pull_request.hpp).
  std::vector<Message> fetch(int batch, std::chrono::milliseconds timeout);

  ConsumerState state();
  const std::string& stream() const { return stream_; }
  const std::string& durable() const { return durable_; }
  // Where deliveries arrive (the reply subject of every pull request).
  const std::string& inbox() const { return inbox_; }

  // Removes the durable consumer from the server (every process sharing it loses it).
  // False when it was already gone.
  static bool remove(JetStream& js, const std::string& stream, const std::string& durable);

 private:
  // Takes `message` into `batch` when it is a delivery; reads it as a status otherwise, `late`
  // when it answers a request of an earlier fetch.
  PullAnswer take(Message message, std::vector<Message>& batch, bool late) const;
  // Throws Error(not_found) naming the consumer when the server says it no longer has it.
  void confirm_consumer_exists();

  JetStream* js_;
  std::string stream_;
  std::string durable_;
  std::string request_subject_;
  std::string inbox_;
  Subscription deliveries_;
};

}  // namespace tapedeck::nats
