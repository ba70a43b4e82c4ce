// The PlaybackClock arithmetic (exact, in microseconds and millionths).
#include "msgop/schedule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace tapedeck::msgop {

namespace {

// floor(a / b) and ceil(a / b) for b > 0, on 128-bit intermediates.
__int128 floor_div(__int128 a, __int128 b) {
  const __int128 q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
__int128 ceil_div(__int128 a, __int128 b) {
  const __int128 q = a / b;
  return (a % b != 0 && a > 0) ? q + 1 : q;
}

Micros to_micros(__int128 value) {
  constexpr __int128 limit = std::numeric_limits<Micros::rep>::max();
  if (value > limit || value < -limit) {
    throw Error(ErrorSource::internal, Recovery::invalid,
                "playback clock: time out of range (more than 292000 years)");
  }
  return Micros{static_cast<Micros::rep>(value)};
}

[[noreturn]] void illegal(std::string_view action, PlaybackClock::State state) {
  throw Error(ErrorSource::internal, Recovery::conflict,
              fmt::format("playback clock: cannot {} while {}", action, to_string(state)));
}

}  // namespace

std::string_view to_string(PlaybackClock::State state) {
  switch (state) {
    case PlaybackClock::State::ready:
      return "ready";
    case PlaybackClock::State::playing:
      return "playing";
    case PlaybackClock::State::paused:
      return "paused";
  }
  return "unknown";
}

PlaybackClock::PlaybackClock(Instant session_start, session::Speed speed)
    : session_start_(session_start), speed_(speed), t0_(session_start) {}

void PlaybackClock::start(Instant now) {
  if (state_ != State::ready) illegal("start", state_);
  t0_ = now;
  state_ = State::playing;
}

void PlaybackClock::pause(Instant now) {
  if (state_ != State::playing) illegal("pause", state_);
  // A pause stamped before t0 (a clock read before start) stops the clock at t0.
  paused_at_ = std::max(now, t0_);
  state_ = State::paused;
}

void PlaybackClock::resume(Instant now) {
  if (state_ != State::paused) illegal("resume", state_);
  t0_ += std::max(now - paused_at_, Micros::zero());
  state_ = State::playing;
}

void PlaybackClock::rebase(Instant moment, Instant now) {
  session_start_ = moment;
  switch (state_) {
    case State::ready:
      t0_ = moment;
      break;
    case State::playing:
      t0_ = now;
      break;
    case State::paused:
      t0_ = paused_at_;
      break;
  }
}

void PlaybackClock::set_speed(session::Speed speed, Instant now, Instant reached) {
  if (state_ != State::ready) rebase(playback_time(now).value_or(reached), now);
  speed_ = speed;
}

std::optional<Instant> PlaybackClock::playback_time(Instant now) const {
  if (state_ == State::ready) return session_start_;
  if (speed_.is_max()) return std::nullopt;
  const Instant wall = state_ == State::paused ? paused_at_ : now;
  const __int128 elapsed = std::max(wall - t0_, Micros::zero()).count();
  return session_start_ + to_micros(floor_div(elapsed * speed_.millionths(), session::Speed::one));
}

Instant PlaybackClock::scheduled(Instant commit) const {
  if (state_ == State::ready) illegal("compute a due time", state_);
  if (speed_.is_max() || commit <= session_start_) return t0_;
  const __int128 offset = (commit - session_start_).count();
  return t0_ + to_micros(ceil_div(offset * session::Speed::one, speed_.millionths()));
}

Instant PlaybackClock::due(Instant commit) const {
  const Instant at = scheduled(commit);
  return state_ == State::paused ? Instant::max() : at;
}

Micros PlaybackClock::behind(Instant now, Instant commit) const {
  const Instant at = scheduled(commit);
  if (speed_.is_max()) return Micros::zero();
  const Instant wall = state_ == State::paused ? std::min(now, paused_at_) : now;
  return std::max(wall - at, Micros::zero());
}

}  // namespace tapedeck::msgop
