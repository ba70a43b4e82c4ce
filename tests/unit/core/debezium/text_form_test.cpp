// The text form: which built-in types travel as PostgreSQL's own output, and telling that
// output apart from Debezium's encodings of the same columns.
#include "core/debezium/text_form.hpp"

#include <gtest/gtest.h>

namespace tapedeck::debezium {
namespace {

TEST(DebeziumTextForm, CoversTheTypesWithoutAnExactConverter) {
  for (const std::uint32_t type_oid : {601U, 602U, 603U, 604U, 628U, 718U, 1562U, 3220U, 3615U,
                                       4451U, 4532U, 4533U, 4534U, 4535U, 4536U}) {
    EXPECT_TRUE(is_text_form_builtin(type_oid)) << type_oid;
  }
  // point has Debezium's Point, bit(n) its Bits, ranges are strings already, text is text.
  for (const std::uint32_t type_oid : {600U, 1560U, 3904U, 25U, 1266U}) {
    EXPECT_FALSE(is_text_form_builtin(type_oid)) << type_oid;
  }
}

TEST(DebeziumTextForm, AnArraysTextStartsWithABraceOrItsBounds) {
  EXPECT_TRUE(is_array_text_form("{}"));
  EXPECT_TRUE(is_array_text_form("{(1,1),(0,0);NULL}"));
  EXPECT_TRUE(is_array_text_form("[0:1]={1,2}"));
  EXPECT_FALSE(is_array_text_form(""));
  EXPECT_FALSE(is_array_text_form("e30="));  // base64 of "{}", as include.unknown.datatypes
}

TEST(DebeziumTextForm, TimetzTextHasAnOffsetZonedTimeEndsInZ) {
  EXPECT_TRUE(is_timetz_text_form("12:00:00+05"));
  EXPECT_TRUE(is_timetz_text_form("00:00:00.123456-03:30"));
  EXPECT_TRUE(is_timetz_text_form("24:00:00+14"));
  EXPECT_FALSE(is_timetz_text_form("07:00:00Z"));
  EXPECT_FALSE(is_timetz_text_form("12:00:00"));
}

}  // namespace
}  // namespace tapedeck::debezium
