// Epoch counts and ISO-8601 strings to PostgreSQL date/time input text (proleptic Gregorian).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tapedeck::transform::temporal {

// Appends "YYYY-MM-DD" for a count of days since 1970-01-01; years before 1 get " BC"
// only when `era` is true (callers that append a time first pass false and add it later).
// Returns true when the date is BC.
bool append_date(std::string& out, std::int64_t days_since_epoch, bool era = true);

// Appends "HH:MM:SS[.fff]" for `units` since midnight, `per_second` units a second
// (1000, 1000000, 1000000000); trailing fraction zeros are dropped. Up to 24:00:00.
// Returns false (appending nothing) when the value is outside 0..24h.
bool append_time_of_day(std::string& out, std::int64_t units, std::int64_t per_second);

// Appends "YYYY-MM-DD HH:MM:SS[.ffffff][ BC]" for `units` since the epoch.
void append_timestamp(std::string& out, std::int64_t units, std::int64_t per_second);

// Debezium's ZonedTimestamp ("2011-11-11T03:11:11.123456Z", 0-9 fraction digits, optional
// seconds, signed or extended years) as "YYYY-MM-DD HH:MM:SS[.f]+00[ BC]". "infinity" and
// "-infinity" pass through. Returns false on anything else.
bool append_zoned_timestamp(std::string& out, std::string_view iso);

// Debezium's ZonedTime ("11:11:11.00001Z") as "HH:MM:SS[.f]+00". False when malformed.
bool append_zoned_time(std::string& out, std::string_view iso);

// True for "YYYY-MM-DD" (what some converters send for dates).
bool is_iso_date(std::string_view text);

// True for an ISO-8601 duration with designators as Debezium's Interval prints it
// ("P1Y2M3DT4H5M6.78S", negative parts allowed), which PostgreSQL reads exactly.
bool is_iso_interval(std::string_view text);

}  // namespace tapedeck::transform::temporal
