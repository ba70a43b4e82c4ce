// An HTTP client over libcurl: one request at a time, streaming bodies both ways.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapedeck::http {

// Owns libcurl's process-wide state (curl_global_init / curl_global_cleanup). Create exactly one
// in main before any Client and destroy it last; it is not thread-safe to create or destroy while
// other threads use libcurl.
class CurlGlobal {
 public:
  CurlGlobal();  // throws Error(http, fail) when libcurl cannot initialise
  ~CurlGlobal();
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
};

// Header fields in the order they were added; names compare case-insensitively.
class Headers {
 public:
  Headers() = default;
  Headers(std::initializer_list<std::pair<std::string, std::string>> fields);

  // Appends a field (a repeated name is kept as a second field).
  void add(std::string name, std::string value);
  // Replaces every field of that name with one.
  void set(std::string name, std::string value);
  void remove(std::string_view name);
  // The first value of `name`, or nothing.
  std::optional<std::string> get(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Fills up to `capacity` bytes of `buffer` with the next part of a request body and returns how
// many it wrote; 0 means the body is complete. Throwing aborts the request and the exception
// comes out of Client::send.
using BodyReader = std::function<std::size_t(char* buffer, std::size_t capacity)>;
// Receives the next chunk of a successful (2xx) response body. Throwing aborts the request and the
// exception comes out of Client::send.
using BodySink = std::function<void(std::string_view chunk)>;

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  // The request body, used when `body_reader` is empty.
  std::string body;
  // A streamed request body; `body_length` is its size when known (sent as Content-Length),
  // otherwise the body goes out with chunked transfer encoding.
  BodyReader body_reader;
  std::optional<std::uint64_t> body_length;
  // When set, a 2xx response body streams here instead of into Response::body. Bodies of other
  // statuses (error documents) always land in Response::body.
  BodySink response_sink;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // Limit for the whole exchange; zero means none.
  std::chrono::milliseconds total_timeout{std::chrono::minutes(5)};
  // For https: a PEM file of the certificate authorities to trust instead of the system's
  // (a self-signed server certificate is its own CA). Empty: the system's store.
  std::string ca_file;
};

struct Response {
  long status = 0;
  Headers headers;
  std::string body;

  bool ok() const { return status >= 200 && status < 300; }
};

// One libcurl easy handle, reused across requests so connections are kept alive. Owned by one
// thread at a time (libcurl handles are not thread-safe); movable, not copyable.
class Client {
 public:
  Client();  // throws Error(http, fail) when libcurl cannot create a handle
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Performs the request and returns whatever status the server answered; the caller decides
  // what a status means. Transport failures (cannot connect, timeout, connection reset) throw
  // Error(http, retry, ..., "<curl code>"); an exception from a body callback is rethrown as is.
  Response send(const Request& request);

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
};

}  // namespace tapedeck::http
