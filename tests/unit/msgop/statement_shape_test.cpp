// shape_statement: which values of a recorded statement become parameters, and which stay.
#include "msgop/statement_shape.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "core/recorded_statement.hpp"

namespace tapedeck::msgop {
namespace {

struct Shaped {
  std::string shape;
  std::vector<std::uint32_t> types;
  std::vector<std::string> values;
};

std::optional<Shaped> shape(std::string_view sql) {
  ShapedStatement out;
  if (!shape_statement(sql, out)) return std::nullopt;
  Shaped result{out.shape, out.types, {}};
  for (std::size_t i = 0; i < out.values.size(); ++i) {
    result.values.emplace_back(out.values.text(i));
  }
  return result;
}

TEST(StatementShape, AnUpdateByKeyTakesEveryValueOut) {
  const auto shaped =
      shape(R"(UPDATE "public"."accounts" SET "abalance" = -120, "filler" = 'it''s', "bid" = 7 )"
            R"(WHERE "aid" = 31337)");
  ASSERT_TRUE(shaped);
  EXPECT_EQ(shaped->shape,
            R"(UPDATE "public"."accounts" SET "abalance" = $1, "filler" = $2, "bid" = $3 )"
            R"(WHERE "aid" = $4)");
  EXPECT_EQ(shaped->values, (std::vector<std::string>{"-120", "it's", "7", "31337"}));
  EXPECT_EQ(shaped->types,
            (std::vector<std::uint32_t>{kInt4Type, kUnknownType, kInt4Type, kInt4Type}));
}

TEST(StatementShape, StatementsThatDifferOnlyInValuesShareTheirShape) {
  const auto one = shape(R"(INSERT INTO "t" ("a", "b") VALUES (1, 'x'))");
  const auto two = shape(R"(INSERT INTO "t" ("a", "b") VALUES (22, 'why'))");
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->shape, R"(INSERT INTO "t" ("a", "b") VALUES ($1, $2))");
  EXPECT_EQ(one->shape, two->shape);
}

TEST(StatementShape, IntegersAreTypedAsTheScannerTypesTheirValue) {
  const auto shaped = shape(
      "UPDATE t SET a = 2147483647, b = 2147483648, c = -2147483648, d = -2147483649, "
      "e = 9223372036854775807, f = -9223372036854775808, g = 9223372036854775808 WHERE k = 0");
  ASSERT_TRUE(shaped);
  EXPECT_EQ(shaped->types,
            (std::vector<std::uint32_t>{kInt4Type, kInt8Type, kInt4Type, kInt8Type, kInt8Type,
                                        kInt8Type, kNumericType, kInt4Type}));
  EXPECT_EQ(shaped->values[5], "-9223372036854775808");
}

TEST(StatementShape, CastsAndTheirModifiersStayWhileTheValueBeforeThemGoes) {
  const auto shaped =
      shape(R"(INSERT INTO "t" ("n", "v", "a", "z") VALUES ('1.50'::numeric(12,2), )"
            R"('x'::character varying(64), '{1,2}'::integer[], )"
            R"('2020-01-01 00:00:00+00'::timestamp with time zone))");
  ASSERT_TRUE(shaped);
  EXPECT_EQ(shaped->shape,
            R"(INSERT INTO "t" ("n", "v", "a", "z") VALUES ($1::numeric(12,2), )"
            R"($2::character varying(64), $3::integer[], $4::timestamp with time zone))");
  EXPECT_EQ(shaped->values,
            (std::vector<std::string>{"1.50", "x", "{1,2}", "2020-01-01 00:00:00+00"}));
}

TEST(StatementShape, AKeylessRowIsFoundByValuesInsideItsSubqueryAndLimitStays) {
  const auto shaped =
      shape(R"(DELETE FROM "d" WHERE ctid = (SELECT ctid FROM "d" WHERE "a" = 5 AND "b"::text = )"
            R"(('x')::text AND ROW("t") IS NULL AND "c" IS NOT DISTINCT FROM 'y' LIMIT 1))");
  ASSERT_TRUE(shaped);
  EXPECT_EQ(shaped->shape,
            R"(DELETE FROM "d" WHERE ctid = (SELECT ctid FROM "d" WHERE "a" = $1 AND "b"::text = )"
            R"(($2)::text AND ROW("t") IS NULL AND "c" IS NOT DISTINCT FROM $3 LIMIT 1))");
}

TEST(StatementShape, ValuesOutsideValuePositionsStayAsWritten) {
  const auto shaped = shape(
      "UPDATE t SET a = ARRAY['x', 'y'], b = c - 1, d = 1.5, e = 1e3 "
      "WHERE k = 'q'");
  ASSERT_TRUE(shaped);
  EXPECT_EQ(shaped->shape,
            "UPDATE t SET a = ARRAY['x', 'y'], b = c - 1, d = 1.5, e = 1e3 WHERE k = $1");
}

// NULL, true and false as transform writes them are values too, so a nullable or boolean column
// does not split one shape into many; IS NULL and other spellings stay as written.
TEST(StatementShape, NullTrueAndFalseAsTransformWritesThemAreValues) {
  ShapedStatement out;
  ASSERT_TRUE(shape_statement(R"(INSERT INTO "t" ("a", "b", "c", "d", "e") VALUES (NULL, true, )"
                              R"(false, null, TRUE))",
                              out));
  EXPECT_EQ(out.shape,
            R"(INSERT INTO "t" ("a", "b", "c", "d", "e") VALUES ($1, $2, $3, null, TRUE))");
  EXPECT_EQ(out.types, (std::vector<std::uint32_t>{kUnknownType, kBoolType, kBoolType}));
  EXPECT_TRUE(out.values.is_null(0));
  EXPECT_EQ(out.values.text(1), "true");
  EXPECT_EQ(out.values.text(2), "false");
  const auto update = shape(R"(UPDATE "t" SET "a" = NULL WHERE ROW("k") IS NULL AND "j" = false)");
  ASSERT_TRUE(update);
  EXPECT_EQ(update->shape, R"(UPDATE "t" SET "a" = $1 WHERE ROW("k") IS NULL AND "j" = $2)");
}

TEST(StatementShape, IdentifiersHoldingDigitsQuotesOrKeywordsAreNotValues) {
  const auto shaped =
      shape(R"(UPDATE "we""ird 1" SET t2 = 'a', "x = 'b'" = 3, "select" = 'c' WHERE "id" = 'k')");
  ASSERT_TRUE(shaped);
  EXPECT_EQ(shaped->shape,
            R"(UPDATE "we""ird 1" SET t2 = $1, "x = 'b'" = $2, "select" = $3 WHERE "id" = $4)");
}

TEST(StatementShape, LiteralsKeepTheirBytesAndDoubledQuotesBecomeOne) {
  const auto shaped = shape(
      "UPDATE t SET a = '''', b = 'back\\slash', c = 'äö ✓', d = '' "
      "WHERE k = 'x''y''z'");
  ASSERT_TRUE(shaped);
  EXPECT_EQ(shaped->values, (std::vector<std::string>{"'", "back\\slash", "äö ✓", "", "x'y'z"}));
}

TEST(StatementShape, WhatThisReadingDoesNotFollowIsLeftWhole) {
  for (const std::string_view sql : {
           "UPDATE t SET a = E'x\\n' WHERE k = 1",
           "UPDATE t SET a = U&'x' WHERE k = 1",
           "UPDATE t SET a = $$x$$ WHERE k = 1",
           "UPDATE t SET a = $1 WHERE k = 1",
           "UPDATE t SET a = 1 WHERE k = 1; DELETE FROM t",
           "UPDATE t SET a = 1 -- note\nWHERE k = 1",
           "UPDATE t SET a = /* note */ 1 WHERE k = 1",
           "UPDATE t SET a = 'one'\n'two' WHERE k = 1",
           "UPDATE t SET a = 'unterminated WHERE k = 1",
           "UPDATE t SET a = 'x'2026 WHERE k = 1",  // "$12026" would be another parameter
           "UPDATE t SET a = 'x'b WHERE k = 1",     // and "$1b" nothing at all
           "UPDATE t SET a = 1 WHERE k = 7_0.$.1",  // a '$' stuck to a number (found by fuzzing)
           "DELETE FROM t WHERE k IS NOT DISTINCT FROM-1",  // "FROM$1" would be one word
           "UPDATE t SET a = b",                            // no value at all
           "TRUNCATE ONLY \"t\"",                           // not a row change
           "SELECT pg_catalog.set_config('search_path', '', true);\nALTER TABLE t ADD c int",
       }) {
    EXPECT_FALSE(shape(sql)) << sql;
  }
}

TEST(StatementShape, AStatementWithMoreValuesThanTheProtocolCarriesIsLeftWhole) {
  std::string sql = "INSERT INTO t (a) VALUES (0)";
  for (int i = 1; i <= 65535; ++i) sql += ", (" + std::to_string(i) + ")";
  EXPECT_FALSE(shape(sql));
}

constexpr std::array<std::uint32_t, 1> kInt4{kInt4Type};
constexpr std::array<std::uint32_t, 1> kInt8{kInt8Type};

TEST(PreparedShapes, AShapeIsPreparedOnceAndANameNeverServesTwoShapes) {
  PreparedShapes prepared(2);
  const auto first = prepared.use("UPDATE t SET a = $1", kInt4);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->prepare_first);
  const std::string first_name = first->name;
  const auto again = prepared.use("UPDATE t SET a = $1", kInt4);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->prepare_first);
  EXPECT_EQ(again->name, first_name);
  // Forgotten (after DDL, or a failed pipeline): prepared again, under a name not used before.
  prepared.forget();
  const auto after_forget = prepared.use("UPDATE t SET a = $1", kInt4);
  ASSERT_TRUE(after_forget);
  EXPECT_TRUE(after_forget->prepare_first);
  EXPECT_NE(after_forget->name, first_name);
}

// An int4 parameter cannot take 5000000000: the same text with an int8 value is another
// prepared statement.
TEST(PreparedShapes, TheSameShapeWithOtherParameterTypesIsAnotherStatement) {
  PreparedShapes prepared;
  const auto int4 = prepared.use("UPDATE t SET a = $1", kInt4);
  ASSERT_TRUE(int4);
  const std::string int4_name = int4->name;
  const auto int8 = prepared.use("UPDATE t SET a = $1", kInt8);
  ASSERT_TRUE(int8);
  EXPECT_TRUE(int8->prepare_first);
  EXPECT_NE(int8->name, int4_name);
  EXPECT_EQ(prepared.use("UPDATE t SET a = $1", kInt4)->name, int4_name);
}

TEST(PreparedShapes, ARefusedShapeAndOnePastTheCapacityRunAsText) {
  PreparedShapes prepared(2);
  const auto use = prepared.use("DELETE FROM t WHERE k = $1", kInt4);
  ASSERT_TRUE(use);
  prepared.refuse(use->id);
  EXPECT_FALSE(prepared.use("DELETE FROM t WHERE k = $1", kInt4));
  prepared.forget();
  EXPECT_FALSE(prepared.use("DELETE FROM t WHERE k = $1", kInt4)) << "a refusal outlives forget()";
  EXPECT_TRUE(prepared.use("DELETE FROM t WHERE k = $1", kInt8)) << "other types are not refused";
  EXPECT_TRUE(prepared.use("UPDATE t SET a = $1", kInt4));
  EXPECT_FALSE(prepared.use("UPDATE t SET c = $1", kInt4));
  EXPECT_TRUE(prepared.use("UPDATE t SET a = $1", kInt4)) << "known shapes are still served";
}

TEST(PreparedShapes, ShapesPastTheBudgetOfTextRunAsText) {
  PreparedShapes prepared(100, 40);
  ASSERT_TRUE(prepared.use("UPDATE t SET a = $1 WHERE k = $2", kInt4));  // 32 bytes
  EXPECT_FALSE(prepared.use("DELETE FROM t WHERE k = $1", kInt4)) << "32 + 26 > 40";
  EXPECT_TRUE(prepared.use("DELETE x", kInt4)) << "32 + 8 = 40";
  EXPECT_TRUE(prepared.use("UPDATE t SET a = $1 WHERE k = $2", kInt4)) << "known shapes are served";
  prepared.forget();
  EXPECT_TRUE(prepared.use("DELETE FROM t WHERE k = $1", kInt4)) << "forget() frees the budget";
}

TEST(MultiRowInsertShape, RowsNumberTheirParametersOnAndKeepQuotedTextAsItIs) {
  ShapedStatement row;
  const std::string insert =
      R"(INSERT INTO "s"."t$1" ("a", "b$2", "c") VALUES (7, ARRAY['$1', 'x'], 'it''s'::text))";
  ASSERT_TRUE(shape_statement(insert, row));
  const std::size_t head = recorded_statement::single_row_insert_head(insert);
  ASSERT_NE(head, 0U);
  std::string shape;
  std::vector<std::uint32_t> types;
  multi_row_insert_shape(row, head, 3, shape, types);
  // Inside ARRAY[...] values stay as written (shape_statement), '$1' among them.
  EXPECT_EQ(row.shape,
            R"(INSERT INTO "s"."t$1" ("a", "b$2", "c") VALUES ($1, ARRAY['$1', 'x'], $2::text))");
  EXPECT_EQ(shape,
            R"(INSERT INTO "s"."t$1" ("a", "b$2", "c") VALUES ($1, ARRAY['$1', 'x'], $2::text), )"
            R"(($3, ARRAY['$1', 'x'], $4::text), ($5, ARRAY['$1', 'x'], $6::text))");
  EXPECT_EQ(types, (std::vector<std::uint32_t>{kInt4Type, kUnknownType, kInt4Type, kUnknownType,
                                               kInt4Type, kUnknownType}));
  multi_row_insert_shape(row, head, 1, shape, types);
  EXPECT_EQ(shape, row.shape) << "one row is the one-row shape itself";
  EXPECT_EQ(types, row.types);
}

// "$1" inside a word is part of the word, never a parameter to number on.
TEST(MultiRowInsertShape, AWordHoldingADollarStaysAsItIs) {
  ShapedStatement row;
  const std::string insert = R"(INSERT INTO "t" ("a", "b") VALUES (5, f$1(2)))";
  ASSERT_TRUE(shape_statement(insert, row));
  std::string shape;
  std::vector<std::uint32_t> types;
  multi_row_insert_shape(row, recorded_statement::single_row_insert_head(insert), 2, shape, types);
  EXPECT_EQ(shape, R"(INSERT INTO "t" ("a", "b") VALUES ($1, f$1($2)), ($3, f$1($4)))");
}

}  // namespace
}  // namespace tapedeck::msgop
