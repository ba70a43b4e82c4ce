// The head of a one-row INSERT as transform renders it: what consecutive inserts must share to
// go as one multi-row INSERT.
#include "core/recorded_statement.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tapedeck::recorded_statement {
namespace {

std::string head_of(const std::string& statement) {
  return statement.substr(0, single_row_insert_head(statement));
}

TEST(SingleRowInsertHead, IsEverythingBeforeTheRow) {
  EXPECT_EQ(head_of(R"(INSERT INTO "public"."t" ("id", "v") VALUES (1, 'a'))"),
            R"(INSERT INTO "public"."t" ("id", "v") VALUES )");
  EXPECT_EQ(head_of(R"(INSERT INTO "t" ("id") VALUES (1))"), R"(INSERT INTO "t" ("id") VALUES )");
  EXPECT_EQ(head_of(R"(INSERT INTO "s"."t" ("id") OVERRIDING SYSTEM VALUE VALUES (7))"),
            R"(INSERT INTO "s"."t" ("id") OVERRIDING SYSTEM VALUE VALUES )");
}

TEST(SingleRowInsertHead, ReadsQuotedIdentifiersWhateverTheyHold) {
  const std::string odd =
      R"(INSERT INTO "we""ird"."x) VALUES (" (") VALUES (", "b, c") VALUES (1, 2))";
  EXPECT_EQ(head_of(odd), R"(INSERT INTO "we""ird"."x) VALUES (" (") VALUES (", "b, c") VALUES )");
}

TEST(SingleRowInsertHead, IsNothingForOtherStatements) {
  for (const char* statement : {
           R"(INSERT INTO "public"."t" DEFAULT VALUES)",
           R"(INSERT INTO "public"."t" ("id") VALUES (1) ON CONFLICT DO NOTHING)",
           R"(UPDATE "public"."t" SET "v" = 'x' WHERE "id" = 1)",
           R"(DELETE FROM "public"."t" WHERE "id" = 1)",
           R"(TRUNCATE ONLY "public"."t")",
           R"(INSERT INTO public.t (id) VALUES (1))",
           R"(INSERT INTO "public"."t" ("id" VALUES (1))",
           R"(INSERT INTO "public"."t ("id") VALUES (1))",
           R"(INSERT INTO "public"."t" ("id") VALUES 1)",
           "",
       }) {
    EXPECT_EQ(single_row_insert_head(statement), 0u) << statement;
  }
}

TEST(SkipQuoted, EndsPastTheClosingQuoteOfALiteralOrAnIdentifier) {
  EXPECT_EQ(skip_quoted("'it''s' x", 0), 7U);
  EXPECT_EQ(skip_quoted(R"(a "x"" y" b)", 2), 9U);
  // A quote of the other kind inside does not close it.
  EXPECT_EQ(skip_quoted(R"('say "hi"')", 0), 10U);
  EXPECT_EQ(skip_quoted("''", 0), 2U);
}

TEST(SkipQuoted, IsNothingWhereNoQuoteOpensOrNoneCloses) {
  EXPECT_EQ(skip_quoted("abc", 0), std::string_view::npos);
  EXPECT_EQ(skip_quoted("'abc", 0), std::string_view::npos);
  EXPECT_EQ(skip_quoted("'ab''", 0), std::string_view::npos);
  EXPECT_EQ(skip_quoted("'a'", 3), std::string_view::npos);
}

}  // namespace
}  // namespace tapedeck::recorded_statement
