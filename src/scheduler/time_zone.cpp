// TimeZone over date/tz (USE_OS_TZDB: the system's TZif files).
#include "scheduler/time_zone.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include "core/error.hpp"

namespace tapedeck::scheduler {

namespace {
date::local_seconds to_date(std::chrono::local_seconds local) {
  return date::local_seconds{local.time_since_epoch()};
}
}  // namespace

TimeZone TimeZone::locate(std::string_view name) {
  try {
    return TimeZone{date::locate_zone(name)};
  } catch (const std::exception& e) {
    throw Error(ErrorSource::config, Recovery::not_found,
                fmt::format("time zone '{}' is not in the system's time-zone database "
                            "(/usr/share/zoneinfo): use an IANA name such as 'Europe/Berlin' "
                            "or 'UTC' ({})",
                            name, e.what()));
  }
}

TimeZone TimeZone::utc() {
  return locate("Etc/UTC");
}

std::string_view TimeZone::name() const {
  return zone_->name();
}

std::chrono::local_seconds TimeZone::to_local(std::chrono::sys_seconds instant) const {
  return std::chrono::local_seconds{instant.time_since_epoch() + offset_at(instant)};
}

std::chrono::sys_seconds TimeZone::first_instant_at(std::chrono::local_seconds local) const {
  const date::local_info info = zone_->get_info(to_date(local));
  if (info.result == date::local_info::nonexistent) return info.second.begin;
  // unique and ambiguous alike: `first` is the offset in force at the earlier occurrence.
  return std::chrono::sys_seconds{local.time_since_epoch() - info.first.offset};
}

std::chrono::seconds TimeZone::offset_at(std::chrono::sys_seconds instant) const {
  return zone_->get_info(instant).offset;
}

}  // namespace tapedeck::scheduler
