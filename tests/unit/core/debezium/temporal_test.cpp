// Dates, times, timestamps and intervals: each PostgreSQL text written the Debezium way reads
// back as the same PostgreSQL text.
#include "core/debezium/temporal.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/debezium/sentinels.hpp"

namespace tapedeck::debezium {
namespace {

std::string date_round_trip(std::string_view text) {
  std::int64_t days = 0;
  EXPECT_TRUE(parse_pg_date(text, days)) << text;
  std::string out;
  append_pg_date(out, days);
  return out;
}

std::string timestamp_round_trip(std::string_view text) {
  std::int64_t micros = 0;
  EXPECT_TRUE(parse_pg_timestamp(text, micros)) << text;
  std::string out;
  append_pg_timestamp(out, micros, 1'000'000);
  return out;
}

std::string timestamptz_round_trip(std::string_view text, int fraction_digits = -1) {
  std::int64_t micros = 0;
  EXPECT_TRUE(parse_pg_timestamptz(text, micros)) << text;
  std::string iso;
  append_iso_instant(iso, micros, fraction_digits);
  std::string out;
  EXPECT_TRUE(append_pg_timestamptz(out, iso)) << iso;
  return out;
}

TEST(DebeziumTemporal, DatesRoundTripThroughDaysSinceTheEpoch) {
  for (const char* date : {"1970-01-01", "2024-02-29", "1969-12-31", "0001-01-01", "9999-12-31",
                           "0001-01-01 BC", "0044-03-15 BC", "294276-12-31"}) {
    EXPECT_EQ(date_round_trip(date), date);
  }
  std::int64_t days = 0;
  ASSERT_TRUE(parse_pg_date("2018-06-20", days));
  EXPECT_EQ(days, 17702);
}

TEST(DebeziumTemporal, InfiniteDatesAndTimestampsTravelAsSentinels) {
  std::int64_t value = 0;
  ASSERT_TRUE(parse_pg_date("infinity", value));
  EXPECT_EQ(value, kDatePositiveInfinityDays);
  EXPECT_TRUE(is_infinite_date(value));
  EXPECT_EQ(date_round_trip("infinity"), "infinity");
  EXPECT_EQ(date_round_trip("-infinity"), "-infinity");
  ASSERT_TRUE(parse_pg_timestamp("-infinity", value));
  EXPECT_EQ(value, kTimestampNegativeInfinity);
  EXPECT_EQ(timestamp_round_trip("infinity"), "infinity");
  EXPECT_EQ(timestamp_round_trip("-infinity"), "-infinity");
}

TEST(DebeziumTemporal, TimestampsRoundTripThroughEpochMicroseconds) {
  for (const char* ts :
       {"1970-01-01 00:00:00", "2018-06-20 10:00:00.5", "1969-12-31 23:59:59.999999",
        "2000-02-29 12:34:56.000001", "0001-01-01 00:00:00 BC"}) {
    EXPECT_EQ(timestamp_round_trip(ts), ts);
  }
}

TEST(DebeziumTemporal, TimestampMillisRoundDownBefore1970) {
  std::int64_t micros = 0;
  ASSERT_TRUE(parse_pg_timestamp("1969-12-31 23:59:59.9995", micros));
  EXPECT_EQ(timestamp_millis(micros), -1);
  std::string out;
  append_pg_timestamp(out, timestamp_millis(micros), 1000);
  EXPECT_EQ(out, "1969-12-31 23:59:59.999");
}

TEST(DebeziumTemporal, TimestamptzRoundTripsThroughZonedTimestampInUtc) {
  EXPECT_EQ(timestamptz_round_trip("2018-06-20 12:00:00.25+02"), "2018-06-20 10:00:00.25+00");
  EXPECT_EQ(timestamptz_round_trip("2018-06-20 10:00:00+00", 3), "2018-06-20 10:00:00+00");
  EXPECT_EQ(timestamptz_round_trip("0001-06-20 10:00:00+00 BC"), "0001-06-20 10:00:00+00 BC");
  EXPECT_EQ(timestamptz_round_trip("12345-01-01 00:00:00-05:30"), "12345-01-01 05:30:00+00");
  std::string iso;
  append_iso_instant(iso, 1'529'488'800'500'000, 3);
  EXPECT_EQ(iso, "2018-06-20T10:00:00.500Z");
}

TEST(DebeziumTemporal, TimesRoundTripInEachUnit) {
  std::int64_t micros = 0;
  ASSERT_TRUE(parse_pg_time("10:11:12.345678", micros));
  std::string out;
  ASSERT_TRUE(append_pg_time(out, micros, 1'000'000));
  EXPECT_EQ(out, "10:11:12.345678");
  out.clear();
  ASSERT_TRUE(append_pg_time(out, micros / 1000, 1000));
  EXPECT_EQ(out, "10:11:12.345");
  ASSERT_TRUE(parse_pg_time("24:00:00", micros));
  out.clear();
  ASSERT_TRUE(append_pg_time(out, micros, 1'000'000));
  EXPECT_EQ(out, "24:00:00");
  EXPECT_FALSE(append_pg_time(out, -1, 1000));
}

TEST(DebeziumTemporal, TimetzRoundTripsThroughZonedTimeInUtc) {
  std::int64_t micros = 0, offset = 0;
  ASSERT_TRUE(parse_pg_timetz("01:30:00.5+02", micros, offset));
  std::string iso;
  append_iso_utc_time(iso, micros, offset);
  EXPECT_EQ(iso, "23:30:00.5Z");
  std::string out;
  ASSERT_TRUE(append_pg_timetz(out, iso));
  EXPECT_EQ(out, "23:30:00.5+00");
  iso.clear();
  ASSERT_TRUE(parse_pg_timetz("24:00:00+00", micros, offset));
  append_iso_utc_time(iso, micros, offset);
  EXPECT_EQ(iso, "24:00:00Z");
}

TEST(DebeziumTemporal, IntervalsRoundTripExactlyAsIso8601) {
  IntervalParts parts;
  std::string why;
  ASSERT_TRUE(parse_pg_interval("1 year 2 mons -3 days +04:05:06.78", parts, why)) << why;
  std::string iso;
  append_iso_interval(iso, parts);
  EXPECT_EQ(iso, "P1Y2M-3DT4H5M6.78S");
  EXPECT_TRUE(is_iso_interval(iso));
  ASSERT_TRUE(parse_pg_interval("-00:00:01.5", parts, why));
  iso.clear();
  append_iso_interval(iso, parts);
  EXPECT_EQ(iso, "P0Y0M0DT0H0M-1.5S");
  EXPECT_TRUE(is_iso_interval(iso));
  EXPECT_FALSE(parse_pg_interval("3 fortnights", parts, why));
  EXPECT_EQ(why, "unknown unit 'fortnights' at offset 0");
}

TEST(DebeziumTemporal, MicroDurationAveragesMonths) {
  IntervalParts parts;
  std::string why;
  ASSERT_TRUE(parse_pg_interval("1 mon 00:00:01", parts, why));
  EXPECT_EQ(micro_duration(parts), 2'629'800'000'000 + 1'000'000);
}

TEST(DebeziumTemporal, AdaptivePrecisionUsesMillisUpToThreeFractionDigits) {
  EXPECT_TRUE(adaptive_precision_is_millis(0));
  EXPECT_TRUE(adaptive_precision_is_millis(3));
  EXPECT_FALSE(adaptive_precision_is_millis(4));
  EXPECT_FALSE(adaptive_precision_is_millis(6));
}

TEST(DebeziumTemporal, RefusesTextThatIsNotItsType) {
  std::int64_t value = 0, offset = 0;
  EXPECT_FALSE(parse_pg_date("20-06-2018", value));
  EXPECT_FALSE(parse_pg_timestamptz("2018-06-20 10:00:00", value));
  EXPECT_FALSE(parse_pg_timetz("10:00:00", value, offset));
  std::string out;
  EXPECT_FALSE(append_pg_timestamptz(out, "2018-06-20 10:00:00"));
  EXPECT_FALSE(is_iso_date("2018-6-20"));
  EXPECT_TRUE(is_iso_date("2018-06-20"));
}

}  // namespace
}  // namespace tapedeck::debezium
