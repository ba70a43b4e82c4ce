// Text parameters, NULLs and the pointer array libpq reads.
#include "core/pg/params.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "core/error.hpp"

namespace tapedeck::pg {
namespace {

TEST(Params, HoldsTextNumbersBooleansAndNulls) {
  const auto params = Params::of("text", 42, std::int64_t{-9'000'000'000}, true, 2.5, std::nullopt,
                                 std::optional<int>{}, std::optional<std::string>{"x"});
  ASSERT_EQ(params.size(), 8u);
  EXPECT_EQ(params.text(0), "text");
  EXPECT_EQ(params.text(1), "42");
  EXPECT_EQ(params.text(2), "-9000000000");
  EXPECT_EQ(params.text(3), "t");
  EXPECT_EQ(params.text(4), "2.5");
  EXPECT_TRUE(params.is_null(5));
  EXPECT_TRUE(params.is_null(6));
  EXPECT_FALSE(params.is_null(7));
  EXPECT_EQ(params.text(7), "x");
}

TEST(Params, GivesLibpqANullPointerForNull) {
  const auto params = Params::of("a", std::nullopt, "");
  const char* const* values = params.values();
  EXPECT_STREQ(values[0], "a");
  EXPECT_EQ(values[1], nullptr);
  ASSERT_NE(values[2], nullptr);
  EXPECT_STREQ(values[2], "");
}

TEST(Params, WritesDoublesThatReadBackIdentically) {
  const double value = 0.1 + 0.2;
  const auto params = Params::of(value);
  EXPECT_EQ(std::stod(std::string(params.text(0))), value);
  EXPECT_EQ(Params::of(std::numeric_limits<double>::infinity()).text(0), "Infinity");
  EXPECT_EQ(Params::of(std::numeric_limits<double>::quiet_NaN()).text(0), "NaN");
}

TEST(Params, RefusesTextWithANulByte) {
  Params params;
  EXPECT_THROW(params.add(std::string_view("a\0b", 3)), Error);
}

TEST(Params, CanBeClearedAndRefilled) {
  Params params = Params::of(1, 2, 3);
  params.clear();
  params.add("again");
  ASSERT_EQ(params.size(), 1u);
  EXPECT_STREQ(params.values()[0], "again");
}

TEST(Params, AcceptsAVectorOfOptionalStrings) {
  const Params params(std::vector<std::optional<std::string>>{"a", std::nullopt});
  EXPECT_EQ(params.text(0), "a");
  EXPECT_TRUE(params.is_null(1));
}

}  // namespace
}  // namespace tapedeck::pg
