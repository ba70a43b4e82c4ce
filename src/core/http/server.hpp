// A small HTTP server for /healthz, /metrics and REST APIs; hides cpp-httplib from callers.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tapedeck {
class Metrics;
}

namespace tapedeck::http {

struct ServerRequest {
  std::string method;
  std::string path;
  std::vector<std::string> matches;  // regex captures of the route pattern, [0] = whole path
  std::multimap<std::string, std::string> query;
  std::multimap<std::string, std::string> headers;  // names as sent
  std::string body;
  std::string remote_address;

  // First value of a header, compared case-insensitively; "" when absent.
  std::string header(const std::string& name) const;
  std::string query_value(const std::string& name) const;
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static ServerResponse json(int status, std::string body);
  static ServerResponse text(int status, std::string body);
  // {"error": message} with the status.
  static ServerResponse error(int status, const std::string& message);
};

using Handler = std::function<ServerResponse(const ServerRequest&)>;

// How a server protects itself: TLS and the largest request body it reads.
struct ServerSecurity {
  // PEM files of the certificate (chain) and its private key: both to serve HTTPS, neither
  // for plain HTTP.
  std::string tls_cert;
  std::string tls_key;
  // A larger request body is refused with 413 and a JSON error, unread. 0: no limit of ours.
  std::size_t max_body_bytes = 0;

  bool tls() const { return !tls_cert.empty(); }
};

// Owns its listening thread: start() binds (throws Error(http) when it cannot) and serves in the
// background; the destructor stops and joins. Handlers run on the server's worker threads.
class Server {
 public:
  // "host:port"; port 0 picks a free one. Throws Error(config, invalid) when only one of the
  // TLS files is given or they cannot be loaded as a certificate and its key.
  explicit Server(std::string listen, const ServerSecurity& security = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // `pattern` is a regular expression over the whole path, e.g. R"(/sessions/([^/]+))".
  // Method "*" matches GET, POST, PUT, PATCH and DELETE.
  void route(const std::string& method, const std::string& pattern, Handler handler);

  void start();
  void stop();
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  bool tls() const { return tls_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string host_;
  int port_ = 0;
  bool tls_ = false;
  std::thread thread_;
};

// Health of a component: ok, and a short reason when not.
struct Health {
  bool ok = true;
  std::string detail;
};

// Adds GET /healthz (200 or 503 with the detail) and GET /metrics (Prometheus text).
void serve_observability(Server& server, const Metrics& metrics, std::function<Health()> health);

// Splits "host:port"; throws Error(config, invalid) naming `key` when malformed.
std::pair<std::string, int> parse_listen(const std::string& listen, const std::string& key);

}  // namespace tapedeck::http
