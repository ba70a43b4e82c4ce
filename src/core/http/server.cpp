// Server over cpp-httplib.
#include "core/http/server.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/metrics.hpp"

namespace tapedeck::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string ServerRequest::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

std::string ServerRequest::query_value(const std::string& name) const {
  const auto found = query.find(name);
  return found == query.end() ? std::string() : found->second;
}

ServerResponse ServerResponse::json(int status, std::string body) {
  return ServerResponse{status, "application/json", std::move(body), {}};
}

ServerResponse ServerResponse::text(int status, std::string body) {
  return ServerResponse{status, "text/plain; charset=utf-8", std::move(body), {}};
}

ServerResponse ServerResponse::error(int status, const std::string& message) {
  return json(status, nlohmann::json{{"error", message}}.dump());
}

std::pair<std::string, int> parse_listen(const std::string& listen, const std::string& key) {
  const auto colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos && colon > 0) {
    const char* begin = listen.data() + colon + 1;
    const char* end = listen.data() + listen.size();
    auto [last, ec] = std::from_chars(begin, end, port);
    if (ec != std::errc() || last != end) port = -1;
  }
  if (port < 0 || port > 65535) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("{} = \"{}\": expected host:port, e.g. 127.0.0.1:9101", key, listen));
  }
  return {listen.substr(0, colon), port};
}

struct Server::Impl {
  // An httplib::SSLServer when serving HTTPS.
  std::unique_ptr<httplib::Server> server;
};

namespace {

std::unique_ptr<httplib::Server> make_server(const ServerSecurity& security) {
  if (security.tls_cert.empty() != security.tls_key.empty()) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "a TLS certificate needs its private key and the other way round: give both "
                "files or neither");
  }
  if (!security.tls()) return std::make_unique<httplib::Server>();
  for (const auto& file : {security.tls_cert, security.tls_key}) {
    if (::access(file.c_str(), R_OK) != 0) {
      throw Error(ErrorSource::config, Recovery::invalid,
                  fmt::format("cannot read TLS file {}: {}", file, std::strerror(errno)));
    }
  }
  auto server =
      std::make_unique<httplib::SSLServer>(security.tls_cert.c_str(), security.tls_key.c_str());
  if (!server->is_valid()) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("{} and {} are not a PEM certificate and its private key",
                            security.tls_cert, security.tls_key));
  }
  return server;
}

}  // namespace

Server::Server(std::string listen, const ServerSecurity& security)
    : impl_(std::make_unique<Impl>()), tls_(security.tls()) {
  std::tie(host_, port_) = parse_listen(listen, "listen");
  impl_->server = make_server(security);
  auto& server = *impl_->server;
  // httplib also sets SO_REUSEPORT, which lets a second process share a taken port silently.
  server.set_socket_options([](socket_t socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  if (security.max_body_bytes > 0) {
    server.set_payload_max_length(security.max_body_bytes);
    // httplib answers an oversized body with a bare 413; say why. Every other error response
    // is the handler's own and stays as it is.
    server.set_error_handler(httplib::Server::HandlerWithResponse([limit = security.max_body_bytes](
                                                                      const httplib::Request&,
                                                                      httplib::Response& response) {
      if (response.status != 413 || !response.body.empty()) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      response.set_content(
          nlohmann::json{{"error", fmt::format("request body larger than {} bytes", limit)}}.dump(),
          "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }));
  }
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
        std::string message = "internal error";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& caught) {
          message = caught.what();
        }
        response.status = 500;
        response.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
      });
}

Server::~Server() {
  stop();
}

void Server::route(const std::string& method, const std::string& pattern, Handler handler) {
  auto adapter = [handler = std::move(handler)](const httplib::Request& request,
                                                httplib::Response& response) {
    ServerRequest in;
    in.method = request.method;
    in.path = request.path;
    for (const auto& match : request.matches) in.matches.push_back(match.str());
    in.query.insert(request.params.begin(), request.params.end());
    in.headers.insert(request.headers.begin(), request.headers.end());
    in.body = request.body;
    in.remote_address = request.remote_addr;
    ServerResponse out = handler(in);
    response.status = out.status;
    for (auto& [name, value] : out.headers) response.set_header(name, value);
    response.set_content(std::move(out.body), out.content_type);
  };
  auto& server = *impl_->server;
  const bool any = method == "*";
  if (any || method == "GET") server.Get(pattern, adapter);
  if (any || method == "POST") server.Post(pattern, adapter);
  if (any || method == "PUT") server.Put(pattern, adapter);
  if (any || method == "PATCH") server.Patch(pattern, adapter);
  if (any || method == "DELETE") server.Delete(pattern, adapter);
}

void Server::start() {
  auto& server = *impl_->server;
  const int requested = port_;
  if (port_ == 0) {
    port_ = server.bind_to_any_port(host_);
  } else if (!server.bind_to_port(host_, port_)) {
    port_ = -1;
  }
  if (port_ <= 0) {
    throw Error(ErrorSource::http, Recovery::fail,
                fmt::format("cannot listen on {}:{}: the address is in use or not local; choose "
                            "another listen address",
                            host_, requested));
  }
  thread_ = std::thread([&server] { server.listen_after_bind(); });
  // httplib's stop() is a no-op until the loop runs, so a quick stop would otherwise hang.
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void Server::stop() {
  if (thread_.joinable()) {
    impl_->server->stop();
    thread_.join();
  }
}

void serve_observability(Server& server, const Metrics& metrics, std::function<Health()> health) {
  server.route("GET", "/healthz", [health = std::move(health)](const ServerRequest&) {
    const Health state = health ? health() : Health{};
    return ServerResponse::json(state.ok ? 200 : 503,
                                nlohmann::json{{"ok", state.ok}, {"detail", state.detail}}.dump());
  });
  server.route("GET", "/metrics", [&metrics](const ServerRequest&) {
    ServerResponse response = ServerResponse::text(200, metrics.render());
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return response;
  });
}

}  // namespace tapedeck::http
