// The RTUS recorder: an HTTP endpoint that accepts any call and records it, standing in for the
// real-time update service in the demo and in tests.
#pragma once

#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/http/server.hpp"

namespace tapedeck::rtus {

struct RecordedCall {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::system_clock::time_point received_at;
};

nlohmann::json to_json(const RecordedCall& call);

// Serves on `listen`; every request except GET/DELETE /calls is recorded, appended as one JSON
// line to `journal` (when given, flushed per call) and kept in memory for GET /calls
// (?path_prefix= filters). DELETE /calls forgets the in-memory calls. Thread-safe.
class Recorder {
 public:
  Recorder(const std::string& listen, std::optional<std::string> journal);
  void start();
  void stop();
  int port() const { return server_.port(); }
  std::vector<RecordedCall> calls() const;

 private:
  http::ServerResponse record(const http::ServerRequest& request);
  http::ServerResponse list(const http::ServerRequest& request) const;

  mutable std::mutex mutex_;
  std::vector<RecordedCall> calls_;
  std::optional<std::ofstream> journal_;
  http::Server server_;
};

}  // namespace tapedeck::rtus
