// PlaybackClock: due times and playback time at several speeds, pauses, lateness.
#include "msgop/schedule.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace tapedeck::msgop {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using session::Speed;

// Session start S: the recorded moment playback begins from.
const Instant S = sys_days{2024y / March / 1} + 8h;

// A fake wall clock that starts playing at T.
struct Fixture {
  FakeClock clock{sys_days{2024y / June / 1} + 10h};
  Instant now() const { return floor<Micros>(clock.now()); }
};

TEST(PlaybackClock, ShowsTheSessionStartBeforePlaying) {
  Fixture f;
  const PlaybackClock clock(S, Speed::parse("1"));
  EXPECT_EQ(clock.state(), PlaybackClock::State::ready);
  EXPECT_EQ(clock.playback_time(f.now()), S);
  EXPECT_THROW(clock.due(S + 1s), Error);
}

TEST(PlaybackClock, PacesAtSpeedOneInRealTime) {
  Fixture f;
  PlaybackClock clock(S, Speed::parse("1"));
  const Instant t0 = f.now();
  clock.start(t0);
  EXPECT_EQ(clock.due(S + 5s), t0 + 5s);
  f.clock.advance(2500ms);
  EXPECT_EQ(clock.playback_time(f.now()), S + 2500ms);
}

TEST(PlaybackClock, PacesTenTimesFasterAtSpeedTen) {
  Fixture f;
  PlaybackClock clock(S, Speed::parse("10"));
  const Instant t0 = f.now();
  clock.start(t0);
  EXPECT_EQ(clock.due(S + 5s), t0 + 500ms);
  f.clock.advance(1s);
  EXPECT_EQ(clock.playback_time(f.now()), S + 10s);
}

TEST(PlaybackClock, PacesAQuarterAsFastAtSpeedZeroPointTwoFive) {
  Fixture f;
  PlaybackClock clock(S, Speed::parse("0.25"));
  const Instant t0 = f.now();
  clock.start(t0);
  EXPECT_EQ(clock.due(S + 1s), t0 + 4s);
  EXPECT_EQ(clock.due(S + 333ms), t0 + 1332ms);
  f.clock.advance(10s);
  EXPECT_EQ(clock.playback_time(f.now()), S + 2500ms);
}

TEST(PlaybackClock, IsExactAtSpeedOnePointFiveWithoutDriftOverDays) {
  Fixture f;
  PlaybackClock clock(S, Speed::factor(1.5));
  const Instant t0 = f.now();
  clock.start(t0);
  EXPECT_EQ(clock.due(S + 3s), t0 + 2s);
  // Eleven and a half days of recording replay in exactly a third less.
  EXPECT_EQ(clock.due(S + 1'500'000s), t0 + 1'000'000s);
  f.clock.advance(1'000'000s);
  EXPECT_EQ(clock.playback_time(f.now()), S + 1'500'000s);
}

TEST(PlaybackClock, DueIsTheFirstMicrosecondThePlaybackTimeReachesTheCommit) {
  for (const char* speed : {"1", "1.5", "0.25", "3", "0.7", "10"}) {
    PlaybackClock clock(S, Speed::parse(speed));
    const Instant t0 = sys_days{2024y / June / 1} + 10h;
    clock.start(t0);
    for (Micros offset{1}; offset < 3s; offset = offset * 3 + 7us) {
      const Instant at = clock.due(S + offset);
      EXPECT_GE(*clock.playback_time(at), S + offset) << speed << " " << offset.count();
      EXPECT_LT(*clock.playback_time(at - 1us), S + offset) << speed << " " << offset.count();
    }
  }
}

TEST(PlaybackClock, MakesEverythingDueAtOnceAtSpeedMax) {
  Fixture f;
  PlaybackClock clock(S, Speed::parse("max"));
  const Instant t0 = f.now();
  clock.start(t0);
  EXPECT_EQ(clock.due(S + 1s), t0);
  EXPECT_EQ(clock.due(S + 1000h), t0);
  EXPECT_EQ(clock.playback_time(f.now()), std::nullopt);
  f.clock.advance(1h);
  EXPECT_EQ(clock.behind(f.now(), S + 1s), 0us);
}

TEST(PlaybackClock, MakesCommitsAtOrBeforeTheStartDueWhenPlayingBegins) {
  PlaybackClock clock(S, Speed::parse("2"));
  const Instant t0 = S + 24h;
  clock.start(t0);
  EXPECT_EQ(clock.due(S), t0);
  EXPECT_EQ(clock.due(S - 1s), t0);
}

TEST(PlaybackClock, StopsThePlaybackTimeWhilePausedAndShiftsTheScheduleOnResume) {
  Fixture f;
  PlaybackClock clock(S, Speed::parse("1"));
  const Instant t0 = f.now();
  clock.start(t0);
  f.clock.advance(2s);
  clock.pause(f.now());
  EXPECT_EQ(clock.state(), PlaybackClock::State::paused);
  f.clock.advance(10s);
  EXPECT_EQ(clock.playback_time(f.now()), S + 2s);
  EXPECT_EQ(clock.due(S + 3s), Instant::max());
  clock.resume(f.now());
  EXPECT_EQ(clock.t0(), t0 + 10s);
  EXPECT_EQ(clock.due(S + 5s), t0 + 15s);
  f.clock.advance(1s);
  EXPECT_EQ(clock.playback_time(f.now()), S + 3s);
}

TEST(PlaybackClock, StaysExactOverManyPausesAndResumes) {
  Fixture f;
  PlaybackClock clock(S, Speed::parse("1.5"));
  const Instant t0 = f.now();
  clock.start(t0);
  for (int i = 0; i < 100; ++i) {
    f.clock.advance(1s);  // plays 1.5 s of recording
    clock.pause(f.now());
    f.clock.advance(milliseconds{333 + i});  // paused for an uneven time
    EXPECT_EQ(clock.playback_time(f.now()), S + 1500ms * (i + 1));
    clock.resume(f.now());
  }
  EXPECT_EQ(clock.playback_time(f.now()), S + 150s);
  // The next commit is due as if the 100 pauses had never happened, shifted by their sum.
  const Micros paused_total = milliseconds{333 * 100 + 99 * 100 / 2};
  EXPECT_EQ(clock.t0(), t0 + paused_total);
  EXPECT_EQ(clock.due(S + 153s), t0 + paused_total + 102s);
}

TEST(PlaybackClock, RefusesIllegalTransitions) {
  Fixture f;
  PlaybackClock clock(S, Speed::parse("1"));
  EXPECT_THROW(clock.pause(f.now()), Error);
  EXPECT_THROW(clock.resume(f.now()), Error);
  clock.start(f.now());
  EXPECT_THROW(clock.start(f.now()), Error);
  EXPECT_THROW(clock.resume(f.now()), Error);
  clock.pause(f.now());
  try {
    clock.pause(f.now());
    FAIL() << "a second pause was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.recovery(), Recovery::conflict);
    EXPECT_EQ(e.message(), "playback clock: cannot pause while paused");
  }
  EXPECT_EQ(clock.state(), PlaybackClock::State::paused);
}

TEST(PlaybackClock, ReportsHowLateTheApplierIs) {
  Fixture f;
  PlaybackClock clock(S, Speed::parse("2"));
  const Instant t0 = f.now();
  clock.start(t0);
  // Committed at S+10s, due at t0+5s.
  f.clock.advance(4s);
  EXPECT_EQ(clock.behind(f.now(), S + 10s), 0us);  // applied early: not behind
  f.clock.advance(2500ms);
  EXPECT_EQ(clock.behind(f.now(), S + 10s), 1500ms);
  // While paused the lateness stops growing.
  clock.pause(f.now());
  f.clock.advance(1h);
  EXPECT_EQ(clock.behind(f.now(), S + 10s), 1500ms);
}

TEST(PlaybackClock, ChangesSpeedWithoutAJumpInPlaybackTime) {
  Fixture f;
  PlaybackClock clock(S, Speed::parse("1"));
  clock.start(f.now());
  f.clock.advance(10s);
  clock.set_speed(Speed::parse("4"), f.now(), S);
  EXPECT_EQ(clock.playback_time(f.now()), S + 10s);
  EXPECT_EQ(clock.due(S + 30s), f.now() + 5s);
  f.clock.advance(1s);
  EXPECT_EQ(clock.playback_time(f.now()), S + 14s);
}

TEST(PlaybackClock, GoesOnFromWhatWasReachedWhenLeavingSpeedMax) {
  Fixture f;
  PlaybackClock clock(S, Speed::max());
  clock.start(f.now());
  f.clock.advance(1s);
  clock.set_speed(Speed::parse("1"), f.now(), S + 1h);
  EXPECT_EQ(clock.playback_time(f.now()), S + 1h);
  EXPECT_EQ(clock.due(S + 1h + 2s), f.now() + 2s);
}

TEST(PlaybackClock, RebasedWhilePausedStaysAtTheNewMomentUntilResumed) {
  Fixture f;
  PlaybackClock clock(S, Speed::parse("2"));
  clock.start(f.now());
  f.clock.advance(1s);
  clock.pause(f.now());
  clock.rebase(S + 7s, f.now());
  f.clock.advance(1h);
  EXPECT_EQ(clock.playback_time(f.now()), S + 7s);
  EXPECT_EQ(clock.due(S + 8s), Instant::max());
  clock.resume(f.now());
  EXPECT_EQ(clock.due(S + 9s), f.now() + 1s);
}

TEST(PlaybackClock, RebasedWhileReadyStartsFromTheNewMoment) {
  Fixture f;
  PlaybackClock clock(S, Speed::parse("1"));
  clock.rebase(S + 1h, f.now());
  EXPECT_EQ(clock.playback_time(f.now()), S + 1h);
  clock.start(f.now());
  EXPECT_EQ(clock.due(S + 1h + 3s), f.now() + 3s);
}

}  // namespace
}  // namespace tapedeck::msgop
