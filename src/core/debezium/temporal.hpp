// Dates, times, timestamps and intervals, both ways: PostgreSQL's text output
// (DateStyle=ISO, IntervalStyle=postgres) to Debezium's epoch counts and ISO-8601 strings
// (capture), and those back to PostgreSQL input text (transform). Proleptic Gregorian, no
// time zone library: every instant is UTC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tapedeck::debezium {

// Days since 1970-01-01 of a proleptic Gregorian date (astronomical years: 0 is 1 BC).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

// time.precision.mode=adaptive: a time or timestamp column with 0 to 3 fraction digits
// travels in milliseconds (Time, Timestamp), one with 4 to 6 in microseconds (MicroTime,
// MicroTimestamp). A column without a declared precision has 6.
bool adaptive_precision_is_millis(int fraction_digits);

// --- PostgreSQL to Debezium (capture) ---
// Each parser returns false when the text is not of its type.

// "YYYY-MM-DD[ BC]" or ±"infinity" -> io.debezium.time.Date days (the infinity sentinels).
bool parse_pg_date(std::string_view text, std::int64_t& days);

// "HH:MM:SS[.ffffff]" (24:00:00 allowed) -> microseconds past midnight.
bool parse_pg_time(std::string_view text, std::int64_t& micros);

// "HH:MM:SS[.ffffff]+HH[:MM[:SS]]" -> microseconds past midnight and seconds east of UTC.
bool parse_pg_timetz(std::string_view text, std::int64_t& micros, std::int64_t& offset_seconds);

// timestamp "YYYY-MM-DD HH:MM:SS[.ffffff][ BC]" or ±"infinity" -> microseconds since the
// epoch, the wall clock read as UTC (the infinity sentinels for ±infinity).
bool parse_pg_timestamp(std::string_view text, std::int64_t& micros);

// timestamptz "YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]][ BC]" -> microseconds since the epoch.
bool parse_pg_timestamptz(std::string_view text, std::int64_t& micros);

// An interval as PostgreSQL keeps it: months, days and microseconds, each with its own sign.
struct IntervalParts {
  std::int64_t months = 0, days = 0, micros = 0;
};

// IntervalStyle postgres ("1 year 2 mons -3 days +04:05:06.78") -> parts. On failure `why`
// says what is wrong ("unknown unit 'fortnights' at offset 2").
bool parse_pg_interval(std::string_view text, IntervalParts& parts, std::string& why);

// io.debezium.time.Timestamp: the microseconds of parse_pg_timestamp as milliseconds, rounded
// down (toward the past, also before 1970).
std::int64_t timestamp_millis(std::int64_t micros);

// io.debezium.time.ZonedTimestamp: the instant as java.time prints it in UTC
// ("2018-06-20T10:00:00.5Z", "+10000-...", "-0001-..."), with exactly `fraction_digits`
// fraction digits (1..9) or, for fraction_digits <= 0, ISO_OFFSET_DATE_TIME's minimal ones.
void append_iso_instant(std::string& out, std::int64_t unix_micros, int fraction_digits);

// io.debezium.time.ZonedTime: a timetz normalised to UTC, "HH:MM:SS[.f]Z"; 24:00:00+00 stays
// "24:00:00Z" (java.time cannot hold it; kept exact).
void append_iso_utc_time(std::string& out, std::int64_t micros, std::int64_t offset_seconds);

// io.debezium.time.Interval: "P1Y2M3DT4H5M6.78S", exact.
void append_iso_interval(std::string& out, const IntervalParts& parts);

// io.debezium.time.MicroDuration: Debezium's approximate microseconds (a month is 365.25/12
// days), which cannot be turned back exactly.
std::int64_t micro_duration(const IntervalParts& parts);

// --- Debezium to PostgreSQL (transform) ---

// True for the Date infinity sentinels.
bool is_infinite_date(std::int64_t days);

// Appends "YYYY-MM-DD[ BC]" for a count of days since 1970-01-01, or ±"infinity" for the
// sentinels.
void append_pg_date(std::string& out, std::int64_t days_since_epoch);

// Appends "HH:MM:SS[.fff]" for `units` since midnight, `per_second` units a second
// (1000, 1000000, 1000000000); trailing fraction zeros are dropped. Up to 24:00:00.
// Returns false (appending nothing) when the value is outside 0..24h.
bool append_pg_time(std::string& out, std::int64_t units, std::int64_t per_second);

// Appends "YYYY-MM-DD HH:MM:SS[.ffffff][ BC]" for `units` since the epoch, or ±"infinity"
// for the sentinels.
void append_pg_timestamp(std::string& out, std::int64_t units, std::int64_t per_second);

// Debezium's ZonedTimestamp ("2011-11-11T03:11:11.123456Z", 0-9 fraction digits, optional
// seconds, signed or extended years) as "YYYY-MM-DD HH:MM:SS[.f]+00[ BC]". "infinity" and
// "-infinity" pass through. Returns false on anything else.
bool append_pg_timestamptz(std::string& out, std::string_view iso);

// Debezium's ZonedTime ("11:11:11.00001Z") as "HH:MM:SS[.f]+00". False when malformed.
bool append_pg_timetz(std::string& out, std::string_view iso);

// True for "YYYY-MM-DD" (what some converters send for dates).
bool is_iso_date(std::string_view text);

// True for an ISO-8601 duration with designators as Debezium's Interval prints it
// ("P1Y2M3DT4H5M6.78S", negative parts allowed), which PostgreSQL reads exactly.
bool is_iso_interval(std::string_view text);

}  // namespace tapedeck::debezium
