// Splitting a simple-query text into statements, and their command tags.
#include "transform/sql_statements.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tapedeck::transform {
namespace {

std::vector<std::string> split(std::string_view query) {
  std::vector<std::string> out;
  for (const auto statement : split_statements(query)) out.emplace_back(statement);
  return out;
}

using Statements = std::vector<std::string>;

TEST(SplitStatements, SplitsAtTopLevelSemicolonsAndTrimsEachStatement) {
  EXPECT_EQ(split("ALTER TABLE t ADD c int;  INSERT INTO t VALUES (1) ;\n"),
            (Statements{"ALTER TABLE t ADD c int", "INSERT INTO t VALUES (1)"}));
  EXPECT_EQ(split("SELECT 1"), Statements{"SELECT 1"});
}

TEST(SplitStatements, LeavesOutEmptyStatements) {
  EXPECT_EQ(split(" ; ;; SELECT 1;;"), Statements{"SELECT 1"});
  EXPECT_TRUE(split("  -- nothing\n /* at all */ ").empty());
}

TEST(SplitStatements, KeepsSemicolonsInsideQuotes) {
  EXPECT_EQ(split("INSERT INTO t VALUES ('a;b', 'it''s;'); SELECT \"odd;name\" FROM t"),
            (Statements{"INSERT INTO t VALUES ('a;b', 'it''s;')", "SELECT \"odd;name\" FROM t"}));
  EXPECT_EQ(split(R"(SELECT E'\';x'; SELECT 2)"), (Statements{R"(SELECT E'\';x')", "SELECT 2"}));
}

TEST(SplitStatements, KeepsSemicolonsInsideDollarQuotes) {
  EXPECT_EQ(split("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$SELECT 1; SELECT 2$$; "
                  "DO $body$ BEGIN PERFORM 1; END $body$; SELECT $1"),
            (Statements{"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$SELECT 1; SELECT 2$$",
                        "DO $body$ BEGIN PERFORM 1; END $body$", "SELECT $1"}));
}

TEST(SplitStatements, KeepsSemicolonsInsideCommentsAndDropsTrailingComments) {
  EXPECT_EQ(split("ALTER TABLE t ADD c int -- a note; not a statement\n; /* x; /* nested; */ y; */ "
                  "SELECT 1 /* trailing */"),
            (Statements{"ALTER TABLE t ADD c int", "SELECT 1"}));
}

TEST(SplitStatements, KeepsSemicolonsInsideParentheses) {
  EXPECT_EQ(
      split("CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2); SELECT 3"),
      (Statements{"CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)", "SELECT 3"}));
}

TEST(SplitStatements, RunsAnUnterminatedQuoteToTheEnd) {
  EXPECT_EQ(split("SELECT 'open; SELECT 2"), Statements{"SELECT 'open; SELECT 2"});
}

TEST(CommandTag, NamesTheSchemaChangesTapedeckReplays) {
  EXPECT_EQ(command_tag("create table t (id int)"), "CREATE TABLE");
  EXPECT_EQ(command_tag("CREATE UNLOGGED TABLE t (id int)"), "CREATE TABLE");
  EXPECT_EQ(command_tag("create temp table t (id int)"), "CREATE TABLE");
  EXPECT_EQ(command_tag("CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY)"), "CREATE TABLE");
  EXPECT_EQ(command_tag("CREATE TABLE t AS SELECT 1"), "CREATE TABLE AS");
  EXPECT_EQ(command_tag("ALTER TABLE IF EXISTS t DROP COLUMN c"), "ALTER TABLE");
  EXPECT_EQ(command_tag("/* why */ drop table t"), "DROP TABLE");
  EXPECT_EQ(command_tag("CREATE UNIQUE INDEX ON t (a)"), "CREATE INDEX");
  EXPECT_EQ(command_tag("create schema s"), "CREATE SCHEMA");
  EXPECT_EQ(command_tag("DROP SCHEMA s CASCADE"), "DROP SCHEMA");
  EXPECT_EQ(command_tag("CREATE OR REPLACE VIEW v AS SELECT 1"), "CREATE VIEW");
  EXPECT_EQ(command_tag("insert into t values (1)"), "INSERT INTO");
  EXPECT_EQ(command_tag("ROLLBACK"), "ROLLBACK");
  EXPECT_EQ(command_tag("select f()"), "SELECT F");
}

}  // namespace
}  // namespace tapedeck::transform
