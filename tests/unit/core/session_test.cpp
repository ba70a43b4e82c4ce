#include "core/session.hpp"

#include <gtest/gtest.h>

namespace tapedeck::session {
namespace {

TEST(SessionStates, FollowTheDesignedLifeCycle) {
  State state = State::initializing;
  for (const auto transition :
       {Transition::restore_begin, Transition::restore_ok, Transition::catch_up_done,
        Transition::start, Transition::pause, Transition::resume, Transition::finish}) {
    const auto next = apply(state, transition);
    ASSERT_TRUE(next) << to_string(transition) << " from " << to_string(state);
    state = *next;
  }
  EXPECT_EQ(state, State::ended);
}

TEST(SessionStates, RefuseIllegalTransitions) {
  EXPECT_FALSE(apply(State::initializing, Transition::start));
  EXPECT_FALSE(apply(State::ready, Transition::pause));
  EXPECT_FALSE(apply(State::paused, Transition::pause));
  EXPECT_FALSE(apply(State::playing, Transition::resume));
  EXPECT_FALSE(apply(State::ended, Transition::end));
  EXPECT_FALSE(apply(State::ended, Transition::fail));
  EXPECT_FALSE(apply(State::failed, Transition::start));
}

TEST(SessionStates, AllowFailureFromEveryStateBeforeEndedAndEndOfAFailedSession) {
  for (const auto state : {State::initializing, State::restoring, State::catching_up, State::ready,
                           State::playing, State::paused}) {
    EXPECT_EQ(apply(state, Transition::fail), State::failed) << to_string(state);
    EXPECT_EQ(apply(state, Transition::end), State::ended) << to_string(state);
  }
  EXPECT_EQ(apply(State::failed, Transition::end), State::ended);
}

TEST(SessionStates, RoundTripTheirNames) {
  EXPECT_EQ(to_string(State::catching_up), "catching_up");
  EXPECT_EQ(parse_state("paused"), State::paused);
  EXPECT_FALSE(parse_state("running"));
}

TEST(SessionSubjects, CarryTheIdAndTheEvent) {
  EXPECT_EQ(subject("s0123456789ab", "restore.ok"), "tapedeck.session.s0123456789ab.restore.ok");
  const auto parsed = parse_subject("tapedeck.session.s0123456789ab.restore.ko");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, "s0123456789ab");
  EXPECT_EQ(parsed->second, "restore.ko");
  EXPECT_FALSE(parse_subject("tapedeck.cdc.x"));
  EXPECT_FALSE(parse_subject("tapedeck.session.onlyid"));
  EXPECT_EQ(stream_subjects(), "tapedeck.session.>");
}

TEST(SessionIds, AreShortHexAndValidated) {
  const auto id = new_session_id();
  EXPECT_TRUE(valid_session_id(id)) << id;
  EXPECT_NE(new_session_id(), id);
  EXPECT_FALSE(valid_session_id("s012"));
  EXPECT_FALSE(valid_session_id("s0123456789aG"));
  EXPECT_FALSE(valid_session_id("x0123456789ab"));
}

TEST(SessionDatabases, ComeFromTheTemplate) {
  EXPECT_EQ(database_name("playback_<id>", "s0123456789ab"), "playback_s0123456789ab");
  EXPECT_EQ(database_name("playback", "s0123456789ab"), "playback");
  EXPECT_TRUE(is_fixed_database("playback"));
  EXPECT_FALSE(is_fixed_database("pb_<id>"));
}

TEST(SessionTimes, ParseUtcAndOffsetsAndPrintUtc) {
  const auto utc = parse_time("2026-11-24T10:00:00Z");
  ASSERT_TRUE(utc);
  EXPECT_EQ(parse_time("2026-11-24T11:30:00+01:30"), utc);
  EXPECT_EQ(parse_time("2026-11-24T05:00:00-05:00"), utc);
  EXPECT_EQ(format_time(*utc), "2026-11-24T10:00:00.000000Z");
  const auto fine = parse_time("2026-11-24T10:00:00.1234567Z");
  ASSERT_TRUE(fine);
  EXPECT_EQ(format_time(*fine), "2026-11-24T10:00:00.123456Z");
  EXPECT_FALSE(parse_time("2026-11-24T10:00:00"));  // no zone: ambiguous
  EXPECT_FALSE(parse_time("2026-02-30T10:00:00Z"));
  EXPECT_FALSE(parse_time("yesterday"));
}

TEST(SessionEvents, CarryIdEventAndTime) {
  const auto body = event_body("s0123456789ab", "progress", {{"statements_applied", 5}});
  EXPECT_EQ(body["session_id"], "s0123456789ab");
  EXPECT_EQ(body["event"], "progress");
  EXPECT_EQ(body["statements_applied"], 5);
  EXPECT_TRUE(parse_time(body["sent_at"].get<std::string>()));
}

}  // namespace
}  // namespace tapedeck::session
