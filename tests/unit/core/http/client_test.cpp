// http::Client against an in-process cpp-httplib server on loopback.
#include "core/http/client.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <stdexcept>
#include <thread>

#include "core/error.hpp"

namespace tapedeck::http {
namespace {

class CurlEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { curl_ = std::make_unique<CurlGlobal>(); }
  void TearDown() override { curl_.reset(); }

 private:
  std::unique_ptr<CurlGlobal> curl_;
};

[[maybe_unused]] auto* const curl_environment =
    ::testing::AddGlobalTestEnvironment(new CurlEnvironment);

// Echo server: reports what it received so tests can check what the client sent.
class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto echo = [](const httplib::Request& request, httplib::Response& response) {
      response.set_header("X-Method", request.method);
      response.set_header("X-Body-Length", std::to_string(request.body.size()));
      response.set_header("X-Chunked", request.get_header_value("Transfer-Encoding"));
      response.set_header("X-Content-Length", request.get_header_value("Content-Length"));
      response.set_header("X-Custom", request.get_header_value("X-Custom"));
      response.set_content(request.body, "application/octet-stream");
    };
    server_.Put("/echo", echo);
    server_.Post("/echo", echo);
    server_.Delete("/echo", echo);
    server_.Get("/echo", echo);
    server_.Get("/missing", [](const httplib::Request&, httplib::Response& response) {
      response.status = 404;
      response.set_content("<Error><Code>NoSuchKey</Code></Error>", "application/xml");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& response) {
      std::this_thread::sleep_for(std::chrono::seconds(2));
      response.set_content("late", "text/plain");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(std::string(3 << 20, 'z'), "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  Client client_;
};

TEST(Headers, LooksNamesUpCaseInsensitivelyAndReplacesOnSet) {
  Headers headers{{"Content-Type", "text/plain"}, {"X-A", "1"}};
  headers.add("x-a", "2");
  EXPECT_EQ(headers.get("content-type"), "text/plain");
  EXPECT_EQ(headers.get("X-a"), "1");
  headers.set("X-A", "3");
  EXPECT_EQ(headers.get("x-a"), "3");
  EXPECT_EQ(headers.fields().size(), 2u);
  headers.remove("CONTENT-TYPE");
  EXPECT_FALSE(headers.contains("content-type"));
}

TEST_F(ClientTest, SendsABodyAndHeadersAndReturnsStatusHeadersAndBody) {
  Request request;
  request.method = "PUT";
  request.url = url("/echo");
  request.body = "hello body";
  request.headers.add("X-Custom", "custom value");
  const Response response = client_.send(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.ok());
  EXPECT_EQ(response.body, "hello body");
  EXPECT_EQ(response.headers.get("x-method"), "PUT");
  EXPECT_EQ(response.headers.get("X-CUSTOM"), "custom value");
}

TEST_F(ClientTest, SendsAnEmptyPostWithAZeroContentLength) {
  Request request;
  request.method = "POST";
  request.url = url("/echo");
  const Response response = client_.send(request);
  EXPECT_EQ(response.headers.get("X-Method"), "POST");
  EXPECT_EQ(response.headers.get("X-Content-Length"), "0");
}

TEST_F(ClientTest, StreamsAnUploadOfKnownLengthFromAReader) {
  const std::string body(1'000'000, 'k');
  std::size_t offset = 0;
  Request request;
  request.method = "PUT";
  request.url = url("/echo");
  request.body_length = body.size();
  request.body_reader = [&](char* buffer, std::size_t capacity) {
    const std::size_t n = std::min(capacity, body.size() - offset);
    std::copy_n(body.data() + offset, n, buffer);
    offset += n;
    return n;
  };
  const Response response = client_.send(request);
  EXPECT_EQ(response.headers.get("X-Body-Length"), std::to_string(body.size()));
  EXPECT_EQ(response.headers.get("X-Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(response.body, body);
}

TEST_F(ClientTest, StreamsAnUploadOfUnknownLengthChunked) {
  int calls = 0;
  Request request;
  request.method = "POST";
  request.url = url("/echo");
  request.body_reader = [&](char* buffer, std::size_t capacity) -> std::size_t {
    if (calls == 3) return 0;
    ++calls;
    const std::string piece = "piece" + std::to_string(calls) + ";";
    EXPECT_GE(capacity, piece.size());
    std::copy(piece.begin(), piece.end(), buffer);
    return piece.size();
  };
  const Response response = client_.send(request);
  EXPECT_EQ(response.headers.get("X-Chunked"), "chunked");
  EXPECT_EQ(response.body, "piece1;piece2;piece3;");
}

TEST_F(ClientTest, StreamsASuccessfulDownloadToTheSink) {
  std::size_t received = 0;
  int chunks = 0;
  Request request;
  request.url = url("/big");
  request.response_sink = [&](std::string_view chunk) {
    received += chunk.size();
    ++chunks;
  };
  const Response response = client_.send(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(received, std::size_t{3} << 20);
  EXPECT_GT(chunks, 1);
  EXPECT_TRUE(response.body.empty());
}

TEST_F(ClientTest, KeepsAnErrorBodyOutOfTheSinkForTheCallerToRead) {
  bool sink_called = false;
  Request request;
  request.url = url("/missing");
  request.response_sink = [&](std::string_view) { sink_called = true; };
  const Response response = client_.send(request);
  EXPECT_EQ(response.status, 404);
  EXPECT_FALSE(sink_called);
  EXPECT_EQ(response.body, "<Error><Code>NoSuchKey</Code></Error>");
}

TEST_F(ClientTest, SendsHeadWithoutReadingABody) {
  Request request;
  request.method = "HEAD";
  request.url = url("/big");
  const Response response = client_.send(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.get("Content-Length"), std::to_string(3 << 20));
  EXPECT_TRUE(response.body.empty());
}

TEST_F(ClientTest, ATimeoutIsARetryableHttpError) {
  Request request;
  request.url = url("/slow");
  request.total_timeout = std::chrono::milliseconds(300);
  try {
    client_.send(request);
    FAIL() << "a request slower than its timeout succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.source(), ErrorSource::http);
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(e.code(), "28") << e.what();  // CURLE_OPERATION_TIMEDOUT
  }
}

TEST_F(ClientTest, ARefusedConnectionIsARetryableHttpError) {
  Request request;
  request.url = "http://127.0.0.1:1/";
  try {
    client_.send(request);
    FAIL() << "a request to a closed port succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.source(), ErrorSource::http);
    EXPECT_TRUE(e.retryable());
  }
}

TEST_F(ClientTest, AnExceptionFromTheBodyReaderComesOutOfSendUnchanged) {
  Request request;
  request.method = "PUT";
  request.url = url("/echo");
  request.body_reader = [](char*, std::size_t) -> std::size_t {
    throw std::logic_error("reader broke");
  };
  EXPECT_THROW(
      {
        try {
          client_.send(request);
        } catch (const std::logic_error& e) {
          EXPECT_STREQ(e.what(), "reader broke");
          throw;
        }
      },
      std::logic_error);
}

TEST_F(ClientTest, ReusesTheHandleForRequestsInARowAndAfterAMove) {
  Request get;
  get.url = url("/echo");
  EXPECT_EQ(client_.send(get).status, 200);
  Request put;
  put.method = "PUT";
  put.url = url("/echo");
  put.body = "x";
  EXPECT_EQ(client_.send(put).body, "x");
  Client moved = std::move(client_);
  EXPECT_EQ(moved.send(get).headers.get("X-Method"), "GET");  // no body left over from the PUT
}

TEST(Client, RejectsAMalformedUrlAsInvalid) {
  Client client;
  Request request;
  request.url = "notascheme://";
  try {
    client.send(request);
    FAIL() << "a malformed URL was sent";
  } catch (const Error& e) {
    EXPECT_EQ(e.recovery(), Recovery::invalid) << e.what();
  }
}

}  // namespace
}  // namespace tapedeck::http
