// hstore: Debezium's JSON object form back to hstore input text.
#include "core/debezium/hstore.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tapedeck::debezium {
namespace {

std::string hstore(std::string_view json) {
  std::string out;
  std::string why;
  EXPECT_TRUE(append_pg_hstore(out, json, why)) << json << ": " << why;
  return out;
}

std::string refusal(std::string_view json) {
  std::string out = "kept";
  std::string why;
  EXPECT_FALSE(append_pg_hstore(out, json, why)) << json;
  EXPECT_EQ(out, "kept");
  return why;
}

TEST(DebeziumHstore, StringsAndNullsBecomeQuotedPairsAndNull) {
  EXPECT_EQ(hstore(R"({"a":"1","b":null})"), R"("a"=>"1", "b"=>NULL)");
  EXPECT_EQ(hstore("{}"), "");
  EXPECT_EQ(hstore(R"( { "k" : "" } )"), R"("k"=>"")");
}

TEST(DebeziumHstore, QuotesBackslashesAndArrowsAreEscapedForHstore) {
  EXPECT_EQ(hstore(R"({"it's \"q\"":"back\\slash => , {x}"})"),
            R"("it's \"q\""=>"back\\slash => , {x}")");
  EXPECT_EQ(hstore(R"({"NULL":"NULL"})"), R"("NULL"=>"NULL")");  // the word, not a null
}

TEST(DebeziumHstore, JsonEscapesBecomeUtf8) {
  EXPECT_EQ(hstore(R"({"t":"a\tb\nc\u00e9\u2713\ud83d\ude00\/"})"),
            "\"t\"=>\"a\tb\nc\xC3\xA9\xE2\x9C\x93\xF0\x9F\x98\x80/\"");
  EXPECT_EQ(hstore("{\"\xE6\x97\xA5\":\"\xE6\x9C\xAC\"}"), "\"\xE6\x97\xA5\"=>\"\xE6\x9C\xAC\"");
}

TEST(DebeziumHstore, AnythingButAFlatObjectOfStringsIsRefused) {
  EXPECT_FALSE(refusal("[]").empty());
  EXPECT_FALSE(refusal(R"({"a":1})").empty());
  EXPECT_FALSE(refusal(R"({"a":"1")").empty());
  EXPECT_FALSE(refusal(R"({"a":"1"} x)").empty());
  EXPECT_FALSE(refusal(R"({"a":"\u0000"})").empty());  // PostgreSQL text holds no NUL
  EXPECT_FALSE(refusal(R"({"a":"\ud83d"})").empty());  // a lone surrogate
}

}  // namespace
}  // namespace tapedeck::debezium
