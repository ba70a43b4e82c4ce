// Session states, transitions and event naming.
#include "core/session.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <random>

namespace tapedeck::session {

namespace {

using enum State;

constexpr std::array<std::string_view, 9> kStateNames = {"initializing", "restoring", "catching_up",
                                                         "ready",        "playing",   "paused",
                                                         "seeking",      "ended",     "failed"};

constexpr State kRestoreBegin[] = {initializing};
constexpr State kRestoreOk[] = {restoring};
constexpr State kCatchUpDone[] = {catching_up};
constexpr State kStart[] = {ready};
constexpr State kPause[] = {playing};
constexpr State kResume[] = {paused};
constexpr State kSeek[] = {ready, playing, paused};
constexpr State kFinish[] = {playing};
constexpr State kEnd[] = {initializing, restoring, catching_up, ready,
                          playing,      paused,    seeking,     failed};
constexpr State kFail[] = {initializing, restoring, catching_up, ready, playing, paused, seeking};

bool parse_two_digits(std::string_view text, std::size_t at, int& out) {
  if (at + 2 > text.size()) return false;
  auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + 2, out);
  return ec == std::errc() && end == text.data() + at + 2;
}

}  // namespace

std::string_view to_string(State state) {
  return kStateNames[static_cast<std::size_t>(state)];
}

std::optional<State> parse_state(std::string_view text) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == text) return static_cast<State>(i);
  }
  return std::nullopt;
}

bool is_terminal(State state) {
  return state == ended || state == failed;
}

std::string_view to_string(Transition transition) {
  switch (transition) {
    case Transition::restore_begin:
      return "restore_begin";
    case Transition::restore_ok:
      return "restore_ok";
    case Transition::catch_up_done:
      return "catch_up_done";
    case Transition::start:
      return "start";
    case Transition::pause:
      return "pause";
    case Transition::resume:
      return "resume";
    case Transition::seek:
      return "seek";
    case Transition::finish:
      return "finish";
    case Transition::end:
      return "end";
    case Transition::fail:
      return "fail";
  }
  return "unknown";
}

std::span<const State> allowed_from(Transition transition) {
  switch (transition) {
    case Transition::restore_begin:
      return kRestoreBegin;
    case Transition::restore_ok:
      return kRestoreOk;
    case Transition::catch_up_done:
      return kCatchUpDone;
    case Transition::start:
      return kStart;
    case Transition::pause:
      return kPause;
    case Transition::resume:
      return kResume;
    case Transition::seek:
      return kSeek;
    case Transition::finish:
      return kFinish;
    case Transition::end:
      return kEnd;
    case Transition::fail:
      return kFail;
  }
  return {};
}

State target(Transition transition) {
  switch (transition) {
    case Transition::restore_begin:
      return restoring;
    case Transition::restore_ok:
      return catching_up;
    case Transition::catch_up_done:
      return ready;
    case Transition::start:
      return playing;
    case Transition::pause:
      return paused;
    case Transition::resume:
      return playing;
    case Transition::seek:
      return seeking;
    case Transition::finish:
      return ended;
    case Transition::end:
      return ended;
    case Transition::fail:
      return failed;
  }
  return failed;
}

std::optional<State> apply(State from, Transition transition) {
  for (const State allowed : allowed_from(transition)) {
    if (allowed == from) return target(transition);
  }
  return std::nullopt;
}

std::string subject(std::string_view session_id, std::string_view event) {
  return fmt::format("{}.{}.{}", kSubjectPrefix, session_id, event);
}

std::string stream_subjects() {
  return fmt::format("{}.>", kSubjectPrefix);
}

std::optional<std::pair<std::string, std::string>> parse_subject(std::string_view text) {
  const std::string prefix = fmt::format("{}.", kSubjectPrefix);
  if (!text.starts_with(prefix)) return std::nullopt;
  text.remove_prefix(prefix.size());
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size()) return std::nullopt;
  return std::pair{std::string(text.substr(0, dot)), std::string(text.substr(dot + 1))};
}

std::string new_session_id() {
  std::random_device random;
  const std::uint64_t bits = (static_cast<std::uint64_t>(random()) << 32) | random();
  return fmt::format("s{:012x}", bits & 0xFFFFFFFFFFFFULL);
}

bool valid_session_id(std::string_view id) {
  if (id.size() != 13 || id[0] != 's') return false;
  for (const char c : id.substr(1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string database_name(std::string_view name_template, std::string_view session_id) {
  std::string name(name_template);
  const auto at = name.find("<id>");
  if (at != std::string::npos) name.replace(at, 4, session_id);
  return name;
}

bool is_fixed_database(std::string_view name_template) {
  return name_template.find("<id>") == std::string_view::npos;
}

std::string format_time(Time time) {
  const auto days = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date(days);
  const std::chrono::hh_mm_ss clock(time - days);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:06d}Z", int(date.year()),
                     unsigned(date.month()), unsigned(date.day()), clock.hours().count(),
                     clock.minutes().count(), clock.seconds().count(), clock.subseconds().count());
}

std::optional<Time> parse_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+hh:mm|-hh:mm); a space is accepted for the 'T'.
  if (text.size() < 20) return std::nullopt;
  int year = 0;
  auto [year_end, year_ec] = std::from_chars(text.data(), text.data() + 4, year);
  if (year_ec != std::errc() || year_end != text.data() + 4) return std::nullopt;
  int month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != ' ') || text[13] != ':' ||
      text[16] != ':' || !parse_two_digits(text, 5, month) || !parse_two_digits(text, 8, day) ||
      !parse_two_digits(text, 11, hour) || !parse_two_digits(text, 14, minute) ||
      !parse_two_digits(text, 17, second)) {
    return std::nullopt;
  }
  std::size_t at = 19;
  std::int64_t micros = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    int digits = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[at] - '0');
      ++digits;
      ++at;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  std::chrono::minutes offset{0};
  if (at < text.size() && text[at] == 'Z' && at + 1 == text.size()) {
    // UTC
  } else if (at + 6 == text.size() && (text[at] == '+' || text[at] == '-') && text[at + 3] == ':') {
    int offset_hours = 0, offset_minutes = 0;
    if (!parse_two_digits(text, at + 1, offset_hours) ||
        !parse_two_digits(text, at + 4, offset_minutes)) {
      return std::nullopt;
    }
    offset = std::chrono::hours(offset_hours) + std::chrono::minutes(offset_minutes);
    if (text[at] == '-') offset = -offset;
  } else {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return Time(std::chrono::sys_days(date)) + std::chrono::hours(hour) +
         std::chrono::minutes(minute) + std::chrono::seconds(second) +
         std::chrono::microseconds(micros) - offset;
}

nlohmann::json event_body(std::string_view session_id, std::string_view event,
                          nlohmann::json fields) {
  const auto now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  fields["session_id"] = session_id;
  fields["event"] = event;
  fields["sent_at"] = format_time(now);
  return fields;
}

}  // namespace tapedeck::session
