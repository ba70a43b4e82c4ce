// JetStream stream management and publishing over cnats.
#include "core/nats/jetstream.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/log.hpp"
#include "core/nats/status.hpp"

namespace tapedeck::nats {

namespace {

struct StreamInfoDeleter {
  void operator()(jsStreamInfo* si) const noexcept { jsStreamInfo_Destroy(si); }
};
using StreamInfoPtr = std::unique_ptr<jsStreamInfo, StreamInfoDeleter>;

struct PubAckDeleter {
  void operator()(jsPubAck* pa) const noexcept { jsPubAck_Destroy(pa); }
};

std::int64_t to_nanos(std::chrono::milliseconds duration) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
}

// What tapedeck configures of a stream, as the server holds it.
StreamConfig read_config(const jsStreamConfig& native) {
  StreamConfig config;
  config.name = native.Name == nullptr ? "" : native.Name;
  for (int i = 0; i < native.SubjectsLen; ++i) config.subjects.emplace_back(native.Subjects[i]);
  config.storage = native.Storage == js_FileStorage ? StorageType::file : StorageType::memory;
  config.duplicate_window = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::nanoseconds(native.Duplicates));
  config.max_age = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::nanoseconds(native.MaxAge));
  config.max_bytes = native.MaxBytes;
  config.replicas = static_cast<int>(native.Replicas);
  return config;
}

StreamInfo convert(const jsStreamInfo& si) {
  StreamInfo info;
  if (si.Config != nullptr) {
    info.config = read_config(*si.Config);
    info.name = info.config.name;
    info.subjects = info.config.subjects;
  }
  info.messages = si.State.Msgs;
  info.bytes = si.State.Bytes;
  info.first_sequence = si.State.FirstSeq;
  info.last_sequence = si.State.LastSeq;
  info.consumers = si.State.Consumers;
  return info;
}

// The config as cnats wants it; borrows the strings of `config` and `subjects`.
jsStreamConfig native_config(const StreamConfig& config, std::vector<const char*>& subjects) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  subjects.clear();
  for (const auto& subject : config.subjects) subjects.push_back(subject.c_str());
  cfg.Name = config.name.c_str();
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Storage = config.storage == StorageType::file ? js_FileStorage : js_MemoryStorage;
  cfg.Duplicates = to_nanos(config.duplicate_window);
  cfg.MaxAge = to_nanos(config.max_age);
  cfg.MaxBytes = config.max_bytes;
  cfg.Replicas = config.replicas;
  return cfg;
}

PublishFailure describe_failure(natsMsg* msg, natsStatus status, int js_code, std::string reason) {
  PublishFailure failure;
  const char* subject = natsMsg_GetSubject(msg);
  failure.subject = subject == nullptr ? "" : subject;
  const char* data = natsMsg_GetData(msg);
  if (data != nullptr) {
    failure.data.assign(data, static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  }
  failure.headers = read_headers(msg);
  for (const auto& [key, value] : failure.headers) {
    if (key == kMsgIdHeader) failure.msg_id = value;
  }
  failure.recovery = classify(status, js_code);
  failure.code = std::string(status_name(status));
  failure.reason = std::move(reason);
  if (js_code == JSStreamMessageExceedsMaximumErr) {
    // An operator's limit tapedeck never sets: say which, and how to lift it.
    failure.reason += fmt::format(
        ": this message of {} bytes is over the stream's max_msg_size, an operator's setting; "
        "raise or remove it (`nats stream edit <stream> --max-msg-size=-1`) and it is sent again",
        failure.data.size());
  }
  return failure;
}

// cnats' async publish error callback, on the library's thread: copy and hand on.
void on_ack_error(jsCtx*, jsPubAckErr* pae, void* closure) {
  auto* sink = static_cast<detail::AsyncFailures*>(closure);
  try {
    PublishFailure failure =
        describe_failure(pae->Msg, pae->Err, static_cast<int>(pae->ErrCode),
                         pae->ErrText == nullptr ? natsStatus_GetText(pae->Err) : pae->ErrText);
    std::lock_guard lock(sink->mutex);
    sink->failures.push_back(std::move(failure));
  } catch (...) {
    // Out of memory in a C callback: nothing can be reported; the publish stays unconfirmed
    // for the caller only if it re-checks the stream.
  }
}

}  // namespace

JetStream::JetStream(Connection& connection, std::chrono::milliseconds api_timeout)
    : connection_(&connection), api_timeout_(api_timeout) {
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = api_timeout.count();
  jsCtx* js = nullptr;
  check(natsConnection_JetStream(&js, connection.native(), &options),
        "creating a JetStream context");
  js_.reset(js);
}

StreamInfo JetStream::stream_info(const std::string& name) {
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_GetStreamInfo(&raw, js_.get(), name.c_str(), nullptr, &code);
  StreamInfoPtr si(raw);
  check(status, "reading the info of stream " + name, static_cast<int>(code));
  return convert(*si);
}

StreamInfo JetStream::ensure_stream(const StreamConfig& config, Setup setup) {
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_GetStreamInfo(&raw, js_.get(), config.name.c_str(), nullptr, &code);
  StreamInfoPtr si(raw);
  if (status == NATS_NOT_FOUND) {
    if (setup == Setup::require_existing) {
      throw Error(ErrorSource::nats, Recovery::not_found,
                  fmt::format("stream {} does not exist and tapedeck may not create it "
                              "(nats.create_streams is false): create it, or allow tapedeck to",
                              config.name),
                  std::string(status_name(status)));
    }
    std::vector<const char*> subjects;
    jsStreamConfig cfg = native_config(config, subjects);
    raw = nullptr;
    status = js_AddStream(&raw, js_.get(), &cfg, nullptr, &code);
    si.reset(raw);
    if (status == NATS_OK) {
      log::get("nats")->info("created stream {}: {}", config.name, describe_settings(config));
      return convert(*si);
    }
    if (code != JSStreamNameExistErr) {
      check(status, "creating stream " + config.name, static_cast<int>(code));
    }
    // Another process created it first: check what it made like any existing stream.
    raw = nullptr;
    status = js_GetStreamInfo(&raw, js_.get(), config.name.c_str(), nullptr, &code);
    si.reset(raw);
  }
  check(status, "reading the info of stream " + config.name, static_cast<int>(code));

  std::vector<StreamDifference> refused;
  std::vector<StreamDifference> owned;
  for (auto& difference : stream_differences(read_config(*si->Config), config)) {
    const bool update = setup == Setup::create_missing && tapedeck_owns(difference.setting);
    (update ? owned : refused).push_back(std::move(difference));
  }
  if (!refused.empty()) throw stream_conflict(config, refused);
  if (owned.empty()) return convert(*si);

  // Only what tapedeck owns changes; everything else stays as the stream has it.
  jsStreamConfig updated_config = *si->Config;
  updated_config.Duplicates = to_nanos(config.duplicate_window);
  raw = nullptr;
  status = js_UpdateStream(&raw, js_.get(), &updated_config, nullptr, &code);
  StreamInfoPtr updated(raw);
  check(status, "updating the duplicate window of stream " + config.name, static_cast<int>(code));
  for (const auto& difference : owned) {
    log::get("nats")->info("stream {}: set {} from {} to {}", config.name,
                           to_string(difference.setting), difference.existing,
                           difference.configured);
  }
  return convert(*updated);
}

bool JetStream::delete_stream(const std::string& name) {
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_DeleteStream(js_.get(), name.c_str(), nullptr, &code);
  if (status == NATS_NOT_FOUND) return false;
  check(status, "deleting stream " + name, static_cast<int>(code));
  return true;
}

void JetStream::purge_stream(const std::string& name) {
  jsErrCode code = static_cast<jsErrCode>(0);
  check(js_PurgeStream(js_.get(), name.c_str(), nullptr, &code), "purging stream " + name,
        static_cast<int>(code));
}

PubAck JetStream::publish(std::string_view subject, std::string_view data, const Headers& headers,
                          std::string_view msg_id) {
  detail::MsgPtr msg = make_message(subject, data, headers, msg_id);
  jsPubAck* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_PublishMsg(&raw, js_.get(), msg.get(), nullptr, &code);
  std::unique_ptr<jsPubAck, PubAckDeleter> ack(raw);
  check(status, "publishing to JetStream subject " + std::string(subject), static_cast<int>(code));
  return PubAck{ack->Stream == nullptr ? "" : ack->Stream, ack->Sequence, ack->Duplicate};
}

AsyncPublisher::AsyncPublisher(Connection& connection, AsyncPublisherOptions options)
    : failures_(std::make_unique<detail::AsyncFailures>()) {
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.PublishAsync.MaxPending = options.max_pending;
  js_options.PublishAsync.StallWait = options.stall_wait.count();
  js_options.PublishAsync.ErrHandler = on_ack_error;
  js_options.PublishAsync.ErrHandlerClosure = failures_.get();
  jsCtx* js = nullptr;
  check(natsConnection_JetStream(&js, connection.native(), &js_options),
        "creating a JetStream context for asynchronous publishing");
  js_.reset(js);
}

AsyncPublisher::~AsyncPublisher() {
  // The ack callback may be running on the library's thread. cnats counts a publish as
  // pending until its callback has returned, so: give outstanding acks a moment, take back
  // whatever is left (no callback runs for those), then wait for a callback still in progress.
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = 1000;
  // Only ask for the pending list when something is pending: cnats 3.4.1 creates the table
  // it reads lazily on the first asynchronous publish and dereferences it unchecked, so the
  // call crashes for a publisher that never published (a session that failed early).
  const natsStatus completed = js_PublishAsyncComplete(js_.get(), &wait);
  natsMsgList pending{};
  if (completed != NATS_OK && js_PublishAsyncGetPendingList(&pending, js_.get()) == NATS_OK) {
    log::get("nats")->warn("dropping {} asynchronous publishes not acknowledged by the server",
                           pending.Count);
    natsMsgList_Destroy(&pending);
  }
  (void)js_PublishAsyncComplete(js_.get(), &wait);
  js_.reset();
}

void AsyncPublisher::publish(std::string_view subject, std::string_view data,
                             const Headers& headers, std::string_view msg_id) {
  natsMsg* msg = make_message(subject, data, headers, msg_id).release();
  natsStatus status = js_PublishMsgAsync(js_.get(), &msg, nullptr);
  natsMsg_Destroy(msg);  // null when the library took it
  check(status, "publishing asynchronously to JetStream subject " + std::string(subject));
}

bool AsyncPublisher::settle(std::chrono::milliseconds timeout) {
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = std::max<std::int64_t>(1, timeout.count());  // 0 would wait forever
  const natsStatus status = js_PublishAsyncComplete(js_.get(), &wait);
  if (status == NATS_TIMEOUT) return false;
  check(status, "waiting for asynchronous publish acknowledgements");
  return true;
}

std::vector<PublishFailure> AsyncPublisher::wait_all(std::chrono::milliseconds timeout) {
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  // cnats reads 0 as "wait forever".
  wait.MaxWait = std::max<std::int64_t>(1, timeout.count());
  natsStatus status = js_PublishAsyncComplete(js_.get(), &wait);
  std::vector<PublishFailure> timed_out;
  if (status == NATS_TIMEOUT) {
    natsMsgList pending{};
    if (js_PublishAsyncGetPendingList(&pending, js_.get()) == NATS_OK) {
      const std::string reason =
          fmt::format("no acknowledgement from the server within {} ms", timeout.count());
      for (int i = 0; i < pending.Count; ++i) {
        timed_out.push_back(describe_failure(pending.Msgs[i], NATS_TIMEOUT, 0, reason));
      }
      natsMsgList_Destroy(&pending);
    }
  } else {
    check(status, "waiting for asynchronous publish acknowledgements");
  }
  std::vector<PublishFailure> result;
  {
    std::lock_guard lock(failures_->mutex);
    result.swap(failures_->failures);
  }
  result.insert(result.end(), std::make_move_iterator(timed_out.begin()),
                std::make_move_iterator(timed_out.end()));
  return result;
}

}  // namespace tapedeck::nats
