// Cron expressions: parsing the classic syntax and finding the next run in a time zone.
#pragma once

#include <bitset>
#include <chrono>
#include <string>
#include <string_view>

#include "scheduler/time_zone.hpp"

namespace tapedeck::scheduler {

// A parsed cron expression. Immutable value, safe to share between threads.
//
// Syntax: "minute hour day-of-month month day-of-week", optionally preceded by a seconds field
// (6 fields). Each field is a comma-separated list of `*`, `n`, `a-b`, `*/step` or `a-b/step`.
// Months take JAN..DEC, days of week SUN..SAT (case-insensitive); 0 and 7 are both Sunday.
// Macros: @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
// Day rule (as Vixie cron): when both day-of-month and day-of-week are restricted (neither
// field starts with `*`), a day matching either runs; otherwise a day must match both.
class CronSchedule {
 public:
  // Throws Error(config, invalid) naming the field and the bad token, e.g.
  // "day-of-month field '32': value out of range 1-31".
  static CronSchedule parse(std::string_view text);

  // The first instant strictly after `after` whose wall-clock time in `zone` matches.
  // Daylight saving: a matching local time skipped by a spring-forward gap runs at the first
  // instant after the gap; a local time that occurs twice (fall back) runs at its first
  // occurrence only.
  std::chrono::sys_seconds next_after(std::chrono::sys_seconds after, const TimeZone& zone) const;

  // Whether the wall-clock time `local` matches every field.
  bool matches(std::chrono::local_seconds local) const;

  // The expression as given to parse().
  const std::string& text() const { return text_; }

 private:
  using Bits = std::bitset<64>;
  bool day_matches(std::chrono::local_days day) const;

  std::string text_;
  Bits seconds_, minutes_, hours_, days_of_month_, months_, days_of_week_;
  bool day_of_month_star_ = true;
  bool day_of_week_star_ = true;
};

}  // namespace tapedeck::scheduler
