// The tick's RTUS notification: path, id, body, and the recorded call that matches it.
#include "timekeeper/tick_call.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace tapedeck::timekeeper {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const sys_seconds T = sys_days{2026y / January / 2} + 3h + 4min + 5s;

TEST(UrlPath, IsThePathAndQueryOfTheUrl) {
  EXPECT_EQ(url_path("http://127.0.0.1:8090/time/tick?zone=utc"), "/time/tick?zone=utc");
  EXPECT_EQ(url_path("https://rtus.example/a"), "/a");
}

TEST(UrlPath, IsASlashWhenTheUrlHasNoPath) {
  EXPECT_EQ(url_path("http://127.0.0.1:8090"), "/");
  EXPECT_EQ(url_path("http://127.0.0.1:8090#frag"), "/");
}

TEST(UrlPath, StartsWithASlashWhenTheUrlHasOnlyAQuery) {
  EXPECT_EQ(url_path("http://host?x=1"), "/?x=1");
}

TEST(UrlPath, LeavesTheFragmentOut) {
  EXPECT_EQ(url_path("http://host/p?q=1#f"), "/p?q=1");
}

TEST(UrlPath, RefusesAUrlThatIsNotHttp) {
  try {
    url_path("ftp://host/x");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::invalid);
    EXPECT_NE(error.message().find("rtus.url"), std::string::npos);
  }
}

TEST(TickCallId, IsTheUnixSecondOfTheTick) {
  EXPECT_EQ(tick_call_id(T), "tk-" + std::to_string(T.time_since_epoch().count()));
  EXPECT_NE(tick_call_id(T), tick_call_id(T + 1s));
}

TEST(TickBody, CarriesTheTimeInRfc3339AndTheUnixSecond) {
  const auto body = nlohmann::json::parse(tick_body(T));
  EXPECT_EQ(body.at("time"), "2026-01-02T03:04:05.000000Z");
  EXPECT_EQ(body.at("tick"), T.time_since_epoch().count());
}

TEST(TickCall, DescribesTheNotificationTheRtusGets) {
  RtusTarget target{"http://127.0.0.1:1/clock?src=tk", "PUT", 300ms, "secret-token"};
  const RtusCall call = tick_call(target, T);
  EXPECT_EQ(call.id, tick_call_id(T));
  EXPECT_EQ(call.time_us, T.time_since_epoch().count() * 1'000'000);
  EXPECT_EQ(call.method, "PUT");
  EXPECT_EQ(call.path, "/clock?src=tk");
  EXPECT_EQ(call.body, tick_body(T));
  ASSERT_EQ(call.headers.size(), 1u);
  EXPECT_EQ(call.headers[0].first, "Content-Type");
}

TEST(TickCall, NeverRecordsTheToken) {
  RtusTarget target{"http://127.0.0.1:1/", "POST", 300ms, "secret-token"};
  EXPECT_EQ(to_json(tick_call(target, T)).find("secret-token"), std::string::npos);
}

TEST(TickCall, ReadsBackFromItsMessageFormat) {
  RtusTarget target{"http://127.0.0.1:1/t", "POST", 300ms, ""};
  const RtusCall call = tick_call(target, T);
  EXPECT_EQ(parse_rtus_call(to_json(call)), call);
}

}  // namespace
}  // namespace tapedeck::timekeeper
