// Durable pull consumer: create or use, our own pull loop, state.
#include "core/nats/consumer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "core/error.hpp"
#include "core/nats/status.hpp"

namespace tapedeck::nats {

namespace {

struct ConsumerInfoDeleter {
  void operator()(jsConsumerInfo* ci) const noexcept { jsConsumerInfo_Destroy(ci); }
};
using ConsumerInfoPtr = std::unique_ptr<jsConsumerInfo, ConsumerInfoDeleter>;

jsDeliverPolicy native_policy(DeliverPolicy policy) {
  switch (policy) {
    case DeliverPolicy::all:
      return js_DeliverAll;
    case DeliverPolicy::last:
      return js_DeliverLast;
    case DeliverPolicy::new_only:
      return js_DeliverNew;
    case DeliverPolicy::last_per_subject:
      return js_DeliverLastPerSubject;
  }
  return js_DeliverAll;
}

// Creates the durable consumer unless it exists. Concurrent creators with the same config
// all succeed (the server answers an identical create with the existing consumer); a losing
// racer with another config gets "consumer name already in use" and binds to the winner's.
void ensure_consumer(jsCtx* js, const std::string& stream, const std::string& durable,
                     const std::string& filter_subject, const ConsumerConfig& config) {
  jsConsumerInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_GetConsumerInfo(&raw, js, stream.c_str(), durable.c_str(), nullptr, &code);
  ConsumerInfoPtr info(raw);
  if (status == NATS_OK) return;
  if (status != NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
    check(status, fmt::format("looking up consumer {} on stream {}", durable, stream),
          static_cast<int>(code));
  }

  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = durable.c_str();
  cc.AckPolicy = config.ack_policy == AckPolicy::none ? js_AckNone : js_AckExplicit;
  cc.DeliverPolicy = native_policy(config.deliver_policy);
  cc.AckWait = std::chrono::duration_cast<std::chrono::nanoseconds>(config.ack_wait).count();
  cc.MaxDeliver = config.max_deliver;
  cc.MaxAckPending = config.max_ack_pending;
  if (!filter_subject.empty()) cc.FilterSubject = filter_subject.c_str();
  raw = nullptr;
  status = js_AddConsumer(&raw, js, stream.c_str(), &cc, nullptr, &code);
  info.reset(raw);
  if (status == NATS_OK || code == JSConsumerNameExistErr) return;
  check(status, fmt::format("creating consumer {} on stream {}", durable, stream),
        static_cast<int>(code));
}

std::string new_inbox() {
  natsInbox* inbox = nullptr;
  check(natsInbox_Create(&inbox), "creating an inbox for pull requests");
  std::string name(inbox);
  natsInbox_Destroy(inbox);
  return name;
}

}  // namespace

PullConsumer::PullConsumer(JetStream& js, const std::string& stream, const std::string& durable,
                           const std::string& filter_subject, const ConsumerConfig& config)
    : js_(&js),
      stream_(stream),
      durable_(durable),
      request_subject_(pull_request_subject(stream, durable)),
      inbox_(new_inbox()),
      deliveries_(js.connection().subscribe(inbox_)) {
  ensure_consumer(js.native(), stream, durable, filter_subject, config);
}

PullAnswer PullConsumer::take(Message message, std::vector<Message>& batch, bool late) const {
  if (message.data().empty()) {
    // A status (no payload, a "Status" header) ends or punctuates a request; a delivery whose
    // payload is empty has no such header.
    if (auto status = message.header("Status")) {
      try {
        return read_pull_status(*status, message.header("Description").value_or(""), stream_,
                                durable_);
      } catch (const Error& error) {
        // A transient refusal of an earlier request, or of this one after deliveries, must not
        // drop what was taken: it would come back only after ack_wait.
        if (error.recovery() == Recovery::retry && (late || !batch.empty())) {
          return PullAnswer::request_ended;
        }
        throw;
      }
    }
  }
  batch.emplace_back(message.release(), js_->connection().native());
  return PullAnswer::keep_reading;
}

std::vector<Message> PullConsumer::fetch(int batch, std::chrono::milliseconds timeout) {
  using std::chrono::steady_clock;
  if (batch <= 0) {
    throw Error(
        ErrorSource::nats, Recovery::invalid,
        fmt::format("fetching from consumer {}: batch must be positive, not {}", durable_, batch));
  }
  const auto wanted = static_cast<std::size_t>(batch);
  std::vector<Message> messages;
  messages.reserve(std::min<std::size_t>(wanted, 4096));

  // Deliveries that arrived after an earlier fetch returned are this consumer's already (they
  // wait for an ack): hand them out before asking for more.
  while (messages.size() < wanted) {
    std::optional<Message> queued = deliveries_.next(std::chrono::milliseconds(0));
    if (!queued) break;
    take(std::move(*queued), messages, true);  // a late status only ended an earlier request
  }
  if (!messages.empty()) return messages;

  const auto deadline = steady_clock::now() + timeout;
  // First ask for what is there and an answer as soon as something is (no_wait with an
  // expiry); when the server says others' requests already cover what is there, wait for
  // new messages instead.
  bool no_wait = true;
  bool request_open = false;
  bool answered = false;  // anything came for the open request
  while (messages.size() < wanted) {
    const auto remaining = deadline - steady_clock::now();
    if (remaining <= steady_clock::duration::zero()) break;
    if (!request_open) {
      const auto expiry = pull_request_expiry(remaining);
      if (expiry.count() == 0 && !no_wait) break;
      Connection& connection = js_->connection();
      const std::string body =
          pull_request_body(static_cast<int>(wanted - messages.size()), expiry, no_wait);
      check(
          natsConnection_PublishRequest(connection.native(), request_subject_.c_str(),
                                        inbox_.c_str(), body.data(), static_cast<int>(body.size())),
          fmt::format("sending a pull request to consumer {} on stream {}", durable_, stream_));
      request_open = true;
      answered = false;
    }
    std::optional<Message> next = deliveries_.next(
        std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now()));
    if (!next) break;
    answered = true;
    if (take(std::move(*next), messages, false) == PullAnswer::request_ended) {
      if (!messages.empty() || !no_wait) break;
      no_wait = false;
      request_open = false;
    }
  }
  if (!messages.empty()) return messages;
  if (js_->connection().status() != ConnectionStatus::connected) {
    // A request made while reconnecting is buffered and goes unanswered: tell "no messages"
    // apart from "no server".
    throw make_error(NATS_CONNECTION_DISCONNECTED,
                     fmt::format("fetching from consumer {} on stream {}", durable_, stream_));
  }
  // The server answers every request it keeps (at the latest when it expires), but ignores
  // requests for a consumer that no longer exists: tell "no messages" apart from "no consumer".
  if (request_open && !answered) confirm_consumer_exists();
  return messages;
}

void PullConsumer::confirm_consumer_exists() {
  try {
    state();
  } catch (const Error& error) {
    // Only a definite "no such consumer" says more than the empty fetch already does (a
    // cluster electing a leader may answer neither the request nor this lookup).
    if (error.recovery() != Recovery::not_found) return;
    throw Error(ErrorSource::nats, Recovery::not_found,
                fmt::format("fetching from consumer {} on stream {}: the consumer no longer exists "
                            "(was it deleted?); restart the service to create it again",
                            durable_, stream_),
                error.code());
  }
}

ConsumerState PullConsumer::state() {
  jsConsumerInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status =
      js_GetConsumerInfo(&raw, js_->native(), stream_.c_str(), durable_.c_str(), nullptr, &code);
  ConsumerInfoPtr info(raw);
  check(status, fmt::format("reading consumer {} on stream {}", durable_, stream_),
        static_cast<int>(code));
  ConsumerState state;
  state.num_pending = info->NumPending;
  state.num_ack_pending = info->NumAckPending;
  state.num_redelivered = info->NumRedelivered;
  state.delivered_stream_sequence = info->Delivered.Stream;
  state.ack_floor_stream_sequence = info->AckFloor.Stream;
  return state;
}

bool PullConsumer::remove(JetStream& js, const std::string& stream, const std::string& durable) {
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status =
      js_DeleteConsumer(js.native(), stream.c_str(), durable.c_str(), nullptr, &code);
  if (status == NATS_NOT_FOUND) return false;
  check(status, fmt::format("deleting consumer {} on stream {}", durable, stream),
        static_cast<int>(code));
  return true;
}

}  // namespace tapedeck::nats
