// Cron parsing and next-run search: field syntax, the day rule, leap years, DST, errors.
#include "scheduler/cron.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"

namespace tapedeck::scheduler {
namespace {

using namespace std::chrono;

sys_seconds utc(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

// The next `count` runs after `from`.
std::vector<sys_seconds> runs(std::string_view expression, sys_seconds from, int count,
                              const TimeZone& zone = TimeZone::utc()) {
  const CronSchedule schedule = CronSchedule::parse(expression);
  std::vector<sys_seconds> result;
  for (int i = 0; i < count; ++i) {
    from = schedule.next_after(from, zone);
    result.push_back(from);
  }
  return result;
}

std::string parse_error(std::string_view expression) {
  try {
    CronSchedule::parse(expression);
  } catch (const Error& e) {
    EXPECT_EQ(e.source(), ErrorSource::config);
    EXPECT_EQ(e.recovery(), Recovery::invalid);
    return e.message();
  }
  ADD_FAILURE() << "'" << expression << "' was accepted";
  return {};
}

TEST(CronSchedule, RunsEveryMinuteOnTheMinuteStrictlyAfterTheGivenInstant) {
  EXPECT_EQ(runs("* * * * *", utc(2024, 5, 1, 10, 0, 0), 2),
            (std::vector{utc(2024, 5, 1, 10, 1), utc(2024, 5, 1, 10, 2)}));
  EXPECT_EQ(runs("* * * * *", utc(2024, 5, 1, 10, 0, 59), 1)[0], utc(2024, 5, 1, 10, 1));
}

TEST(CronSchedule, RollsOverHourDayMonthAndYear) {
  EXPECT_EQ(runs("0 0 1 1 *", utc(2024, 12, 31, 23, 59, 59), 1)[0], utc(2025, 1, 1, 0, 0));
  EXPECT_EQ(runs("15 3 * * *", utc(2024, 1, 31, 4, 0), 1)[0], utc(2024, 2, 1, 3, 15));
}

TEST(CronSchedule, RunsOnADayMatchingEitherWhenDayOfMonthAndDayOfWeekAreBothRestricted) {
  // Fridays and every 13th, September 2024: Fri 6, Fri 13, Fri 20, Fri 27, then Oct 4 (Fri),
  // Oct 11 (Fri), Oct 13 (Sunday, the 13th).
  EXPECT_EQ(runs("0 0 13 * FRI", utc(2024, 9, 1, 0, 0), 7),
            (std::vector{utc(2024, 9, 6, 0, 0), utc(2024, 9, 13, 0, 0), utc(2024, 9, 20, 0, 0),
                         utc(2024, 9, 27, 0, 0), utc(2024, 10, 4, 0, 0), utc(2024, 10, 11, 0, 0),
                         utc(2024, 10, 13, 0, 0)}));
}

TEST(CronSchedule, UsesOnlyDayOfMonthWhenDayOfWeekIsAStar) {
  EXPECT_EQ(runs("0 0 13 * *", utc(2024, 9, 1, 0, 0), 2),
            (std::vector{utc(2024, 9, 13, 0, 0), utc(2024, 10, 13, 0, 0)}));
}

TEST(CronSchedule, UsesOnlyDayOfWeekWhenDayOfMonthIsAStar) {
  EXPECT_EQ(runs("0 0 * * MON", utc(2024, 9, 1, 0, 0), 2),
            (std::vector{utc(2024, 9, 2, 0, 0), utc(2024, 9, 9, 0, 0)}));
}

TEST(CronSchedule, RequiresBothDaysWhenTheDayOfMonthFieldStartsWithAStar) {
  // As Vixie cron: "*/2" counts as unrestricted, so odd days that are also Mondays.
  EXPECT_EQ(runs("0 0 */2 * MON", utc(2024, 9, 1, 0, 0), 4),
            (std::vector{utc(2024, 9, 9, 0, 0), utc(2024, 9, 23, 0, 0), utc(2024, 10, 7, 0, 0),
                         utc(2024, 10, 21, 0, 0)}));
}

TEST(CronSchedule, RunsOnFebruary29thOnlyInLeapYears) {
  EXPECT_EQ(runs("0 12 29 2 *", utc(2023, 1, 1, 0, 0), 2),
            (std::vector{utc(2024, 2, 29, 12, 0), utc(2028, 2, 29, 12, 0)}));
  // 2100 is not a leap year: eight years from 2096 to 2104.
  EXPECT_EQ(runs("0 12 29 2 *", utc(2096, 3, 1, 0, 0), 1)[0], utc(2104, 2, 29, 12, 0));
}

TEST(CronSchedule, SkipsMonthsTooShortForTheDay) {
  EXPECT_EQ(runs("0 0 31 * *", utc(2024, 1, 31, 1, 0), 3),
            (std::vector{utc(2024, 3, 31, 0, 0), utc(2024, 5, 31, 0, 0), utc(2024, 7, 31, 0, 0)}));
}

TEST(CronSchedule, AppliesStepsToStarsAndRanges) {
  EXPECT_EQ(runs("10-30/7 * * * *", utc(2024, 5, 1, 10, 0), 4),
            (std::vector{utc(2024, 5, 1, 10, 10), utc(2024, 5, 1, 10, 17), utc(2024, 5, 1, 10, 24),
                         utc(2024, 5, 1, 11, 10)}));
  EXPECT_EQ(runs("0 8-18/4 * * *", utc(2024, 5, 1, 9, 0), 3),
            (std::vector{utc(2024, 5, 1, 12, 0), utc(2024, 5, 1, 16, 0), utc(2024, 5, 2, 8, 0)}));
  EXPECT_EQ(
      runs("*/25 * * * *", utc(2024, 5, 1, 10, 0), 3),
      (std::vector{utc(2024, 5, 1, 10, 25), utc(2024, 5, 1, 10, 50), utc(2024, 5, 1, 11, 0)}));
}

TEST(CronSchedule, CombinesListsOfValuesRangesAndSteps) {
  EXPECT_EQ(runs("5,20-22,*/30 0 * * *", utc(2024, 5, 1, 0, 0), 6),
            (std::vector{utc(2024, 5, 1, 0, 5), utc(2024, 5, 1, 0, 20), utc(2024, 5, 1, 0, 21),
                         utc(2024, 5, 1, 0, 22), utc(2024, 5, 1, 0, 30), utc(2024, 5, 2, 0, 0)}));
}

TEST(CronSchedule, ReadsALeadingSecondsField) {
  EXPECT_EQ(runs("*/20 * * * * *", utc(2024, 5, 1, 12, 0, 5), 3),
            (std::vector{utc(2024, 5, 1, 12, 0, 20), utc(2024, 5, 1, 12, 0, 40),
                         utc(2024, 5, 1, 12, 1, 0)}));
  EXPECT_EQ(runs("30 0 12 * * *", utc(2024, 5, 1, 12, 0, 30), 1)[0], utc(2024, 5, 2, 12, 0, 30));
}

TEST(CronSchedule, RunsFiveFieldExpressionsAtSecondZero) {
  EXPECT_EQ(runs("0 12 * * *", utc(2024, 5, 1, 12, 0, 0), 1)[0], utc(2024, 5, 2, 12, 0, 0));
}

TEST(CronSchedule, AcceptsMonthAndDayNamesInAnyCase) {
  // July 2024: Mon 1 .. Fri 5, then Mon 8.
  EXPECT_EQ(runs("0 9 * jan,Jul mon-FRI", utc(2024, 6, 30, 0, 0), 6),
            (std::vector{utc(2024, 7, 1, 9, 0), utc(2024, 7, 2, 9, 0), utc(2024, 7, 3, 9, 0),
                         utc(2024, 7, 4, 9, 0), utc(2024, 7, 5, 9, 0), utc(2024, 7, 8, 9, 0)}));
  EXPECT_EQ(runs("0 0 1 aug-sep *", utc(2024, 1, 1, 0, 0), 2),
            (std::vector{utc(2024, 8, 1, 0, 0), utc(2024, 9, 1, 0, 0)}));
}

TEST(CronSchedule, TreatsSevenAndZeroAsSunday) {
  // 2024-09-01 is a Sunday.
  EXPECT_EQ(runs("0 0 * * 7", utc(2024, 8, 31, 0, 0), 1)[0], utc(2024, 9, 1, 0, 0));
  EXPECT_EQ(runs("0 0 * * 0", utc(2024, 8, 31, 0, 0), 1)[0], utc(2024, 9, 1, 0, 0));
  EXPECT_EQ(runs("0 0 * * 5-7", utc(2024, 9, 1, 0, 0), 3),
            (std::vector{utc(2024, 9, 6, 0, 0), utc(2024, 9, 7, 0, 0), utc(2024, 9, 8, 0, 0)}));
}

TEST(CronSchedule, ExpandsMacros) {
  const sys_seconds from = utc(2024, 5, 15, 10, 30);
  EXPECT_EQ(runs("@hourly", from, 1)[0], utc(2024, 5, 15, 11, 0));
  EXPECT_EQ(runs("@daily", from, 1)[0], utc(2024, 5, 16, 0, 0));
  EXPECT_EQ(runs("@midnight", from, 1)[0], utc(2024, 5, 16, 0, 0));
  EXPECT_EQ(runs("@weekly", from, 1)[0], utc(2024, 5, 19, 0, 0));  // a Sunday
  EXPECT_EQ(runs("@monthly", from, 1)[0], utc(2024, 6, 1, 0, 0));
  EXPECT_EQ(runs("@yearly", from, 1)[0], utc(2025, 1, 1, 0, 0));
  EXPECT_EQ(runs("@ANNUALLY", from, 1)[0], utc(2025, 1, 1, 0, 0));
  EXPECT_EQ(CronSchedule::parse("@daily").text(), "@daily");
}

TEST(CronSchedule, MatchesWallClockTimesFieldByField) {
  const CronSchedule schedule = CronSchedule::parse("0 30 9 * * MON-FRI");
  const local_days monday{2024y / September / 2};
  EXPECT_TRUE(schedule.matches(monday + 9h + 30min));
  EXPECT_FALSE(schedule.matches(monday + 9h + 30min + 1s));
  EXPECT_FALSE(schedule.matches(monday - days{1} + 9h + 30min));  // Sunday
}

TEST(CronSchedule, RunsInTheGivenTimeZone) {
  const TimeZone berlin = TimeZone::locate("Europe/Berlin");
  // 09:00 in Berlin is 07:00 UTC in summer (CEST) and 08:00 UTC in winter (CET).
  EXPECT_EQ(runs("0 9 * * *", utc(2024, 7, 1, 0, 0), 1, berlin)[0], utc(2024, 7, 1, 7, 0));
  EXPECT_EQ(runs("0 9 * * *", utc(2024, 1, 1, 0, 0), 1, berlin)[0], utc(2024, 1, 1, 8, 0));
}

TEST(CronSchedule, RunsATimeSkippedBySpringForwardAtTheFirstInstantAfterTheGap_Berlin) {
  // 2024-03-31: 02:00 CET becomes 03:00 CEST (01:00 UTC); 02:30 does not exist.
  const TimeZone berlin = TimeZone::locate("Europe/Berlin");
  EXPECT_EQ(runs("30 2 * * *", utc(2024, 3, 30, 1, 30), 2, berlin),
            (std::vector{utc(2024, 3, 31, 1, 0), utc(2024, 4, 1, 0, 30)}));
}

TEST(CronSchedule, RunsATimeRepeatedByFallBackOnlyAtItsFirstOccurrence_Berlin) {
  // 2024-10-27: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:30 occurs at 00:30 and 01:30 UTC.
  const TimeZone berlin = TimeZone::locate("Europe/Berlin");
  EXPECT_EQ(runs("30 2 * * *", utc(2024, 10, 26, 12, 0), 2, berlin),
            (std::vector{utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30)}));
}

TEST(CronSchedule, RunsSeveralTimesInAGapOnceAfterIt_NewYork) {
  // 2024-03-10: 02:00 EST becomes 03:00 EDT (07:00 UTC); 02:00 and 02:30 both run at 03:00.
  const TimeZone new_york = TimeZone::locate("America/New_York");
  EXPECT_EQ(
      runs("*/30 * * * *", utc(2024, 3, 10, 6, 15), 3, new_york),
      (std::vector{utc(2024, 3, 10, 6, 30), utc(2024, 3, 10, 7, 0), utc(2024, 3, 10, 7, 30)}));
}

TEST(CronSchedule, DoesNotRepeatTheHourClocksFallBackOver_NewYork) {
  // 2024-11-03: 02:00 EDT becomes 01:00 EST (06:00 UTC); 01:00-01:59 is lived twice.
  const TimeZone new_york = TimeZone::locate("America/New_York");
  EXPECT_EQ(
      runs("*/30 * * * *", utc(2024, 11, 3, 5, 15), 3, new_york),
      (std::vector{utc(2024, 11, 3, 5, 30), utc(2024, 11, 3, 7, 0), utc(2024, 11, 3, 7, 30)}));
  // Asked from inside the second pass, the repeated times are still not run again.
  EXPECT_EQ(runs("*/30 * * * *", utc(2024, 11, 3, 6, 10), 1, new_york)[0], utc(2024, 11, 3, 7, 0));
  EXPECT_EQ(runs("0 1 * * *", utc(2024, 11, 2, 12, 0), 2, new_york),
            (std::vector{utc(2024, 11, 3, 5, 0), utc(2024, 11, 4, 6, 0)}));
}

TEST(CronSchedule, NamesTheFieldAndTheTokenOfAnOutOfRangeValue) {
  EXPECT_EQ(parse_error("0 0 32 * *"), "day-of-month field '32': value out of range 1-31");
  EXPECT_EQ(parse_error("0 0 0 * *"), "day-of-month field '0': value out of range 1-31");
  EXPECT_EQ(parse_error("60 * * * *"), "minute field '60': value out of range 0-59");
  EXPECT_EQ(parse_error("* 24 * * *"), "hour field '24': value out of range 0-23");
  EXPECT_EQ(parse_error("* * * 13 *"), "month field '13': value out of range 1-12");
  EXPECT_EQ(parse_error("* * * * 8"), "day-of-week field '8': value out of range 0-7");
  EXPECT_EQ(parse_error("61 * * * * *"), "second field '61': value out of range 0-59");
  EXPECT_EQ(parse_error("1-61 * * * *"), "minute field '61': value out of range 0-59");
}

TEST(CronSchedule, NamesTheFieldAndTheTokenOfAMalformedItem) {
  EXPECT_EQ(parse_error("x * * * *"), "minute field 'x': not a number");
  EXPECT_EQ(parse_error("* * * FOO *"),
            "month field 'FOO': not a number or a month name (JAN-DEC)");
  EXPECT_EQ(parse_error("* * * * MONDAY"),
            "day-of-week field 'MONDAY': not a number or a day name (SUN-SAT)");
  EXPECT_EQ(parse_error("* * MON * *"), "day-of-month field 'MON': not a number");
  EXPECT_EQ(parse_error("*/0 * * * *"), "minute field '*/0': step must be at least 1");
  EXPECT_EQ(parse_error("*/x * * * *"), "minute field '*/x': step 'x' is not a number");
  EXPECT_EQ(parse_error("30-10 * * * *"),
            "minute field '30-10': range start 30 is greater than its end 10");
  EXPECT_EQ(parse_error("1,,2 * * * *"), "minute field '1,,2': empty item in list");
  EXPECT_EQ(parse_error("5/10 * * * *"),
            "minute field '5/10': a step needs a range: write '*/n' or 'a-b/n'");
  EXPECT_EQ(parse_error("-5 * * * *"),
            "minute field '-5': a range needs a start and an end: write 'a-b'");
  EXPECT_EQ(parse_error("1-2-3 * * * *"), "minute field '2-3': not a number");
}

TEST(CronSchedule, RefusesAWrongNumberOfFieldsOrAnUnknownMacro) {
  EXPECT_EQ(parse_error("* * * *"),
            "cron expression '* * * *': expected 5 fields (minute hour day-of-month month "
            "day-of-week) or 6 with a leading seconds field, got 4");
  EXPECT_EQ(parse_error(""),
            "cron expression '': expected 5 fields (minute hour day-of-month month "
            "day-of-week) or 6 with a leading seconds field, got 0");
  EXPECT_EQ(parse_error("@reboot"),
            "cron expression '@reboot': unknown macro: use @yearly, @annually, @monthly, "
            "@weekly, @daily, @midnight or @hourly");
}

TEST(CronSchedule, RefusesADayThatNoSelectedMonthHas) {
  EXPECT_EQ(parse_error("0 0 30 2 *"),
            "day-of-month field '30': no day of the selected months (month field '2') matches");
  EXPECT_EQ(parse_error("0 0 31 APR,JUN *"),
            "day-of-month field '31': no day of the selected months (month field 'APR,JUN') "
            "matches");
  // A restricted day-of-week still runs such an expression (either day counts).
  EXPECT_EQ(runs("0 0 30 2 MON", utc(2024, 1, 1, 0, 0), 1)[0], utc(2024, 2, 5, 0, 0));
}

TEST(TimeZone, RefusesAnUnknownZoneName) {
  try {
    TimeZone::locate("Mars/Olympus_Mons");
    FAIL() << "an unknown zone was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.source(), ErrorSource::config);
    EXPECT_EQ(e.recovery(), Recovery::not_found);
    EXPECT_NE(e.message().find("'Mars/Olympus_Mons'"), std::string::npos) << e.message();
  }
}

TEST(TimeZone, MapsLocalTimesToTheirFirstInstant) {
  const TimeZone berlin = TimeZone::locate("Europe/Berlin");
  EXPECT_EQ(berlin.name(), "Europe/Berlin");
  const local_seconds noon{local_days{2024y / July / 1} + 12h};
  EXPECT_EQ(berlin.first_instant_at(noon), utc(2024, 7, 1, 10, 0));
  EXPECT_EQ(berlin.to_local(utc(2024, 7, 1, 10, 0)), noon);
  // In the spring-forward gap: the end of the gap.
  EXPECT_EQ(berlin.first_instant_at(local_days{2024y / March / 31} + 2h + 59min),
            utc(2024, 3, 31, 1, 0));
  // Repeated by fall back: the earlier instant (CEST).
  EXPECT_EQ(berlin.first_instant_at(local_days{2024y / October / 27} + 2h + 15min),
            utc(2024, 10, 27, 0, 15));
  EXPECT_EQ(berlin.offset_at(utc(2024, 10, 27, 1, 0)), 1h);
  EXPECT_EQ(TimeZone::utc().offset_at(utc(2024, 7, 1, 0, 0)), 0s);
}

}  // namespace
}  // namespace tapedeck::scheduler

namespace tapedeck::scheduler {
namespace {

TEST(CronSchedule, AppliesStepsToNamedDayRanges) {
  // 2024-05-06 is a Monday: Monday, Wednesday, Friday, then Monday again.
  EXPECT_EQ(runs("0 9 * * MON-FRI/2", utc(2024, 5, 5, 12, 0), 4),
            (std::vector{utc(2024, 5, 6, 9, 0), utc(2024, 5, 8, 9, 0), utc(2024, 5, 10, 9, 0),
                         utc(2024, 5, 13, 9, 0)}));
}

TEST(CronSchedule, AppliesStepsToTheSecondsField) {
  EXPECT_EQ(runs("*/20 * * * * *", utc(2024, 5, 1, 10, 0, 45), 3),
            (std::vector{utc(2024, 5, 1, 10, 1, 0), utc(2024, 5, 1, 10, 1, 20),
                         utc(2024, 5, 1, 10, 1, 40)}));
}

TEST(CronSchedule, RunsOnFebruary29thOrOnTheRestrictedWeekday) {
  // Either day counts: Feb 29 2024 (a Thursday) and every Sunday of February.
  EXPECT_EQ(runs("0 0 29 2 SUN", utc(2024, 2, 20, 0, 0), 3),
            (std::vector{utc(2024, 2, 25, 0, 0), utc(2024, 2, 29, 0, 0), utc(2025, 2, 2, 0, 0)}));
}

TEST(CronSchedule, RunsOnFebruary29thInALocalZone) {
  const auto zone = TimeZone::locate("America/New_York");
  // Midnight in New York on Feb 29 2024 is 05:00 UTC.
  EXPECT_EQ(runs("0 0 29 2 *", utc(2024, 1, 1, 0, 0), 1, zone)[0], utc(2024, 2, 29, 5, 0));
}

}  // namespace
}  // namespace tapedeck::scheduler
