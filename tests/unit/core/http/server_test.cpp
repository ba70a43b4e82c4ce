// tapedeck's own HTTP server over loopback, driven by a plain cpp-httplib client.
#include "core/http/server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include "core/error.hpp"
#include "core/metrics.hpp"

namespace tapedeck::http {
namespace {

TEST(Server, RoutesByMethodAndPatternWithCaptures) {
  Server server("127.0.0.1:0");
  server.route("GET", R"(/sessions/([^/]+))", [](const ServerRequest& request) {
    return ServerResponse::json(200, "{\"id\":\"" + request.matches.at(1) + "\"}");
  });
  server.route("POST", "/sessions", [](const ServerRequest& request) {
    return ServerResponse::json(201, request.body);
  });
  server.start();
  ASSERT_GT(server.port(), 0);
  httplib::Client client("127.0.0.1", server.port());

  auto got = client.Get("/sessions/s-42");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, R"({"id":"s-42"})");

  auto posted = client.Post("/sessions", R"({"x":1})", "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 201);
  EXPECT_EQ(posted->body, R"({"x":1})");

  auto missing = client.Get("/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST(Server, TurnsAHandlerExceptionIntoA500WithTheMessage) {
  Server server("127.0.0.1:0");
  server.route("GET", "/boom", [](const ServerRequest&) -> ServerResponse {
    throw Error(ErrorSource::internal, Recovery::fail, "it broke");
  });
  server.start();
  httplib::Client client("127.0.0.1", server.port());
  auto response = client.Get("/boom");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_NE(response->body.find("it broke"), std::string::npos);
}

TEST(Server, RefusesALargerBodyWith413AndAReasonButLeavesHandlersErrorsAlone) {
  ServerSecurity security;
  security.max_body_bytes = 16;
  Server server("127.0.0.1:0", security);
  server.route("POST", "/echo", [](const ServerRequest& request) {
    return request.body == "no" ? ServerResponse::error(403, "handler says no")
                                : ServerResponse::json(200, request.body);
  });
  server.start();
  httplib::Client client("127.0.0.1", server.port());

  auto small = client.Post("/echo", R"({"a":1})", "application/json");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 200);

  auto large = client.Post("/echo", std::string(100, 'x'), "application/json");
  ASSERT_TRUE(large);
  EXPECT_EQ(large->status, 413);
  EXPECT_EQ(large->body, R"({"error":"request body larger than 16 bytes"})");

  auto refused = client.Post("/echo", "no", "text/plain");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(refused->body, R"({"error":"handler says no"})");
}

TEST(Server, RefusesACertificateWithoutItsKeyAndUnreadableTlsFiles) {
  ServerSecurity only_cert;
  only_cert.tls_cert = "/etc/hostname";
  try {
    Server server("127.0.0.1:0", only_cert);
    FAIL() << "a certificate without its key was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.source(), ErrorSource::config);
  }
  ServerSecurity missing;
  missing.tls_cert = "/nonexistent/cert.pem";
  missing.tls_key = "/nonexistent/key.pem";
  try {
    Server server("127.0.0.1:0", missing);
    FAIL() << "missing TLS files were accepted";
  } catch (const Error& error) {
    EXPECT_NE(error.message().find("/nonexistent/cert.pem"), std::string::npos);
  }
}

TEST(Server, ServesHealthAndMetrics) {
  Metrics metrics;
  metrics.counter("tapedeck_test_total", "t").inc(5);
  bool healthy = true;
  Server server("127.0.0.1:0");
  serve_observability(server, metrics, [&] { return Health{healthy, healthy ? "" : "db down"}; });
  server.start();
  httplib::Client client("127.0.0.1", server.port());

  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  healthy = false;
  health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_NE(health->body.find("db down"), std::string::npos);

  auto scraped = client.Get("/metrics");
  ASSERT_TRUE(scraped);
  EXPECT_NE(scraped->body.find("tapedeck_test_total 5"), std::string::npos);
  EXPECT_EQ(scraped->get_header_value("Content-Type").rfind("text/plain", 0), 0u);
}

TEST(Server, RefusesAPortThatIsTaken) {
  Server first("127.0.0.1:0");
  first.start();
  Server second("127.0.0.1:" + std::to_string(first.port()));
  EXPECT_THROW(second.start(), Error);
}

TEST(ParseListen, NamesTheKeyOfAMalformedAddress) {
  EXPECT_EQ(parse_listen("127.0.0.1:9101", "capture.listen"),
            (std::pair<std::string, int>{"127.0.0.1", 9101}));
  try {
    parse_listen("localhost", "capture.listen");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("capture.listen"), std::string::npos);
  }
  EXPECT_THROW(parse_listen("h:70000", "k"), Error);
}

}  // namespace
}  // namespace tapedeck::http
