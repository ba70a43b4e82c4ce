// The unavailable-value placeholder in each of its forms.
#include "core/debezium/sentinels.hpp"

#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "core/error.hpp"

namespace tapedeck::debezium {
namespace {

TEST(DebeziumSentinels, PlaceholderFormsAreComputedOnce) {
  const auto p = UnavailablePlaceholder::from_setting(kUnavailablePlaceholder);
  EXPECT_EQ(p.bytes, "__debezium_unavailable_value");
  EXPECT_EQ(p.base64, "X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==");
  EXPECT_EQ(base64_decode(p.base64), p.bytes);
  EXPECT_EQ(p.uuid, "b68a35a7-17ad-35b3-af2a-ae46edb4545a");
}

TEST(DebeziumSentinels, HexSettingGivesRawOctets) {
  EXPECT_EQ(UnavailablePlaceholder::from_setting("hex:5f5f").bytes, "__");
  EXPECT_EQ(UnavailablePlaceholder::from_setting("hex:00FF").bytes, std::string("\x00\xff", 2));
  EXPECT_THROW(UnavailablePlaceholder::from_setting("hex:5f5"), Error);
  EXPECT_THROW(UnavailablePlaceholder::from_setting("hex:zz"), Error);
}

TEST(DebeziumSentinels, NameUuidIsVersion3) {
  const std::string uuid = name_uuid("");
  ASSERT_EQ(uuid.size(), 36U);
  EXPECT_EQ(uuid[14], '3');
  EXPECT_EQ(uuid, "d41d8cd9-8f00-3204-a980-0998ecf8427e");
}

}  // namespace
}  // namespace tapedeck::debezium
