// Connection setup, connection-event callbacks, core publish/subscribe/request.
#include "core/nats/connection.hpp"

#include <array>
#include <cctype>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/nats/status.hpp"

namespace tapedeck::nats {

namespace {

struct OptionsDeleter {
  void operator()(natsOptions* options) const noexcept { natsOptions_Destroy(options); }
};

// cnats callbacks: run on the library's callback thread, only touch atomics.
void on_disconnected(natsConnection*, void* closure) {
  auto* events = static_cast<detail::ConnectionEvents*>(closure);
  events->disconnected.store(true);
  events->disconnects.fetch_add(1);
}

void on_reconnected(natsConnection*, void* closure) {
  auto* events = static_cast<detail::ConnectionEvents*>(closure);
  events->disconnected.store(false);
  events->reconnects.fetch_add(1);
}

// The first connect of a connection that started without a server (retry_on_failed_connect).
void on_connected(natsConnection*, void* closure) {
  static_cast<detail::ConnectionEvents*>(closure)->disconnected.store(false);
}

void on_closed(natsConnection*, void* closure) {
  auto* events = static_cast<detail::ConnectionEvents*>(closure);
  events->closed.store(true);
  events->closed.notify_all();
}

void on_async_error(natsConnection*, natsSubscription*, natsStatus, void* closure) {
  static_cast<detail::ConnectionEvents*>(closure)->async_errors.fetch_add(1);
}

}  // namespace

std::string_view to_string(ConnectionStatus status) {
  switch (status) {
    case ConnectionStatus::disconnected:
      return "disconnected";
    case ConnectionStatus::connecting:
      return "connecting";
    case ConnectionStatus::connected:
      return "connected";
    case ConnectionStatus::closed:
      return "closed";
    case ConnectionStatus::reconnecting:
      return "reconnecting";
    case ConnectionStatus::draining_subscriptions:
      return "draining_subscriptions";
    case ConnectionStatus::draining_publishers:
      return "draining_publishers";
  }
  return "unknown";
}

std::vector<std::string> server_urls(std::string_view url) {
  std::vector<std::string> urls;
  std::size_t from = 0;
  while (from <= url.size()) {
    auto comma = url.find(',', from);
    if (comma == std::string_view::npos) comma = url.size();
    std::string_view part = url.substr(from, comma - from);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front()))) {
      part.remove_prefix(1);
    }
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back()))) {
      part.remove_suffix(1);
    }
    if (!part.empty()) urls.emplace_back(part);
    from = comma + 1;
  }
  return urls;
}

Connection::Connection(const ConnectOptions& options)
    : events_(std::make_unique<detail::ConnectionEvents>()) {
  natsOptions* raw = nullptr;
  check(natsOptions_Create(&raw), "creating NATS connection options");
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw);
  const std::string what = "configuring the NATS connection to " + options.url;
  // A cluster's servers come as one comma-separated nats.url; libnats takes a list only
  // through SetServers (SetURL reads "a,b" as one unusable address).
  const auto urls = server_urls(options.url);
  std::vector<const char*> servers;
  for (const auto& url : urls) servers.push_back(url.c_str());
  if (servers.empty()) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "nats.url names no server; set it to nats://host:port (several: comma-separated)");
  }
  check(natsOptions_SetServers(raw, servers.data(), static_cast<int>(servers.size())), what);
  check(natsOptions_SetName(raw, options.name.c_str()), what);
  check(natsOptions_SetTimeout(raw, options.connect_timeout.count()), what);
  check(natsOptions_SetAllowReconnect(raw, true), what);
  check(natsOptions_SetMaxReconnect(raw, -1), what);  // forever
  check(natsOptions_SetReconnectWait(raw, options.reconnect_wait.count()), what);
  check(natsOptions_SetReconnectJitter(raw, options.reconnect_jitter.count(),
                                       options.reconnect_jitter.count()),
        what);
  check(natsOptions_SetReconnectBufSize(raw, options.reconnect_buffer_bytes), what);
  check(natsOptions_SetPingInterval(raw, options.ping_interval.count()), what);
  check(natsOptions_SetMaxPingsOut(raw, options.max_pings_out), what);
  check(natsOptions_SetDisconnectedCB(raw, on_disconnected, events_.get()), what);
  check(natsOptions_SetReconnectedCB(raw, on_reconnected, events_.get()), what);
  check(natsOptions_SetClosedCB(raw, on_closed, events_.get()), what);
  check(natsOptions_SetErrorHandler(raw, on_async_error, events_.get()), what);
  if (options.retry_on_failed_connect) {
    // A connected callback is what makes the connect asynchronous: the connection object is
    // returned at once (status NATS_NOT_YET_CONNECTED) and keeps trying in the background.
    // With a null callback cnats blocks until it connects (forever, with MaxReconnect -1).
    check(natsOptions_SetRetryOnFailedConnect(raw, true, on_connected, events_.get()), what);
  }

  natsConnection* nc = nullptr;
  natsStatus status = natsConnection_Connect(&nc, raw);
  if (status == NATS_NOT_YET_CONNECTED && options.retry_on_failed_connect) {
    events_->disconnected.store(true);  // until on_connected
    status = NATS_OK;
  }
  if (status != NATS_OK) {
    natsConnection_Destroy(nc);
    Error cause = make_error(status, "connecting to NATS at " + options.url);
    throw Error(ErrorSource::nats, cause.recovery(),
                cause.message() + "; check that nats-server runs there and is reachable",
                cause.code());
  }
  nc_.reset(nc);
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    nc_ = std::move(other.nc_);
    events_ = std::move(other.events_);
  }
  return *this;
}

Connection::~Connection() {
  close();
}

void Connection::close() noexcept {
  if (!nc_) return;
  // cnats posts the disconnected and closed callbacks to its callback thread, in order, and
  // may run them after natsConnection_Destroy returns. Wait for the closed callback so none
  // runs against a freed ConnectionEvents.
  natsConnection_Close(nc_.get());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!events_->closed.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!events_->closed.load()) {
    log::get("nats")->error(
        "the NATS closed callback did not run within 10 s; keeping its state alive");
    (void)events_.release();  // leaked on purpose: a late callback must not touch freed memory
  }
  nc_.reset();
}

ConnectionStatus Connection::status() const {
  switch (natsConnection_Status(nc_.get())) {
    case NATS_CONN_STATUS_DISCONNECTED:
      return ConnectionStatus::disconnected;
    case NATS_CONN_STATUS_CONNECTING:
      return ConnectionStatus::connecting;
    case NATS_CONN_STATUS_CONNECTED:
      return ConnectionStatus::connected;
    case NATS_CONN_STATUS_CLOSED:
      return ConnectionStatus::closed;
    case NATS_CONN_STATUS_RECONNECTING:
      return ConnectionStatus::reconnecting;
    case NATS_CONN_STATUS_DRAINING_SUBS:
      return ConnectionStatus::draining_subscriptions;
    case NATS_CONN_STATUS_DRAINING_PUBS:
      return ConnectionStatus::draining_publishers;
  }
  return ConnectionStatus::disconnected;
}

std::string Connection::connected_url() const {
  std::array<char, 512> buffer{};
  if (natsConnection_GetConnectedUrl(nc_.get(), buffer.data(), buffer.size()) != NATS_OK) {
    return {};
  }
  return std::string(buffer.data());
}

void Connection::publish(std::string_view subject, std::string_view data, const Headers& headers) {
  const std::string what = "publishing to " + std::string(subject);
  if (headers.empty()) {
    std::string subject_z(subject);
    check(natsConnection_Publish(nc_.get(), subject_z.c_str(), data.data(),
                                 static_cast<int>(data.size())),
          what);
    return;
  }
  detail::MsgPtr msg = make_message(subject, data, headers);
  check(natsConnection_PublishMsg(nc_.get(), msg.get()), what);
}

void Connection::flush(std::chrono::milliseconds timeout) {
  check(natsConnection_FlushTimeout(nc_.get(), timeout.count()), "flushing the NATS connection");
}

Subscription Connection::subscribe(std::string_view subject, std::string_view queue_group) {
  std::string subject_z(subject);
  natsSubscription* sub = nullptr;
  natsStatus status;
  if (queue_group.empty()) {
    status = natsConnection_SubscribeSync(&sub, nc_.get(), subject_z.c_str());
  } else {
    std::string queue_z(queue_group);
    status = natsConnection_QueueSubscribeSync(&sub, nc_.get(), subject_z.c_str(), queue_z.c_str());
  }
  if (status != NATS_OK) {
    natsSubscription_Destroy(sub);
    throw make_error(status, "subscribing to " + subject_z);
  }
  return Subscription(sub);
}

Message Connection::request(std::string_view subject, std::string_view data,
                            std::chrono::milliseconds timeout) {
  std::string subject_z(subject);
  natsMsg* reply = nullptr;
  natsStatus status = natsConnection_Request(&reply, nc_.get(), subject_z.c_str(), data.data(),
                                             static_cast<int>(data.size()), timeout.count());
  Message message(reply);
  check(status, "requesting " + subject_z);
  return message;
}

std::optional<Message> Subscription::next(std::chrono::milliseconds timeout) {
  if (!sub_) {
    throw Error(ErrorSource::internal, Recovery::fail, "reading from a closed NATS subscription");
  }
  natsMsg* msg = nullptr;
  natsStatus status = natsSubscription_NextMsg(&msg, sub_.get(), timeout.count());
  if (status == NATS_TIMEOUT) return std::nullopt;
  Message message(msg);
  check(status, "waiting for the next message");
  return message;
}

void Subscription::unsubscribe() {
  if (!sub_) return;
  natsStatus status = natsSubscription_Unsubscribe(sub_.get());
  sub_.reset();
  // Unsubscribing a connection that is already closed leaves nothing to undo.
  if (status != NATS_CONNECTION_CLOSED && status != NATS_INVALID_SUBSCRIPTION) {
    check(status, "unsubscribing");
  }
}

}  // namespace tapedeck::nats
