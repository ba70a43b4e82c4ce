// /healthz, /metrics and a service's own routes, with the one start-up line.
#include "core/service/observability_server.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace tapedeck::service {

ObservabilityServer::ObservabilityServer(spdlog::logger& log, ServerOptions options,
                                         const Metrics& metrics,
                                         std::function<http::Health()> health)
    : server_(std::move(options.listen), options.security) {
  http::serve_observability(server_, metrics, std::move(health));
  if (options.add_routes) options.add_routes(server_);
  server_.start();
  log.info("{}{}serving /healthz and /metrics on {}://{}:{}{}", options.who,
           options.who.empty() ? "" : " ", server_.tls() ? "https" : "http", server_.host(),
           server_.port(), options.about);
}

}  // namespace tapedeck::service
