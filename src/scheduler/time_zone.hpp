// A named IANA time zone (from the system's tzdata) and the local <-> UTC conversions cron needs.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace tapedeck::scheduler {

// A handle on one zone of the process-wide, read-only time-zone database (date/tz reading
// /usr/share/zoneinfo). Cheap to copy; the zone it points to lives until the process ends.
// Safe to use from any thread.
class TimeZone {
 public:
  // Throws Error(config, not_found) when `name` (e.g. "Europe/Berlin") is not a known zone.
  static TimeZone locate(std::string_view name);
  static TimeZone utc();

  std::string_view name() const;

  // The wall-clock time shown in this zone at `instant`.
  std::chrono::local_seconds to_local(std::chrono::sys_seconds instant) const;

  // The first instant at which this zone's wall clock reads `local` or later:
  // - a local time that exists once: that instant;
  // - a local time that occurs twice (clocks fall back): its first occurrence;
  // - a local time skipped by a gap (clocks spring forward): the first instant after the gap.
  std::chrono::sys_seconds first_instant_at(std::chrono::local_seconds local) const;

  // UTC offset in force at `instant` (east of Greenwich is positive).
  std::chrono::seconds offset_at(std::chrono::sys_seconds instant) const;

  friend bool operator==(const TimeZone& a, const TimeZone& b) { return a.zone_ == b.zone_; }

 private:
  explicit TimeZone(const date::time_zone* zone) : zone_(zone) {}
  const date::time_zone* zone_;
};

}  // namespace tapedeck::scheduler
