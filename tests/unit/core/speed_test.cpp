// Speed: the one parser and validation of replay speeds (API, CLI and msgop), exact text.
#include "core/speed.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "core/error.hpp"

namespace tapedeck::session {
namespace {

TEST(Speed, ParsesDecimalsExactlyAndMax) {
  EXPECT_EQ(Speed::parse("1").millionths(), 1'000'000);
  EXPECT_EQ(Speed::parse("1.5").millionths(), 1'500'000);
  EXPECT_EQ(Speed::parse("0.25").millionths(), 250'000);
  EXPECT_EQ(Speed::parse(".5").millionths(), 500'000);
  EXPECT_EQ(Speed::parse("0.000001").millionths(), 1);
  EXPECT_EQ(Speed::parse("1000000").millionths(), 1'000'000'000'000);
  EXPECT_TRUE(Speed::parse("max").is_max());
  EXPECT_TRUE(Speed::parse("MAX").is_max());
  EXPECT_EQ(Speed::factor(0.1).millionths(), 100'000);
  EXPECT_EQ(Speed::factor(1.5), Speed::parse("1.5"));
}

TEST(Speed, IsRealTimeByDefault) {
  EXPECT_EQ(Speed{}, Speed::parse("1"));
  EXPECT_FALSE(Speed{}.is_max());
}

TEST(Speed, PrintsTheShortestDecimalThatParsesBack) {
  EXPECT_EQ(Speed::parse("10").str(), "10");
  EXPECT_EQ(Speed::parse("1.50").str(), "1.5");
  EXPECT_EQ(Speed::parse("0.25").str(), "0.25");
  EXPECT_EQ(Speed::parse("0.000001").str(), "0.000001");
  EXPECT_EQ(Speed::max().str(), "max");
  for (const char* text : {"max", "1", "0.7", "123.456789", "1000000"}) {
    EXPECT_EQ(Speed::parse(Speed::parse(text).str()), Speed::parse(text)) << text;
  }
}

TEST(Speed, RefusesWhatIsNotAPositiveNumberOrMax) {
  for (const char* bad : {"", "0", "0.0", "-1", "abc", "1e3", "1e9", "1.", "1.2.3", "0.0000001",
                          "10000001", " 1", "fast", "1x", "maxi"}) {
    try {
      Speed::parse(bad);
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.recovery(), Recovery::invalid);
      EXPECT_EQ(e.message().rfind(std::string("speed '") + bad + "'", 0), 0u) << e.message();
    }
  }
}

TEST(Speed, RefusesANumberByTheSameRulesAsItsText) {
  EXPECT_THROW(Speed::factor(0), Error);
  EXPECT_THROW(Speed::factor(-2), Error);
  EXPECT_THROW(Speed::factor(std::numeric_limits<double>::infinity()), Error);
  EXPECT_THROW(Speed::factor(std::numeric_limits<double>::quiet_NaN()), Error);
  EXPECT_THROW(Speed::factor(1e9), Error);
  EXPECT_THROW(Speed::factor(1000000.5), Error);
  EXPECT_THROW(Speed::factor(0.0000001), Error);
  EXPECT_THROW(Speed::factor(0.0000015), Error);
  EXPECT_EQ(Speed::factor(0.00001), Speed::parse("0.00001"));
  EXPECT_EQ(Speed::factor(1000000), Speed::parse("1000000"));
  EXPECT_EQ(Speed::factor(123.456789), Speed::parse("123.456789"));
}

}  // namespace
}  // namespace tapedeck::session
