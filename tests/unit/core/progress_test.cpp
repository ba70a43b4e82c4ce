// PhaseProgress and PhaseMeter: rate, ETA and percent, JSON both ways, the line people read.
#include "core/progress.hpp"

#include <gtest/gtest.h>

namespace tapedeck::session {
namespace {

using namespace std::chrono_literals;

TEST(PhaseMeter, GivesTheAverageRateAndTheTimeLeftAtIt) {
  const auto began = std::chrono::steady_clock::time_point{} + 1h;
  const PhaseMeter meter("catching_up", "statements", 1000.0, began);
  const auto progress = meter.at(250, began + 5s);
  EXPECT_EQ(progress.phase, "catching_up");
  EXPECT_EQ(progress.unit, "statements");
  EXPECT_DOUBLE_EQ(*progress.rate_per_second, 50.0);
  EXPECT_DOUBLE_EQ(*progress.eta_seconds, 15.0);
  EXPECT_DOUBLE_EQ(*progress.percent, 25.0);
}

TEST(PhaseMeter, SaysNothingOfTheRateInTheFirstMoments) {
  const auto began = std::chrono::steady_clock::time_point{} + 1h;
  const PhaseMeter meter("restoring", "bytes", 100.0, began);
  const auto progress = meter.at(10, began + 100ms);
  EXPECT_FALSE(progress.rate_per_second);
  EXPECT_FALSE(progress.eta_seconds);
  EXPECT_DOUBLE_EQ(*progress.percent, 10.0);
}

TEST(PhaseMeter, HasNoPercentOrEtaWithoutATotal) {
  const auto began = std::chrono::steady_clock::time_point{} + 1h;
  const PhaseMeter meter("playing", "seconds", std::nullopt, began);
  const auto progress = meter.at(30, began + 10s);
  EXPECT_DOUBLE_EQ(*progress.rate_per_second, 3.0);
  EXPECT_FALSE(progress.eta_seconds);
  EXPECT_FALSE(progress.percent);
}

TEST(PhaseProgress, ReadsBackWhatItWrites) {
  PhaseProgress progress;
  progress.phase = "seeking";
  progress.done = 12;
  progress.total = 48;
  progress.unit = "statements";
  progress.moment_reached = parse_time("2026-01-01T10:00:00Z");
  progress = with_rate(progress, 4.0);
  const auto json = progress.to_json();
  EXPECT_EQ(json["phase"], "seeking");
  EXPECT_EQ(json["moment_reached"], "2026-01-01T10:00:00.000000Z");
  EXPECT_EQ(json["eta_seconds"], 9.0);
  EXPECT_EQ(json["percent"], 25.0);
  const auto read = PhaseProgress::from_json(json);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->to_json(), json);
  EXPECT_FALSE(PhaseProgress::from_json(nullptr));
}

TEST(ProgressText, DrawsABarOnlyOnAWideTerminal) {
  PhaseProgress progress;
  progress.phase = "restoring";
  progress.done = 50'000'000;
  progress.total = 100'000'000;
  progress.unit = "bytes";
  progress = with_rate(progress, 10'000'000.0);
  const auto wide = progress_text(progress, 120);
  EXPECT_NE(wide.find("50%"), std::string::npos) << wide;
  EXPECT_NE(wide.find("[############............]"), std::string::npos) << wide;
  EXPECT_NE(wide.find("50.0M/100.0M bytes"), std::string::npos) << wide;
  EXPECT_NE(wide.find("ETA 5s"), std::string::npos) << wide;
  EXPECT_EQ(progress_text(progress, 0).find('['), std::string::npos);
}

}  // namespace
}  // namespace tapedeck::session
