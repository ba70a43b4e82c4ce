// RTUS recorder.
#include "rtus/recorder.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "core/error.hpp"

namespace tapedeck::rtus {

namespace {

std::string iso_utc(std::chrono::system_clock::time_point time) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  const auto seconds = std::chrono::sys_seconds(std::chrono::seconds(micros / 1'000'000));
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z", seconds, micros % 1'000'000);
}

nlohmann::json pairs_to_json(const std::vector<std::pair<std::string, std::string>>& pairs) {
  auto object = nlohmann::json::object();
  for (const auto& [name, value] : pairs) object[name] = value;
  return object;
}

}  // namespace

nlohmann::json to_json(const RecordedCall& call) {
  return nlohmann::json{
      {"method", call.method},
      {"path", call.path},
      {"query", pairs_to_json(call.query)},
      {"headers", pairs_to_json(call.headers)},
      {"body", call.body},
      {"received_at", iso_utc(call.received_at)},
      {"received_at_us",
       std::chrono::duration_cast<std::chrono::microseconds>(call.received_at.time_since_epoch())
           .count()},
  };
}

Recorder::Recorder(const std::string& listen, std::optional<std::string> journal)
    : server_(listen) {
  if (journal) {
    journal_.emplace(*journal, std::ios::app);
    if (!*journal_) {
      throw Error(ErrorSource::config, Recovery::invalid,
                  fmt::format("cannot open the RTUS journal {} for appending; check the folder "
                              "exists and is writable",
                              *journal));
    }
  }
  server_.route("GET", "/calls",
                [this](const http::ServerRequest& request) { return list(request); });
  server_.route("DELETE", "/calls", [this](const http::ServerRequest&) {
    std::lock_guard lock(mutex_);
    calls_.clear();
    return http::ServerResponse::json(200, R"({"cleared":true})");
  });
  server_.route("*", ".*", [this](const http::ServerRequest& request) { return record(request); });
}

void Recorder::start() {
  server_.start();
}
void Recorder::stop() {
  server_.stop();
}

http::ServerResponse Recorder::record(const http::ServerRequest& request) {
  RecordedCall call{
      request.method, request.path, {}, {}, request.body, std::chrono::system_clock::now()};
  call.query.assign(request.query.begin(), request.query.end());
  for (const auto& [name, value] : request.headers) {
    // Transport details say nothing about the call itself.
    if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
        name == "LOCAL_PORT") {
      continue;
    }
    call.headers.emplace_back(name, value);
  }
  const std::string line =
      to_json(call).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mutex_);
  if (journal_) {
    *journal_ << line << '\n';
    journal_->flush();
  }
  calls_.push_back(std::move(call));
  return http::ServerResponse::json(200, fmt::format(R"({{"recorded":{}}})", calls_.size()));
}

http::ServerResponse Recorder::list(const http::ServerRequest& request) const {
  const std::string prefix = request.query_value("path_prefix");
  auto array = nlohmann::json::array();
  std::lock_guard lock(mutex_);
  for (const auto& call : calls_) {
    if (call.path.starts_with(prefix)) array.push_back(to_json(call));
  }
  return http::ServerResponse::json(
      200, array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::vector<RecordedCall> Recorder::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

}  // namespace tapedeck::rtus
