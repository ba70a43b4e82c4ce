// Message accessors and JetStream acknowledgements over natsMsg.
#include "core/nats/message.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "core/nats/ack_reply.hpp"
#include "core/nats/status.hpp"

namespace tapedeck::nats {

namespace {

// cnats hands back arrays of borrowed strings that the caller frees.
template <typename T>
struct FreeArray {
  void operator()(T* p) const noexcept {
    std::free(static_cast<void*>(p));  // NOLINT(cppcoreguidelines-owning-memory): cnats' malloc
  }
};

}  // namespace

natsMsg* Message::get() const {
  if (!msg_) {
    throw Error(ErrorSource::internal, Recovery::fail,
                "using a NATS message after it was moved from or released");
  }
  return msg_.get();
}

std::string_view Message::subject() const {
  const char* subject = natsMsg_GetSubject(get());
  return subject == nullptr ? std::string_view{} : std::string_view(subject);
}

std::string_view Message::reply() const {
  const char* reply = natsMsg_GetReply(get());
  return reply == nullptr ? std::string_view{} : std::string_view(reply);
}

std::string_view Message::data() const {
  const char* data = natsMsg_GetData(get());
  if (data == nullptr) return {};
  return {data, static_cast<std::size_t>(natsMsg_GetDataLength(get()))};
}

std::optional<std::string> Message::header(const std::string& key) const {
  const char* value = nullptr;
  natsStatus status = natsMsgHeader_Get(get(), key.c_str(), &value);
  if (status == NATS_NOT_FOUND) return std::nullopt;
  if (status != NATS_OK) check(status, "reading header " + key);  // the text only on failure
  return std::string(value == nullptr ? "" : value);
}

std::vector<std::string> Message::header_values(const std::string& key) const {
  const char** values = nullptr;
  int count = 0;
  natsStatus status = natsMsgHeader_Values(get(), key.c_str(), &values, &count);
  if (status == NATS_NOT_FOUND) return {};
  if (status != NATS_OK) check(status, "reading header " + key);
  std::unique_ptr<const char*, FreeArray<const char*>> owned(values);
  std::vector<std::string> result;
  result.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) result.emplace_back(values[i] == nullptr ? "" : values[i]);
  return result;
}

Headers Message::headers() const {
  return read_headers(get());
}

Headers read_headers(natsMsg* msg) noexcept {
  Headers result;
  const char** keys = nullptr;
  int key_count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &key_count) != NATS_OK) return result;
  std::unique_ptr<const char*, FreeArray<const char*>> owned_keys(keys);
  for (int k = 0; k < key_count; ++k) {
    const char** values = nullptr;
    int value_count = 0;
    if (natsMsgHeader_Values(msg, keys[k], &values, &value_count) != NATS_OK) continue;
    std::unique_ptr<const char*, FreeArray<const char*>> owned_values(values);
    for (int v = 0; v < value_count; ++v) {
      result.emplace_back(keys[k], values[v] == nullptr ? "" : values[v]);
    }
  }
  return result;
}

MessageMetadata Message::metadata() const {
  const std::string_view reply = this->reply();
  const auto parsed = parse_ack_reply(reply);
  if (!parsed) {
    throw Error(ErrorSource::nats, Recovery::invalid,
                fmt::format("reading JetStream metadata: reply subject \"{}\" is not a JetStream "
                            "ack subject (is this a JetStream message?)",
                            reply.substr(0, 200)));
  }
  MessageMetadata result;
  result.stream = parsed->stream;
  result.consumer = parsed->consumer;
  result.stream_sequence = parsed->stream_sequence;
  result.consumer_sequence = parsed->consumer_sequence;
  result.num_delivered = parsed->num_delivered;
  result.num_pending = parsed->num_pending;
  result.timestamp = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(parsed->timestamp_ns)));
  return result;
}

const char* Message::ack_subject(std::string_view what) const {
  const char* reply = natsMsg_GetReply(get());
  if (ack_connection_ == nullptr || reply == nullptr || *reply == '\0') {
    throw Error(ErrorSource::nats, Recovery::invalid,
                fmt::format("{}: the message did not come from a JetStream pull consumer", what));
  }
  return reply;
}

// The bodies are JetStream's acknowledgement protocol, as cnats 3.4 sends them.
void Message::send_ack(std::string_view body, std::string_view what) {
  const char* subject = ack_subject(what);
  check(
      natsConnection_Publish(ack_connection_, subject, body.data(), static_cast<int>(body.size())),
      what);
}

void Message::ack() {
  send_ack("+ACK", "acknowledging a JetStream message");
}

void Message::ack_sync(std::chrono::milliseconds timeout) {
  static constexpr std::string_view kWhat =
      "acknowledging a JetStream message and waiting for the server";
  const char* subject = ack_subject(kWhat);
  natsMsg* raw = nullptr;
  natsStatus status =
      natsConnection_RequestString(&raw, ack_connection_, subject, "+ACK", timeout.count());
  detail::MsgPtr confirmation(raw);
  check(status, kWhat);
}

void Message::nak() {
  send_ack("-NAK", "negatively acknowledging a message");
}

void Message::nak(std::chrono::milliseconds delay) {
  send_ack(fmt::format("-NAK {{\"delay\":{}}}",
                       std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count()),
           "negatively acknowledging a message with a redelivery delay");
}

void Message::term() {
  send_ack("+TERM", "terminating a message");
}

void Message::in_progress() {
  send_ack("+WPI", "marking a message in progress");
}

detail::MsgPtr make_message(std::string_view subject, std::string_view data, const Headers& headers,
                            std::string_view msg_id) {
  natsMsg* raw = nullptr;
  std::string subject_z(subject);
  check(
      natsMsg_Create(&raw, subject_z.c_str(), nullptr, data.data(), static_cast<int>(data.size())),
      "creating a message for " + subject_z);
  detail::MsgPtr msg(raw);
  for (const auto& [key, value] : headers) {
    check(natsMsgHeader_Add(msg.get(), key.c_str(), value.c_str()), "adding header " + key);
  }
  if (!msg_id.empty()) {
    std::string id(msg_id);
    check(natsMsgHeader_Set(msg.get(), std::string(kMsgIdHeader).c_str(), id.c_str()),
          "setting the message id header");
  }
  return msg;
}

}  // namespace tapedeck::nats
