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

// Text is scanned 8 bytes at a time: every special byte at every offset of a word, among bytes
// that pass unchanged (other control characters, DEL, UTF-8), gives what a byte-by-byte
// escape gives.
TEST(CopyText, EscapesASpecialByteAtAnyOffsetAmongBytesThatPassUnchanged) {
  const auto reference = [](std::string_view text) {
    std::string out = "prefix|";
    for (const char c : text) {
      if (c == '\\') {
        out += "\\\\";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else {
        out += c;
      }
    }
    return out;
  };
  const std::string plain = "\x01\x0b\x0c\x0e\x1f\x7f\xc3\xbc \xe2\x82\xac'$Ez[]{}0123456789";
  for (const char special : {'\\', '\t', '\n', '\r'}) {
    for (std::size_t at = 0; at <= plain.size(); ++at) {
      std::string text = plain;
      text.insert(at, 1, special);
      EXPECT_EQ(copy_text(text), reference(text)) << "byte " << int(special) << " at " << at;
      std::string with_nul = plain;
      with_nul.insert(at, 1, '\0');
      std::string out;
      EXPECT_THROW(append_copy_text(out, with_nul), Error) << "NUL at " << at;
    }
  }
  EXPECT_EQ(copy_text(plain), reference(plain));
}

}  // namespace
}  // namespace tapedeck::transform
