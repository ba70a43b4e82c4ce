// SQLSTATE classification and statement shortening.
#include "core/pg/errors.hpp"

#include <gtest/gtest.h>

namespace tapedeck::pg {
namespace {

TEST(ClassifySqlstate, ConnectionExceptionsAreRetried) {
  EXPECT_EQ(classify_sqlstate("08000"), Recovery::retry);
  EXPECT_EQ(classify_sqlstate("08006"), Recovery::retry);
  EXPECT_EQ(classify_sqlstate("08P01"), Recovery::retry);
}

TEST(ClassifySqlstate, ShutdownsAndCannotConnectNowAreRetried) {
  EXPECT_EQ(classify_sqlstate("57P01"), Recovery::retry);
  EXPECT_EQ(classify_sqlstate("57P02"), Recovery::retry);
  EXPECT_EQ(classify_sqlstate("57P03"), Recovery::retry);
}

TEST(ClassifySqlstate, SerializationFailureAndDeadlockAreRetried) {
  EXPECT_EQ(classify_sqlstate("40001"), Recovery::retry);
  EXPECT_EQ(classify_sqlstate("40P01"), Recovery::retry);
}

TEST(ClassifySqlstate, InsufficientResourcesAreRetried) {
  EXPECT_EQ(classify_sqlstate("53000"), Recovery::retry);
  EXPECT_EQ(classify_sqlstate("53300"), Recovery::retry);
}

TEST(ClassifySqlstate, AMissingSqlstateMeansTheConnectionIsGone) {
  EXPECT_EQ(classify_sqlstate(""), Recovery::retry);
}

TEST(ClassifySqlstate, EverythingElseFails) {
  EXPECT_EQ(classify_sqlstate("42601"), Recovery::fail);  // syntax error
  EXPECT_EQ(classify_sqlstate("23505"), Recovery::fail);  // unique violation
  EXPECT_EQ(classify_sqlstate("42P01"), Recovery::fail);  // undefined table
  EXPECT_EQ(classify_sqlstate("57014"), Recovery::fail);  // query canceled
  EXPECT_EQ(classify_sqlstate("40002"), Recovery::fail);  // integrity constraint violation
}

TEST(ShortenSql, FoldsWhiteSpaceAndTrims) {
  EXPECT_EQ(shorten_sql("  SELECT\n\t1,\n   2  "), "SELECT 1, 2");
}

TEST(ShortenSql, CutsLongStatementsWithAnEllipsis) {
  const std::string shortened = shorten_sql(std::string(500, 'x'), 20);
  EXPECT_EQ(shortened, std::string(20, 'x') + "...");
}

TEST(ShortenSql, KeepsAStatementOfExactlyTheLimit) {
  EXPECT_EQ(shorten_sql("abcde", 5), "abcde");
}

}  // namespace
}  // namespace tapedeck::pg
