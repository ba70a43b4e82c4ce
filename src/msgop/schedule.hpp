// The paced-replay schedule: when a recorded transaction is due, and the playback time now.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/speed.hpp"

namespace tapedeck::msgop {

// Every instant and duration of the schedule is in whole microseconds (PostgreSQL's commit
// timestamp resolution), so the arithmetic is exact.
using Micros = std::chrono::microseconds;
using Instant = std::chrono::sys_time<Micros>;

// The clock of one playback session (DESIGN §3.4): session start S, speed, and t0, the
// wall-clock instant playing began, shifted by every pause. A transaction committed at c is
// due at t0 + (c - S) / speed. Everything is computed from t0 on each call, so no error
// accumulates however long the session plays.
//
// All `now` arguments must come from one clock (msgop passes its Clock's wall time). A
// value owned by the session's replay loop; not thread-safe: guard it if shared.
class PlaybackClock {
 public:
  enum class State { ready, playing, paused };

  PlaybackClock(Instant session_start, session::Speed speed);

  // ready -> playing: t0 = now. Throws Error(internal, conflict) from any other state.
  void start(Instant now);
  // playing -> paused: the playback time stops at `now`. Throws Error(internal, conflict)
  // unless playing.
  void pause(Instant now);
  // paused -> playing: t0 moves forward by the time spent paused. Throws Error(internal,
  // conflict) unless paused.
  void resume(Instant now);

  // The playback time becomes `moment` at wall time `now`, in whatever state the clock is
  // (a step or a seek moved the session): playing goes on from there, paused stays there,
  // ready starts there.
  void rebase(Instant moment, Instant now);
  // A new speed from wall time `now` on, without a jump in playback time: the clock is rebased
  // at the playback time now (`reached`, what the applier has reached, at speed max).
  void set_speed(session::Speed speed, Instant now, Instant reached);

  State state() const { return state_; }
  // The moment playing starts from: the session start, moved by rebase() and set_speed().
  Instant session_start() const { return session_start_; }
  session::Speed speed() const { return speed_; }
  // When playing began, shifted by the pauses so far; the session start time before start().
  Instant t0() const { return t0_; }

  // The recorded moment being replayed at wall time `now`: S before start, S + (now - t0) *
  // speed while playing, frozen while paused. nullopt once started at speed max, where
  // the playback time is whatever the applier has reached.
  std::optional<Instant> playback_time(Instant now) const;

  // The first wall-clock microsecond at which playback_time reaches `commit` (so
  // playback_time(due(c)) >= c > playback_time(due(c) - 1us)). A commit at or before S, and
  // every commit at speed max, is due at t0. While paused nothing is due: Instant::max().
  // Throws Error(internal, conflict) before start().
  Instant due(Instant commit) const;

  // How late a transaction committed at `commit` is when applied at wall time `now`:
  // now - due(commit), or zero when on time. While paused, `now` counts as the pause
  // instant. Always zero at speed max. Throws Error(internal, conflict) before start().
  Micros behind(Instant now, Instant commit) const;

 private:
  Instant scheduled(Instant commit) const;  // due time ignoring a pause in progress

  Instant session_start_;
  session::Speed speed_;
  State state_ = State::ready;
  Instant t0_;
  Instant paused_at_{};
};

std::string_view to_string(PlaybackClock::State state);

}  // namespace tapedeck::msgop
