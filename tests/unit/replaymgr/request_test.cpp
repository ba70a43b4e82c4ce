// Request parsing, recording checks, status mapping and bearer tokens of the replaymgr API.
#include "replaymgr/request.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "replaymgr/api_client.hpp"

namespace tapedeck::replaymgr {
namespace {

session::Time at(const char* text) {
  return *session::parse_time(text);
}

// The Error a parse throws (its message for the assertion's sake), or a test failure.
std::string invalid_reason(std::string_view body) {
  try {
    parse_create_request(body);
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::invalid) << error.what();
    return error.message();
  }
  ADD_FAILURE() << "accepted " << body;
  return {};
}

TEST(ParseCreateRequest, ReadsEveryField) {
  const auto request = parse_create_request(
      R"({"start": "2026-01-01T10:00:00Z", "end": "2026-01-01T12:30:00+02:00",)"
      R"( "speed": "0.25", "name": "incident 42"})");
  EXPECT_EQ(request.start, at("2026-01-01T10:00:00Z"));
  EXPECT_EQ(request.end, at("2026-01-01T10:30:00Z"));
  EXPECT_EQ(request.speed.millionths(), 250'000);
  EXPECT_EQ(request.name, "incident 42");
}

TEST(ParseCreateRequest, DefaultsSpeedToOneAndNameToEmpty) {
  const auto request =
      parse_create_request(R"({"start": "2026-01-01T10:00:00Z", "end": "2026-01-01T10:01:00Z"})");
  EXPECT_EQ(request.speed.str(), "1");
  EXPECT_EQ(request.name, "");
}

TEST(ParseCreateRequest, AcceptsSpeedAsANumberOrMax) {
  EXPECT_EQ(parse_create_request(R"({"start": "2026-01-01T10:00:00Z",)"
                                 R"( "end": "2026-01-01T10:01:00Z", "speed": 10})")
                .speed.str(),
            "10");
  EXPECT_TRUE(parse_create_request(R"({"start": "2026-01-01T10:00:00Z",)"
                                   R"( "end": "2026-01-01T10:01:00Z", "speed": "max"})")
                  .speed.is_max());
}

TEST(ParseCreateRequest, RefusesMalformedJson) {
  EXPECT_NE(invalid_reason(R"({"start": )").find("not valid JSON"), std::string::npos);
}

TEST(ParseCreateRequest, RefusesABodyThatIsNotAnObject) {
  EXPECT_NE(invalid_reason(R"(["2026-01-01T10:00:00Z"])").find("JSON object"), std::string::npos);
}

TEST(ParseCreateRequest, NamesAMissingField) {
  EXPECT_NE(invalid_reason(R"({"end": "2026-01-01T10:00:00Z"})").find("'start' is missing"),
            std::string::npos);
}

TEST(ParseCreateRequest, RefusesATimeThatIsNotAString) {
  EXPECT_NE(invalid_reason(R"({"start": 1767261600, "end": "2026-01-01T10:01:00Z"})")
                .find("'start' must be an ISO 8601 time"),
            std::string::npos);
}

TEST(ParseCreateRequest, RefusesATimeThatIsNotIso8601) {
  EXPECT_NE(invalid_reason(R"({"start": "yesterday", "end": "2026-01-01T10:01:00Z"})")
                .find("\"yesterday\" is not an ISO 8601 time"),
            std::string::npos);
}

TEST(ParseCreateRequest, RefusesZeroNegativeAndNonNumericSpeeds) {
  for (const char* speed : {"0", "-1", "\"fast\"", "true", "\"0\""}) {
    const auto body = std::string(R"({"start": "2026-01-01T10:00:00Z",)") +
                      R"( "end": "2026-01-01T10:01:00Z", "speed": )" + speed + "}";
    EXPECT_NE(invalid_reason(body).find("speed"), std::string::npos) << speed;
  }
}

std::string body_with_speed(const std::string& speed) {
  return R"({"start": "2026-01-01T10:00:00Z", "end": "2026-01-01T10:01:00Z", "speed": )" + speed +
         "}";
}

// The API and msgop share session::Speed, so a speed is accepted exactly when msgop's parse
// accepts its text, whether it comes as a JSON string or a JSON number.
TEST(ParseCreateRequest, RefusesExactlyTheSpeedsMsgopRefuses) {
  for (const char* text : {"0", "-1", "1e9", "0.0000001", "abc", "10000001", "1.", ""}) {
    EXPECT_THROW(session::Speed::parse(text), Error) << text;
    EXPECT_NE(invalid_reason(body_with_speed(std::string("\"") + text + "\"")).find("speed"),
              std::string::npos)
        << text;
  }
  for (const char* number : {"0", "-1", "1e9", "0.0000001", "1000000.5", "0.0000015"}) {
    EXPECT_NE(invalid_reason(body_with_speed(number)).find("speed"), std::string::npos) << number;
  }
  for (const char* text : {"max", "MAX", "1", "0.25", "1.5", "0.000001", "1000000"}) {
    const auto speed = session::Speed::parse(text);
    EXPECT_EQ(parse_create_request(body_with_speed(std::string("\"") + text + "\"")).speed, speed)
        << text;
  }
  for (const char* number : {"1", "0.25", "0.1", "1.5", "0.000001", "0.00001", "1000000"}) {
    EXPECT_EQ(parse_create_request(body_with_speed(number)).speed, session::Speed::parse(number))
        << number;
  }
}

TEST(ParseCreateRequest, RefusesAnEndBeforeTheStart) {
  EXPECT_NE(invalid_reason(R"({"start": "2026-01-01T10:00:00Z", "end": "2026-01-01T09:00:00Z"})")
                .find("is before start"),
            std::string::npos);
}

TEST(ParseCreateRequest, MakesAPointInTimeSessionWithoutAnEndOrWithTheEndAtTheStart) {
  for (const char* body :
       {R"({"start": "2026-01-01T10:00:00Z"})", R"({"start": "2026-01-01T10:00:00Z", "end": null})",
        R"({"start": "2026-01-01T10:00:00Z", "end": "2026-01-01T10:00:00Z"})"}) {
    const auto request = parse_create_request(body);
    EXPECT_EQ(request.start, at("2026-01-01T10:00:00Z")) << body;
    EXPECT_FALSE(request.end) << body;
  }
}

TEST(ParseSeekRequest, TakesAnIsoTimeAndRefusesAnythingElse) {
  EXPECT_EQ(parse_seek_request(R"({"to": "2026-01-01T12:30:00+02:00"})"),
            at("2026-01-01T10:30:00Z"));
  for (const char* body : {"", "{}", R"({"to": 5})", R"({"to": "yesterday"})",
                           R"({"to": "2026-01-01T10:30:00Z", "from": "x"})", "[]"}) {
    EXPECT_THROW(parse_seek_request(body), Error) << body;
  }
}

TEST(ParseSpeedRequest, FollowsTheOneSpeedRule) {
  EXPECT_EQ(parse_speed_request(R"({"speed": 2})"), session::Speed::parse("2"));
  EXPECT_EQ(parse_speed_request(R"({"speed": "2"})"), session::Speed::parse("2"));
  EXPECT_EQ(parse_speed_request(R"({"speed": "max"})"), session::Speed::max());
  EXPECT_EQ(parse_speed_request(R"({"speed": 0.25})"), session::Speed::parse("0.25"));
  for (const char* body : {"{}", R"({"speed": 0})", R"({"speed": -1})", R"({"speed": "fast"})",
                           R"({"speed": 1e9})", R"({"speed": 0.0000001})", R"({"speed": true})"}) {
    EXPECT_THROW(parse_speed_request(body), Error) << body;
  }
}

TEST(ParseStepRequest, DefaultsToOneAndTakesAPositiveCount) {
  EXPECT_EQ(parse_step_request(""), 1);
  EXPECT_EQ(parse_step_request("{}"), 1);
  EXPECT_EQ(parse_step_request(R"({"count": 5})"), 5);
  for (const char* body : {R"({"count": 0})", R"({"count": -2})", R"({"count": 1.5})",
                           R"({"count": "3"})", R"({"n": 3})", "nope"}) {
    EXPECT_THROW(parse_step_request(body), Error) << body;
  }
}

TEST(CheckSeekAgainstRecording, NamesTheBoundsItRefuses) {
  RecordingBounds bounds;
  bounds.latest = at("2026-01-01T11:00:00Z");
  bounds.latest_source = "statement commit";
  bounds.snapshot_at = at("2026-01-01T09:00:00Z");
  EXPECT_FALSE(check_seek_against_recording(at("2026-01-01T10:00:00Z"), std::nullopt, bounds));
  const auto beyond =
      check_seek_against_recording(at("2026-01-01T12:00:00Z"), std::nullopt, bounds);
  ASSERT_TRUE(beyond);
  EXPECT_EQ(beyond->status, 422);
  EXPECT_NE(beyond->reason.find("2026-01-01T11:00:00.000000Z"), std::string::npos);
  const auto after_end =
      check_seek_against_recording(at("2026-01-01T10:30:00Z"), at("2026-01-01T10:10:00Z"), bounds);
  ASSERT_TRUE(after_end);
  EXPECT_NE(after_end->reason.find("session's end"), std::string::npos);
  bounds.snapshot_at.reset();
  const auto no_snapshot =
      check_seek_against_recording(at("2026-01-01T08:00:00Z"), std::nullopt, bounds);
  ASSERT_TRUE(no_snapshot);
  EXPECT_NE(no_snapshot->reason.find("no snapshot"), std::string::npos);
}

TEST(ParseCreateRequest, RefusesAnUnknownField) {
  EXPECT_NE(invalid_reason(R"({"start": "2026-01-01T10:00:00Z", "end": "2026-01-01T10:01:00Z",)"
                           R"( "strat": "x"})")
                .find("unknown field 'strat'"),
            std::string::npos);
}

TEST(ParseCreateRequest, RefusesANameThatIsNotAString) {
  EXPECT_NE(invalid_reason(R"({"start": "2026-01-01T10:00:00Z", "end": "2026-01-01T10:01:00Z",)"
                           R"( "name": 7})")
                .find("'name' must be a string"),
            std::string::npos);
}

class CheckAgainstRecording : public ::testing::Test {
 protected:
  CreateRequest request(const char* start, const char* end) {
    CreateRequest request;
    request.start = at(start);
    request.end = at(end);
    return request;
  }
  RecordingBounds bounds(const char* latest, std::optional<const char*> snapshot) {
    RecordingBounds bounds;
    bounds.latest = at(latest);
    bounds.latest_source = "statement commit";
    if (snapshot) bounds.snapshot_at = at(*snapshot);
    return bounds;
  }
};

TEST_F(CheckAgainstRecording, AcceptsARangeWithinTheRecordingAfterASnapshot) {
  EXPECT_FALSE(check_against_recording(request("2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z"),
                                       bounds("2026-01-01T11:00:00Z", "2026-01-01T10:00:00Z")));
}

TEST_F(CheckAgainstRecording, RefusesAnEndBeyondTheRecordingWith422) {
  const auto refusal =
      check_against_recording(request("2026-01-01T10:00:00Z", "2026-01-01T11:00:00.000001Z"),
                              bounds("2026-01-01T11:00:00Z", "2026-01-01T09:00:00Z"));
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 422);
  EXPECT_NE(refusal->reason.find("end 2026-01-01T11:00:00.000001Z is beyond what was recorded"),
            std::string::npos);
}

TEST_F(CheckAgainstRecording, RefusesAStartBeyondTheRecordingWith422) {
  const auto refusal =
      check_against_recording(request("2026-01-02T10:00:00Z", "2026-01-02T11:00:00Z"),
                              bounds("2026-01-01T11:00:00Z", "2026-01-01T09:00:00Z"));
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 422);
  EXPECT_NE(refusal->reason.find("start"), std::string::npos);
}

TEST_F(CheckAgainstRecording, RefusesAStartWithNoSnapshotBeforeItWith422) {
  const auto refusal =
      check_against_recording(request("2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z"),
                              bounds("2026-01-01T12:00:00Z", std::nullopt));
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 422);
  EXPECT_NE(refusal->reason.find("no snapshot at or before 2026-01-01T10:00:00.000000Z"),
            std::string::npos);
}

TEST_F(CheckAgainstRecording, RefusesEverythingWhenNothingWasRecorded) {
  const auto refusal = check_against_recording(
      request("2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z"), RecordingBounds{});
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 422);
}

TEST(StatusFor, MapsEachRecoveryToItsStatus) {
  EXPECT_EQ(status_for(Recovery::invalid), 400);
  EXPECT_EQ(status_for(Recovery::not_found), 404);
  EXPECT_EQ(status_for(Recovery::conflict), 409);
  EXPECT_EQ(status_for(Recovery::retry), 503);
  EXPECT_EQ(status_for(Recovery::fail), 500);
}

TEST(RecoveryForStatus, IsTheInverseOfStatusForTheClientErrors) {
  for (const auto recovery :
       {Recovery::invalid, Recovery::not_found, Recovery::conflict, Recovery::retry}) {
    EXPECT_EQ(recovery_for_status(status_for(recovery)), recovery);
  }
  EXPECT_EQ(recovery_for_status(401), Recovery::fail);
  EXPECT_EQ(recovery_for_status(422), Recovery::fail);
}

TEST(Authorized, AcceptsAnythingWhenNoTokenIsConfigured) {
  EXPECT_TRUE(authorized("", ""));
  EXPECT_TRUE(authorized("Bearer whatever", ""));
}

TEST(Authorized, AcceptsTheBearerTokenWithAnyCaseOfTheScheme) {
  EXPECT_TRUE(authorized("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(authorized("bearer s3cret", "s3cret"));
}

TEST(Authorized, RefusesAMissingWrongOrPartialToken) {
  EXPECT_FALSE(authorized("", "s3cret"));
  EXPECT_FALSE(authorized("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(authorized("Bearer s3cret2", "s3cret"));
  EXPECT_FALSE(authorized("Bearer S3CRET", "s3cret"));
  EXPECT_FALSE(authorized("Basic s3cret", "s3cret"));
  EXPECT_FALSE(authorized("s3cret", "s3cret"));
}

TEST(ProgressLine, ShowsStateClockPercentAndCounts) {
  const nlohmann::json session = {
      {"id", "s0123456789ab"},
      {"state", "playing"},
      {"start", "2026-01-01T10:00:00Z"},
      {"end", "2026-01-01T10:01:40Z"},
      {"playback_time", "2026-01-01T10:00:25Z"},
      {"statements_applied", 30},
      {"statements_left", 70},
      {"rtus_calls_sent", 1},
      {"rtus_calls_left", 3},
      {"behind_ms", 12},
      {"error", ""},
  };
  const auto line = progress_line(session);
  EXPECT_NE(line.find("s0123456789ab playing"), std::string::npos) << line;
  EXPECT_NE(line.find("2026-01-01T10:00:25Z (25%)"), std::string::npos) << line;
  EXPECT_NE(line.find("statements 30/100 rtus 1/4 behind 12 ms"), std::string::npos) << line;
  EXPECT_EQ(line.find("error"), std::string::npos) << line;
}

TEST(ProgressLine, ShowsTheErrorOfAFailedSession) {
  const nlohmann::json session = {{"id", "s0123456789ab"},
                                  {"state", "failed"},
                                  {"playback_time", nullptr},
                                  {"error", "no backup"}};
  EXPECT_NE(progress_line(session).find("error: no backup"), std::string::npos);
}

TEST(ParseTimelineRequest, DefaultsToNoBoundsAndTheDefaultBucketCount) {
  const auto request = parse_timeline_request("", "", "");
  EXPECT_FALSE(request.from);
  EXPECT_FALSE(request.to);
  EXPECT_EQ(request.buckets, kDefaultTimelineBuckets);
}

TEST(ParseTimelineRequest, ReadsBothBoundsAndTheBucketCount) {
  const auto request =
      parse_timeline_request("2026-01-01T10:00:00Z", "2026-01-01T12:00:00+01:00", "60");
  EXPECT_EQ(request.from, at("2026-01-01T10:00:00Z"));
  EXPECT_EQ(request.to, at("2026-01-01T11:00:00Z"));
  EXPECT_EQ(request.buckets, 60);
}

TEST(ParseTimelineRequest, RefusesBadTimesBucketCountsAndAReversedWindow) {
  const auto refused = [](std::string_view from, std::string_view to, std::string_view buckets) {
    try {
      parse_timeline_request(from, to, buckets);
    } catch (const Error& error) {
      return error.recovery() == Recovery::invalid;
    }
    return false;
  };
  EXPECT_TRUE(refused("yesterday", "", ""));
  EXPECT_TRUE(refused("", "2026-13-01T00:00:00Z", ""));
  EXPECT_TRUE(refused("2026-01-01T11:00:00Z", "2026-01-01T10:00:00Z", ""));
  EXPECT_TRUE(refused("", "", "0"));
  EXPECT_TRUE(refused("", "", "-5"));
  EXPECT_TRUE(refused("", "", "2001"));
  EXPECT_TRUE(refused("", "", "12abc"));
  EXPECT_TRUE(refused("", "", "99999999999"));
  EXPECT_FALSE(refused("", "", "2000"));
}

}  // namespace
}  // namespace tapedeck::replaymgr
