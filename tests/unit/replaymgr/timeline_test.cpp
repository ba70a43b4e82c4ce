// The timeline's window: the request's bounds, else the recording's span and first backup.
#include "replaymgr/timeline.hpp"

#include <gtest/gtest.h>

namespace tapedeck::replaymgr {
namespace {

session::Time at(const char* text) {
  return *session::parse_time(text);
}

backups::BackupRecord backup_taken(const char* created_at, std::optional<std::string> system_time) {
  backups::BackupRecord backup;
  backup.created_at = created_at;
  backup.system_time = std::move(system_time);
  return backup;
}

TEST(TimelineWindow, RunsFromTheOldestRecordingOrBackupToWhereTheRecordingEnds) {
  TimelineFacts facts;
  facts.span = {at("2026-01-01T10:05:00Z"), at("2026-01-01T11:00:00Z")};
  facts.live_time = at("2026-01-01T11:30:00Z");
  facts.backups = {backup_taken("2026-01-01T10:00:05.000000Z", "2026-01-01T10:00:00.000000Z")};
  const auto window = timeline_window(TimelineRequest{}, facts);
  ASSERT_TRUE(window);
  EXPECT_EQ(window->from, at("2026-01-01T10:00:00Z"));  // the backup's system time
  EXPECT_EQ(window->to, at("2026-01-01T11:30:00Z"));    // the Live DB's system time
  EXPECT_EQ(window->count, kDefaultTimelineBuckets);
}

TEST(TimelineWindow, KeepsTheRequestedBounds) {
  TimelineFacts facts;
  facts.span = {at("2026-01-01T10:05:00Z"), at("2026-01-01T11:00:00Z")};
  TimelineRequest request;
  request.from = at("2026-01-01T10:30:00Z");
  request.to = at("2026-01-01T10:40:00Z");
  request.buckets = 10;
  const auto window = timeline_window(request, facts);
  ASSERT_TRUE(window);
  EXPECT_EQ(window->from, at("2026-01-01T10:30:00Z"));
  EXPECT_EQ(window->to, at("2026-01-01T10:40:00Z"));
  EXPECT_EQ(window->length(), std::chrono::minutes(1));
}

TEST(TimelineWindow, IsAnHourWhenOnlyOneMomentIsKnownAndNoneWhenNothingIs) {
  TimelineFacts facts;
  EXPECT_FALSE(timeline_window(TimelineRequest{}, facts));
  facts.live_time = at("2026-01-01T12:00:00Z");
  const auto window = timeline_window(TimelineRequest{}, facts);
  ASSERT_TRUE(window);
  EXPECT_EQ(window->from, at("2026-01-01T11:00:00Z"));
  EXPECT_EQ(window->to, at("2026-01-01T12:00:00Z"));
}

TEST(TimelineIntervals, CoverTheWholeWindowWithLengthsRoundedUp) {
  const recording::Intervals intervals{at("2026-01-01T10:00:00Z"),
                                       at("2026-01-01T10:00:00.000010Z"), 3};
  EXPECT_EQ(intervals.length(), std::chrono::microseconds(4));
  const recording::Intervals empty{at("2026-01-01T10:00:00Z"), at("2026-01-01T10:00:00Z"), 3};
  EXPECT_EQ(empty.length(), std::chrono::microseconds(1));
}

TEST(TimelineJson, NamesTheRecordingsEndAndEachBackupsMoment) {
  TimelineFacts facts;
  facts.span = {at("2026-01-01T10:05:00Z"), at("2026-01-01T11:00:00Z")};
  facts.backups = {backup_taken("2026-01-01T10:00:05.000000Z", std::nullopt)};
  const recording::Intervals window{at("2026-01-01T10:00:00Z"), at("2026-01-01T11:00:00Z"), 2};
  const auto json = timeline_json(facts, window, {{1, 2}, {0, 0}, {0, 3}});
  EXPECT_EQ(json["statements"], nlohmann::json({1, 2}));
  EXPECT_EQ(json["dead_letters"], nlohmann::json({0, 3}));
  EXPECT_EQ(json["bucket_seconds"], 1800.0);
  EXPECT_EQ(json["backups"][0]["at"], "2026-01-01T10:00:05.000000Z");  // no system time
  EXPECT_EQ(json["recording"]["end"], "2026-01-01T11:00:00.000000Z");
  EXPECT_TRUE(json["recording"]["live_system_time"].is_null());
}

}  // namespace
}  // namespace tapedeck::replaymgr
