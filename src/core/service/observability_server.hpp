// The HTTP server every long-running service runs: /healthz, /metrics and any routes of its own.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "core/http/server.hpp"
#include "core/metrics.hpp"

namespace spdlog {
class logger;
}

namespace tapedeck::service {

struct ServerOptions {
  ServerOptions(std::string listen_on, std::string who_serves = {})
      : listen(std::move(listen_on)), who(std::move(who_serves)) {}

  std::string listen;  // "host:port"; port 0 picks a free one
  // The start-up line: "<who> serving /healthz and /metrics on host:port<about>"; `who` names
  // the service (a worker name where several copies run), `about` adds what is worth knowing.
  std::string who;
  std::string about;
  // Routes besides /healthz and /metrics (replaymgr's REST API), added before the server starts.
  std::function<void(http::Server&)> add_routes;
  // TLS and the request body limit (replaymgr's API); none by default.
  http::ServerSecurity security;
};

// Binds, starts serving and logs the one start-up line in its constructor (throws Error(http)
// when the address cannot be bound); stops and joins in its destructor. `metrics` and `health`
// are used from the server's threads and must outlive it.
class ObservabilityServer {
 public:
  ObservabilityServer(spdlog::logger& log, ServerOptions options, const Metrics& metrics,
                      std::function<http::Health()> health);
  ~ObservabilityServer() = default;
  ObservabilityServer(const ObservabilityServer&) = delete;
  ObservabilityServer& operator=(const ObservabilityServer&) = delete;

  int port() const { return server_.port(); }
  const std::string& host() const { return server_.host(); }

 private:
  http::Server server_;
};

}  // namespace tapedeck::service
