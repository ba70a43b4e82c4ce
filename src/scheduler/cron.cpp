// Cron expression parser and next-run search (local wall-clock fields, mapped back to UTC).
#include "scheduler/cron.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

#include "core/error.hpp"

namespace tapedeck::scheduler {

namespace {

using namespace std::chrono;

struct FieldSpec {
  std::string_view name;
  int min;
  int max;                      // largest value accepted in the text (7 for day-of-week)
  std::string_view names_hint;  // "" when the field takes no names
  const std::array<std::string_view, 12>* names;  // names[i] has value i + names_base
  int names_base;
};

constexpr std::array<std::string_view, 12> month_names = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 12> day_names = {"SUN", "MON", "TUE", "WED",
                                                        "THU", "FRI", "SAT"};

constexpr FieldSpec second_field{"second", 0, 59, "", nullptr, 0};
constexpr FieldSpec minute_field{"minute", 0, 59, "", nullptr, 0};
constexpr FieldSpec hour_field{"hour", 0, 23, "", nullptr, 0};
constexpr FieldSpec day_of_month_field{"day-of-month", 1, 31, "", nullptr, 0};
constexpr FieldSpec month_field{"month", 1, 12, "a month name (JAN-DEC)", &month_names, 1};
constexpr FieldSpec day_of_week_field{"day-of-week", 0, 7, "a day name (SUN-SAT)", &day_names, 0};

[[noreturn]] void fail(const FieldSpec& field, std::string_view token, std::string_view problem) {
  throw Error(ErrorSource::config, Recovery::invalid,
              fmt::format("{} field '{}': {}", field.name, token, problem));
}

[[noreturn]] void fail_expression(std::string_view text, std::string_view problem) {
  throw Error(ErrorSource::config, Recovery::invalid,
              fmt::format("cron expression '{}': {}", text, problem));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

std::optional<int> parse_number(std::string_view token) {
  int value = 0;
  if (token.empty() || token.size() > 9) return std::nullopt;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc{} || end != token.data() + token.size()) return std::nullopt;
  return value;
}

int parse_value(const FieldSpec& field, std::string_view token) {
  if (auto number = parse_number(token)) {
    if (*number < field.min || *number > field.max) {
      fail(field, token, fmt::format("value out of range {}-{}", field.min, field.max));
    }
    return *number;
  }
  if (field.names != nullptr) {
    for (std::size_t i = 0; i < field.names->size(); ++i) {
      if (!(*field.names)[i].empty() && iequals(token, (*field.names)[i])) {
        return static_cast<int>(i) + field.names_base;
      }
    }
    fail(field, token, fmt::format("not a number or {}", field.names_hint));
  }
  fail(field, token, "not a number");
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end == std::string_view::npos ? end : end - begin));
    if (end == std::string_view::npos) return parts;
    begin = end + 1;
  }
}

std::bitset<64> parse_field(const FieldSpec& field, std::string_view text) {
  std::bitset<64> bits;
  for (std::string_view item : split(text, ',')) {
    if (item.empty()) fail(field, text, "empty item in list");
    const std::size_t slash = item.find('/');
    const std::string_view range = item.substr(0, slash);
    int step = 1;
    if (slash != std::string_view::npos) {
      const std::string_view step_text = item.substr(slash + 1);
      const auto parsed = parse_number(step_text);
      if (!parsed) fail(field, item, fmt::format("step '{}' is not a number", step_text));
      if (*parsed < 1) fail(field, item, "step must be at least 1");
      step = *parsed;
    }
    int low = 0;
    int high = 0;
    if (range == "*") {
      low = field.min;
      // '*' in day-of-week is 0-6: 7 repeats Sunday.
      high = &field == &day_of_week_field ? 6 : field.max;
    } else if (const std::size_t dash = range.find('-'); dash != std::string_view::npos) {
      if (dash == 0 || dash + 1 == range.size()) {
        fail(field, item, "a range needs a start and an end: write 'a-b'");
      }
      low = parse_value(field, range.substr(0, dash));
      high = parse_value(field, range.substr(dash + 1));
      if (low > high) {
        fail(field, item, fmt::format("range start {} is greater than its end {}", low, high));
      }
    } else {
      if (slash != std::string_view::npos) {
        fail(field, item, "a step needs a range: write '*/n' or 'a-b/n'");
      }
      low = high = parse_value(field, range);
    }
    for (int value = low; value <= high; value += step) {
      bits.set(&field == &day_of_week_field && value == 7 ? 0 : static_cast<std::size_t>(value));
    }
  }
  return bits;
}

struct Macro {
  std::string_view name;
  std::string_view expansion;
};
constexpr std::array<Macro, 7> macros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t begin = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > begin) fields.push_back(text.substr(begin, i - begin));
  }
  return fields;
}

// Days in `month` in a leap year: the most it can ever have.
constexpr std::array<int, 13> max_days_in_month = {0,  31, 29, 31, 30, 31, 30,
                                                   31, 31, 30, 31, 30, 31};

}  // namespace

CronSchedule CronSchedule::parse(std::string_view text) {
  std::vector<std::string_view> fields = split_fields(text);
  if (fields.size() == 1 && fields[0].starts_with('@')) {
    const auto macro = std::find_if(macros.begin(), macros.end(),
                                    [&](const Macro& m) { return iequals(m.name, fields[0]); });
    if (macro == macros.end()) {
      fail_expression(text,
                      "unknown macro: use @yearly, @annually, @monthly, @weekly, @daily, "
                      "@midnight or @hourly");
    }
    CronSchedule schedule = parse(macro->expansion);
    schedule.text_ = std::string(text);
    return schedule;
  }
  if (fields.size() != 5 && fields.size() != 6) {
    fail_expression(text,
                    fmt::format("expected 5 fields (minute hour day-of-month month day-of-week) "
                                "or 6 with a leading seconds field, got {}",
                                fields.size()));
  }
  CronSchedule schedule;
  schedule.text_ = std::string(text);
  if (fields.size() == 5) {
    schedule.seconds_.set(0);
  } else {
    schedule.seconds_ = parse_field(second_field, fields.front());
    fields.erase(fields.begin());
  }
  schedule.minutes_ = parse_field(minute_field, fields[0]);
  schedule.hours_ = parse_field(hour_field, fields[1]);
  schedule.days_of_month_ = parse_field(day_of_month_field, fields[2]);
  schedule.months_ = parse_field(month_field, fields[3]);
  schedule.days_of_week_ = parse_field(day_of_week_field, fields[4]);
  schedule.day_of_month_star_ = fields[2].starts_with('*');
  schedule.day_of_week_star_ = fields[4].starts_with('*');

  // A day-of-month that no selected month ever has (e.g. 30 in February) never runs; only when
  // day-of-week cannot rescue it (a star means both must match).
  if (schedule.day_of_week_star_ || schedule.day_of_month_star_) {
    bool possible = false;
    for (int month = 1; month <= 12 && !possible; ++month) {
      if (!schedule.months_.test(month)) continue;
      for (int day = 1; day <= max_days_in_month[month] && !possible; ++day) {
        possible = schedule.days_of_month_.test(day);
      }
    }
    if (!possible) {
      fail(day_of_month_field, fields[2],
           fmt::format("no day of the selected months (month field '{}') matches", fields[3]));
    }
  }
  return schedule;
}

bool CronSchedule::day_matches(local_days day) const {
  const year_month_day date{day};
  const bool by_month_day = days_of_month_.test(static_cast<unsigned>(date.day()));
  const bool by_week_day = days_of_week_.test(weekday{day}.c_encoding());
  if (day_of_month_star_ || day_of_week_star_) return by_month_day && by_week_day;
  return by_month_day || by_week_day;
}

bool CronSchedule::matches(local_seconds local) const {
  const local_days day = floor<days>(local);
  const year_month_day date{day};
  const hh_mm_ss time{local - day};
  return months_.test(static_cast<unsigned>(date.month())) && day_matches(day) &&
         hours_.test(time.hours().count()) && minutes_.test(time.minutes().count()) &&
         seconds_.test(time.seconds().count());
}

sys_seconds CronSchedule::next_after(sys_seconds after, const TimeZone& zone) const {
  local_seconds local = zone.to_local(after) + seconds{1};
  // Feb 29 alone can be 8 years apart (2096 -> 2104); beyond that nothing will ever match.
  const local_seconds limit = local + days{366 * 9};
  while (local < limit) {
    const local_days day = floor<days>(local);
    const year_month_day date{day};
    if (!months_.test(static_cast<unsigned>(date.month()))) {
      local = local_days{year_month_day{date.year() / date.month() / 1} + months{1}};
      continue;
    }
    if (!day_matches(day)) {
      local = day + days{1};
      continue;
    }
    const hh_mm_ss time{local - day};
    const auto hour = time.hours();
    const auto minute = time.minutes();
    if (!hours_.test(hour.count())) {
      local = day + hour + hours{1};
      continue;
    }
    if (!minutes_.test(minute.count())) {
      local = day + hour + minute + minutes{1};
      continue;
    }
    if (!seconds_.test(time.seconds().count())) {
      local += seconds{1};
      continue;
    }
    const sys_seconds instant = zone.first_instant_at(local);
    // A local time whose first occurrence is not after `after` (the repeated hour when
    // clocks fall back) has run already: look further.
    if (instant > after) return instant;
    local += seconds{1};
  }
  throw Error(ErrorSource::config, Recovery::not_found,
              fmt::format("cron expression '{}' has no run in the 9 years after {:%F %T} UTC",
                          text_, after));
}

}  // namespace tapedeck::scheduler
