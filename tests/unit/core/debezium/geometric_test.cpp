// Points: text to coordinates and Well-Known Binary, and back.
#include "core/debezium/geometric.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/base64.hpp"

namespace tapedeck::debezium {
namespace {

TEST(DebeziumGeometric, PointRoundTripsThroughItsWkb) {
  double x = 0, y = 0;
  ASSERT_TRUE(parse_pg_point("(1.5,-2.25)", x, y));
  EXPECT_EQ(x, 1.5);
  EXPECT_EQ(y, -2.25);
  const std::string wkb = point_wkb(x, y);
  EXPECT_EQ(wkb.size(), 21U);
  double x2 = 0, y2 = 0;
  ASSERT_TRUE(parse_point_wkb(wkb, x2, y2));
  EXPECT_EQ(x2, 1.5);
  EXPECT_EQ(y2, -2.25);
}

TEST(DebeziumGeometric, WkbIsLittleEndianPoint) {
  EXPECT_EQ(base64_encode(point_wkb(1, 2)), "AQEAAAAAAAAAAADwPwAAAAAAAABA");
}

TEST(DebeziumGeometric, RefusesWhatIsNotAPoint) {
  double x = 0, y = 0;
  EXPECT_FALSE(parse_pg_point("1,2", x, y));
  EXPECT_FALSE(parse_pg_point("(1;2)", x, y));
  EXPECT_FALSE(parse_pg_point("(1,y)", x, y));
  EXPECT_FALSE(parse_point_wkb("\x01\x02", x, y));
}

}  // namespace
}  // namespace tapedeck::debezium
