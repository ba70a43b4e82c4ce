// The COPY text encoding of stored values (PostgreSQL's text format, one row per line).
#include "transform/statement_store.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"

namespace tapedeck::transform {
namespace {

std::string copy_text(std::string_view text) {
  std::string out = "prefix|";
  append_copy_text(out, text);
  return out;
}

TEST(CopyText, AppendsPlainTextUnchanged) {
  EXPECT_EQ(copy_text(""), "prefix|");
  EXPECT_EQ(copy_text("INSERT INTO \"t\" VALUES ('a''b', E'x')"),
            "prefix|INSERT INTO \"t\" VALUES ('a''b', E'x')");
}

TEST(CopyText, EscapesBackslashTabAndLineBreaksWhereverTheyStand) {
  EXPECT_EQ(copy_text("\\"), "prefix|\\\\");
  EXPECT_EQ(copy_text("a\tb\nc\rd\\e"), "prefix|a\\tb\\nc\\rd\\\\e");
  EXPECT_EQ(copy_text("\n\n"), "prefix|\\n\\n");
  EXPECT_EQ(copy_text("end\\"), "prefix|end\\\\");
  EXPECT_EQ(copy_text("ünïcödé\t€"), "prefix|ünïcödé\\t€");
}

TEST(CopyText, RefusesANulCharacter) {
  std::string out;
  EXPECT_THROW(append_copy_text(out, std::string_view("a\0b", 3)), Error);
}

}  // namespace
}  // namespace tapedeck::transform
