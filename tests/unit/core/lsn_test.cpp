#include "core/lsn.hpp"

#include <gtest/gtest.h>

namespace tapedeck {

TEST(Lsn, PrintsAsPostgresDoes) {
  EXPECT_EQ(Lsn{0x16B374D848}.str(), "16/B374D848");
  EXPECT_EQ(Lsn{0}.str(), "0/0");
}

TEST(Lsn, ParsesWhatItPrints) {
  const Lsn lsn{0xFFFFFFFF00000001ULL};
  EXPECT_EQ(Lsn::parse(lsn.str()), lsn);
  EXPECT_EQ(Lsn::parse("0/1C0A4B8")->value, 0x1C0A4B8u);
}

TEST(Lsn, RefusesMalformedText) {
  EXPECT_FALSE(Lsn::parse(""));
  EXPECT_FALSE(Lsn::parse("16"));
  EXPECT_FALSE(Lsn::parse("/1"));
  EXPECT_FALSE(Lsn::parse("1/"));
  EXPECT_FALSE(Lsn::parse("G/1"));
  EXPECT_FALSE(Lsn::parse("123456789/1"));
}

}  // namespace tapedeck
