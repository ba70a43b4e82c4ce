// libcurl behind tapedeck::http::Client: option set-up, body callbacks, transport errors.
#include "core/http/client.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>

#include "core/error.hpp"

namespace tapedeck::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void append(Slist& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown == nullptr) {
    throw Error(ErrorSource::http, Recovery::fail, "out of memory building request headers");
  }
  (void)list.release();  // `grown` now owns the old nodes
  list.reset(grown);
}

// State shared with the libcurl callbacks of one transfer.
struct Transfer {
  const Request* request = nullptr;
  Response* response = nullptr;
  std::size_t body_offset = 0;  // into request->body when there is no reader
  std::exception_ptr failure;   // thrown by a user callback; rethrown after the transfer
};

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t capacity = size * count;
  try {
    if (transfer->request->body_reader) {
      return transfer->request->body_reader(buffer, capacity);
    }
    const std::string& body = transfer->request->body;
    const std::size_t n = std::min(capacity, body.size() - transfer->body_offset);
    std::memcpy(buffer, body.data() + transfer->body_offset, n);
    transfer->body_offset += n;
    return n;
  } catch (...) {
    transfer->failure = std::current_exception();
    return CURL_READFUNC_ABORT;
  }
}

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  try {
    if (transfer->request->response_sink && transfer->response->ok()) {
      transfer->request->response_sink(std::string_view(data, n));
    } else {
      transfer->response->body.append(data, n);
    }
    return n;
  } catch (...) {
    transfer->failure = std::current_exception();
    return 0;  // anything but n aborts with CURLE_WRITE_ERROR
  }
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  try {
    const std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
      // A new status line (after 100 Continue or a redirect) starts a fresh header block.
      transfer->response->headers = Headers{};
      const auto space = line.find(' ');
      transfer->response->status =
          space == std::string_view::npos ? 0 : std::strtol(line.data() + space + 1, nullptr, 10);
      return n;
    }
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      transfer->response->headers.add(std::string(trim(line.substr(0, colon))),
                                      std::string(trim(line.substr(colon + 1))));
    }
    return n;
  } catch (...) {
    transfer->failure = std::current_exception();
    return 0;
  }
}

// URL syntax and scheme errors cannot be cured by retrying; everything else at the transport
// level (refused, reset, timed out, DNS) can.
Recovery classify(CURLcode code) {
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Recovery::invalid;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return Recovery::fail;
    default:
      return Recovery::retry;
  }
}

}  // namespace

CurlGlobal::CurlGlobal() {
  if (const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    throw Error(ErrorSource::http, Recovery::fail,
                fmt::format("libcurl global initialisation failed: {}", curl_easy_strerror(code)),
                std::to_string(code));
  }
}

CurlGlobal::~CurlGlobal() {
  curl_global_cleanup();
}

Headers::Headers(std::initializer_list<std::pair<std::string, std::string>> fields)
    : fields_(fields) {}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  add(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const auto& field) { return iequals(field.first, name); });
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [field, value] : fields_) {
    if (iequals(field, name)) return value;
  }
  return std::nullopt;
}

struct Client::Handle {
  struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
  };
  std::unique_ptr<CURL, CurlDeleter> curl;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

Client::Client() : handle_(std::make_unique<Handle>()) {
  handle_->curl.reset(curl_easy_init());
  if (!handle_->curl) {
    throw Error(ErrorSource::http, Recovery::fail,
                "libcurl could not create a handle; was http::CurlGlobal created in main?");
  }
}

Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Response Client::send(const Request& request) {
  if (!handle_) {
    throw Error(ErrorSource::internal, Recovery::fail, "http::Client used after being moved from");
  }
  CURL* curl = handle_->curl.get();
  curl_easy_reset(curl);  // keeps the connection cache, clears the previous request's options

  Response response;
  Transfer transfer{&request, &response, 0, nullptr};
  handle_->error_buffer[0] = '\0';

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, handle_->error_buffer);
  if (!request.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);

  const bool streamed = static_cast<bool>(request.body_reader);
  const bool has_body = streamed || !request.body.empty() || request.method == "PUT" ||
                        request.method == "POST" || request.method == "PATCH";
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    // Upload mode streams the body through the read callback for any method.
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    if (!streamed) {
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    } else if (request.body_length) {
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(*request.body_length));
    }  // else: unknown length, libcurl sends Transfer-Encoding: chunked
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  Slist headers;
  for (const auto& [name, value] : request.headers.fields()) {
    // "Name;" is libcurl's way to send a header with an empty value.
    append(headers, value.empty() ? name + ";" : name + ": " + value);
  }
  if (has_body && !request.headers.contains("Expect")) {
    append(headers, "Expect:");  // no 100-continue round trip
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode code = curl_easy_perform(curl);
  if (transfer.failure) std::rethrow_exception(transfer.failure);
  if (code != CURLE_OK) {
    const char* detail =
        handle_->error_buffer[0] != '\0' ? handle_->error_buffer : curl_easy_strerror(code);
    throw Error(ErrorSource::http, classify(code),
                fmt::format("{} {} failed: {}; check that the server is reachable", request.method,
                            request.url, detail),
                std::to_string(static_cast<int>(code)));
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = status;
  return response;
}

}  // namespace tapedeck::http
