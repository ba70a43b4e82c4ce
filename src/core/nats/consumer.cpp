// Durable pull consumer: create-or-bind, fetch, state.
#include "core/nats/consumer.hpp"

#include <fmt/format.h>

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

}  // namespace

PullConsumer::PullConsumer(JetStream& js, const std::string& stream, const std::string& durable,
                           const std::string& filter_subject, const ConsumerConfig& config)
    : js_(&js), stream_(stream), durable_(durable) {
  ensure_consumer(js.native(), stream, durable, filter_subject, config);

  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = stream_.c_str();
  options.Consumer = durable_.c_str();  // bind only: never create or alter it here
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  // With Stream and Consumer set, cnats takes the subject from the consumer's filter.
  natsStatus status = js_PullSubscribe(&sub, js.native(), filter_subject.c_str(), durable_.c_str(),
                                       nullptr, &options, &code);
  if (status != NATS_OK) {
    natsSubscription_Destroy(sub);
    check(status, fmt::format("binding to consumer {} on stream {}", durable, stream),
          static_cast<int>(code));
  }
  sub_.reset(sub);
}

std::vector<Message> PullConsumer::fetch(int batch, std::chrono::milliseconds timeout) {
  natsMsgList list{};
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = natsSubscription_Fetch(&list, sub_.get(), batch, timeout.count(), &code);
  std::vector<Message> messages;
  messages.reserve(static_cast<std::size_t>(list.Count));
  for (int i = 0; i < list.Count; ++i) {
    messages.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;  // owned by the Message now
  }
  natsMsgList_Destroy(&list);
  if (!messages.empty()) return messages;
  if (status == NATS_TIMEOUT) {
    // cnats buffers the pull request while reconnecting and then reports a plain timeout:
    // tell "no messages" apart from "no server".
    if (js_->connection().status() != ConnectionStatus::connected) {
      throw make_error(NATS_CONNECTION_DISCONNECTED,
                       fmt::format("fetching from consumer {} on stream {}", durable_, stream_));
    }
    return messages;
  }
  check(status, fmt::format("fetching from consumer {} on stream {}", durable_, stream_),
        static_cast<int>(code));
  return messages;
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
