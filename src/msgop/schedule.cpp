// Speed parsing and the PlaybackClock arithmetic (exact, in microseconds and millionths).
#include "msgop/schedule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace tapedeck::msgop {

namespace {

constexpr std::int64_t max_millionths = Speed::one * 1'000'000;

[[noreturn]] void bad_speed(std::string_view text, std::string_view why) {
  throw Error(ErrorSource::input, Recovery::invalid,
              fmt::format("speed '{}': {}; use a positive number such as 0.25, 1 or 10 (at "
                          "most 6 decimals, at most 1000000), or 'max'",
                          text, why));
}

bool all_digits(std::string_view text) {
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

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

Speed Speed::factor(double factor) {
  if (!std::isfinite(factor) || factor <= 0) {
    bad_speed(fmt::format("{}", factor), "not a positive number");
  }
  const double millionths = std::round(factor * static_cast<double>(one));
  if (millionths < 1 || millionths > static_cast<double>(max_millionths)) {
    bad_speed(fmt::format("{}", factor), "out of range");
  }
  return Speed{static_cast<std::int64_t>(millionths)};
}

Speed Speed::parse(std::string_view text) {
  if (text.size() == 3 && std::tolower(static_cast<unsigned char>(text[0])) == 'm' &&
      std::tolower(static_cast<unsigned char>(text[1])) == 'a' &&
      std::tolower(static_cast<unsigned char>(text[2])) == 'x') {
    return max();
  }
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if ((whole.empty() && fraction.empty()) || !all_digits(whole) || !all_digits(fraction) ||
      (dot != std::string_view::npos && fraction.empty())) {
    bad_speed(text, "not a number");
  }
  if (fraction.size() > 6) bad_speed(text, "more than 6 decimals");
  if (whole.size() > 7) bad_speed(text, "out of range");
  std::int64_t units = 0;
  if (!whole.empty()) std::from_chars(whole.data(), whole.data() + whole.size(), units);
  std::int64_t millionths = units * one;
  std::int64_t scale = one / 10;
  for (char digit : fraction) {
    millionths += (digit - '0') * scale;
    scale /= 10;
  }
  if (millionths == 0) bad_speed(text, "must be greater than 0");
  if (millionths > max_millionths) bad_speed(text, "out of range");
  return Speed{millionths};
}

std::string Speed::str() const {
  if (is_max()) return "max";
  std::string text = std::to_string(millionths_ / one);
  std::int64_t fraction = millionths_ % one;
  if (fraction == 0) return text;
  std::string digits = fmt::format("{:06}", fraction);
  while (digits.back() == '0') digits.pop_back();
  return text + "." + digits;
}

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

PlaybackClock::PlaybackClock(Instant session_start, Speed speed)
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

std::optional<Instant> PlaybackClock::playback_time(Instant now) const {
  if (state_ == State::ready) return session_start_;
  if (speed_.is_max()) return std::nullopt;
  const Instant wall = state_ == State::paused ? paused_at_ : now;
  const __int128 elapsed = std::max(wall - t0_, Micros::zero()).count();
  return session_start_ + to_micros(floor_div(elapsed * speed_.millionths(), Speed::one));
}

Instant PlaybackClock::scheduled(Instant commit) const {
  if (state_ == State::ready) illegal("compute a due time", state_);
  if (speed_.is_max() || commit <= session_start_) return t0_;
  const __int128 offset = (commit - session_start_).count();
  return t0_ + to_micros(ceil_div(offset * Speed::one, speed_.millionths()));
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
