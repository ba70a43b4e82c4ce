// GET /api/sessions/{id}/events without servers: its `limit`, one stored event read from a
// message, and `tapedeck session events`' lines.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"
#include "core/sessions/session_events.hpp"
#include "replaymgr/api_client.hpp"
#include "replaymgr/request.hpp"

namespace tapedeck::replaymgr {
namespace {

TEST(EventsLimit, DefaultsAndAcceptsWholeNumbersInRange) {
  EXPECT_EQ(parse_events_limit(""), kDefaultEventsLimit);
  EXPECT_EQ(parse_events_limit("1"), 1);
  EXPECT_EQ(parse_events_limit("1000"), kMaxEventsLimit);
}

TEST(EventsLimit, RefusesAnythingElseNamingTheParameter) {
  for (const char* bad : {"0", "1001", "-1", "abc", "2.5", "9999999999", " 5"}) {
    try {
      parse_events_limit(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.recovery(), Recovery::invalid) << bad;
      EXPECT_NE(error.message().find("'limit'"), std::string::npos) << error.message();
    }
  }
}

TEST(StoredEvent, TakesTheKindFromTheSubjectAndTheTimeFromSentAt) {
  const auto event = session::stored_event(
      "tapedeck.session.s0123456789ab.pause",
      R"({"session_id":"s0123456789ab","event":"pause","sent_at":"2026-12-06T10:00:00.000001Z",)"
      R"("state":"paused"})",
      42, "2026-12-06T10:00:00.100000Z");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->sequence, 42u);
  EXPECT_EQ(event->kind, "pause");
  EXPECT_EQ(event->time, "2026-12-06T10:00:00.000001Z");
  EXPECT_EQ(event->payload, (nlohmann::json{{"state", "paused"}}));
  EXPECT_EQ(event->to_json()["kind"], "pause");
}

TEST(StoredEvent, FallsBackToTheStoredTimeAndSkipsWhatIsNoSessionEvent) {
  const auto event = session::stored_event("tapedeck.session.s0123456789ab.restore.ok",
                                           R"({"lsn":"0/1"})", 7, "2026-12-06T10:00:00.100000Z");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->kind, "restore.ok");
  EXPECT_EQ(event->time, "2026-12-06T10:00:00.100000Z");
  EXPECT_FALSE(session::stored_event("tapedeck.session.s0123456789ab.pause", "not json", 1, ""));
  EXPECT_FALSE(session::stored_event("tapedeck.session.s0123456789ab.pause", "[1]", 1, ""));
  EXPECT_FALSE(session::stored_event("other.subject", "{}", 1, ""));
}

TEST(EventsText, PrintsOneLinePerEventOldestFirst) {
  const nlohmann::json answer = {
      {"session_id", "s1"},
      {"events",
       {{{"time", "2026-12-06T10:00:00Z"}, {"kind", "start"}, {"payload", {{"state", "playing"}}}},
        {{"time", "2026-12-06T10:00:05Z"},
         {"kind", "pause"},
         {"payload", {{"state", "paused"}}}}}}};
  const std::string text = events_text(answer);
  const auto start = text.find("start");
  const auto pause = text.find("pause");
  ASSERT_NE(start, std::string::npos) << text;
  ASSERT_NE(pause, std::string::npos) << text;
  EXPECT_LT(start, pause);
  EXPECT_NE(text.find(R"({"state":"paused"})"), std::string::npos) << text;
  EXPECT_EQ(events_text({{"events", nlohmann::json::array()}}), "no events\n");
}

}  // namespace
}  // namespace tapedeck::replaymgr
