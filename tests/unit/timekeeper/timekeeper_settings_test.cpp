// The timekeeper settings read from the configuration: timekeeper.late_after.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "timekeeper/timekeeper_service.hpp"

namespace tapedeck::timekeeper {
namespace {

using namespace std::chrono_literals;

TimekeeperSettings settings_with_late_after(const std::string& late_after) {
  return TimekeeperSettings::from_config(
      config::Config::load(std::nullopt, {{"TAPEDECK_TIMEKEEPER_LATE_AFTER", late_after}}));
}

TEST(TimekeeperSettings, CountsTicksLateAfter100MsByDefault) {
  EXPECT_EQ(TimekeeperSettings::from_config(config::Config::load(std::nullopt, {})).late_after,
            100ms);
  EXPECT_EQ(settings_with_late_after("250ms").late_after, 250ms);
}

TEST(TimekeeperSettings, RefusesALateAfterOfZeroOrOfASecondOrMoreNamingTheKey) {
  for (const std::string value : {"0ms", "1s", "2s"}) {
    try {
      settings_with_late_after(value);
      ADD_FAILURE() << value << " was accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.recovery(), Recovery::invalid) << value;
      EXPECT_NE(std::string(error.what()).find("timekeeper.late_after"), std::string::npos)
          << error.what();
    }
  }
}

}  // namespace
}  // namespace tapedeck::timekeeper
