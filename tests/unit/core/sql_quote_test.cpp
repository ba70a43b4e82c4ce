// Hostile identifiers and values stay inside their quotes.
#include "core/sql_quote.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"

namespace tapedeck::sql {
namespace {

// Walks a quoted token the way PostgreSQL's lexer does (standard_conforming_strings on):
// returns the length of the token starting at text[0], or npos when it never closes.
std::size_t quoted_token_length(const std::string& text) {
  const char quote = text.at(0);
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] != quote) continue;
    if (i + 1 < text.size() && text[i + 1] == quote) {
      ++i;
      continue;
    }
    return i + 1;
  }
  return std::string::npos;
}

// Undoes the doubling, as the lexer does.
std::string unquote(const std::string& token) {
  std::string out;
  for (std::size_t i = 1; i + 1 < token.size(); ++i) {
    out.push_back(token[i]);
    if (token[i] == token[0]) ++i;
  }
  return out;
}

const std::string kHostile[] = {
    "plain",
    "it's",
    "''",
    "'; DROP TABLE t; --",
    "\\",
    "back\\slash\\'",
    "$$ body $$",
    "$tag$ x $tag$",
    "E'\\x27'",
    "\"quoted\" name with spaces",
    "\"; DROP TABLE t; --",
    "unicode: \xC3\xA9\xE2\x82\xAC\xF0\x9F\x8E\xB5 \xE2\x80\xAE",
    "line\nbreak\rand\ttab",
    std::string(100000, '\'') + "tail",
};

TEST(QuoteLiteral, DoublesSingleQuotesAndKeepsBackslashes) {
  EXPECT_EQ(quote_literal("it's"), "'it''s'");
  EXPECT_EQ(quote_literal("a\\b"), "'a\\b'");
  EXPECT_EQ(quote_literal(""), "''");
  EXPECT_EQ(quote_literal("E'x'"), "'E''x'''");
}

TEST(QuoteLiteral, KeepsEveryHostileValueInsideOneToken) {
  for (const auto& value : kHostile) {
    const std::string quoted = quote_literal(value);
    EXPECT_EQ(quoted_token_length(quoted), quoted.size()) << value.substr(0, 80);
    EXPECT_EQ(unquote(quoted), value) << value.substr(0, 80);
  }
}

TEST(QuoteLiteral, RefusesNulBytesAsInvalidInput) {
  try {
    quote_literal(std::string("a\0b", 3));
    FAIL() << "a NUL byte was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::invalid);
    EXPECT_EQ(error.source(), ErrorSource::input);
    EXPECT_NE(error.message().find("NUL"), std::string::npos);
  }
}

TEST(QuoteIdentifier, AlwaysQuotesAndDoublesDoubleQuotes) {
  EXPECT_EQ(quote_identifier("id"), "\"id\"");
  EXPECT_EQ(quote_identifier("User"), "\"User\"");
  EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(quote_identifier("select"), "\"select\"");
}

TEST(QuoteIdentifier, KeepsEveryHostileNameInsideOneToken) {
  for (const auto& name : kHostile) {
    const std::string quoted = quote_identifier(name);
    EXPECT_EQ(quoted_token_length(quoted), quoted.size()) << name.substr(0, 80);
    EXPECT_EQ(unquote(quoted), name) << name.substr(0, 80);
  }
}

TEST(QuoteIdentifier, RefusesNulBytes) {
  EXPECT_THROW(quote_identifier(std::string("a\0", 2)), Error);
}

TEST(QualifiedName, JoinsTwoQuotedPartsWithADot) {
  EXPECT_EQ(qualified_name("public", "my table"), "\"public\".\"my table\"");
  EXPECT_EQ(qualified_name("we\"ird", "t"), "\"we\"\"ird\".\"t\"");
  EXPECT_EQ(qualified_name("", "t"), "\"t\"");
}

TEST(AppendLiteral, AppendsToWhatIsAlreadyThere) {
  std::string out = "x = ";
  append_literal(out, "o'k");
  EXPECT_EQ(out, "x = 'o''k'");
}

}  // namespace
}  // namespace tapedeck::sql

namespace tapedeck::sql {
namespace {

TEST(QuoteLiteralInPlace, QuotesOnlyTheTextAfterTheOffset) {
  std::string out = "x = it's";
  quote_literal_in_place(out, 4);
  EXPECT_EQ(out, "x = 'it''s'");
  std::string plain = "v=abc";
  quote_literal_in_place(plain, 2);
  EXPECT_EQ(plain, "v='abc'");
}

TEST(QuoteLiteralInPlace, RefusesNulBytes) {
  std::string out = std::string("a\0b", 3);
  EXPECT_THROW(quote_literal_in_place(out, 0), Error);
}

}  // namespace
}  // namespace tapedeck::sql
