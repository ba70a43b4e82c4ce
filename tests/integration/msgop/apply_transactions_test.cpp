// apply_transactions against a real session database: whole groups, TRUNCATE runs, and the
// one-row check that turns a drifted session database into a named failure.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "fixture.hpp"
#include "msgop/catch_up.hpp"
#include "msgop/replay_target.hpp"

namespace tapedeck::msgop::testing {
namespace {

class ApplyTransactionsTest : public MsgopTest {
 protected:
  RecordedTransaction transaction(const std::string& lsn, std::uint64_t xid,
                                  std::vector<std::string> statements) {
    RecordedTransaction result;
    result.commit_lsn = *Lsn::parse(lsn);
    result.xid = Xid{xid};
    for (std::size_t i = 0; i < statements.size(); ++i) {
      result.positions.push_back(static_cast<std::int64_t>(i));
    }
    result.statements = std::move(statements);
    return result;
  }

  // Applies `group` at catch-up's full speed, overwritten UPDATEs left out, expecting it to
  // fail; returns the error's message.
  std::string full_speed_failure(pg::Connection& target,
                                 const std::vector<RecordedTransaction>& group) {
    PreparedShapes prepared;
    try {
      apply_at_full_speed(target, group, prepared, Overwritten::skipped);
    } catch (const Error& error) {
      return error.what();
    }
    ADD_FAILURE() << "the group was applied";
    return {};
  }

  // Runs `statements` as text on `target` with the table `"from"` renamed `"to"` (a twin of it),
  // for a test to compare what an apply stored with what the text stores.
  void apply_as_text(pg::Connection& target, const std::vector<std::string>& statements,
                     const std::string& from, const std::string& to) {
    const std::string quoted_from = '"' + from + '"';
    for (std::string statement : statements) {
      statement.replace(statement.find(quoted_from), quoted_from.size(), '"' + to + '"');
      target.exec(statement);
    }
  }

  std::string rows(pg::Connection& db, const std::string& query) {
    return db.exec(query).get<std::optional<std::string>>(0, 0).value_or("");
  }

  // Every row of `table` by id, a line each: its `columns` (SQL expressions) joined by '|'.
  std::string table_rows(pg::Connection& db, const std::string& table,
                         const std::vector<std::string>& columns) {
    std::vector<std::string> placeholders(columns.size(), "%s");
    return rows(db, fmt::format("SELECT string_agg(format('{}', {}), E'\\n' ORDER BY id) FROM {}",
                                fmt::join(placeholders, "|"), fmt::join(columns, ", "), table));
  }

  // Applies `group`, expecting it to fail; returns the error's message.
  std::string failure(pg::Connection& target, const std::vector<RecordedTransaction>& group,
                      Commits commits = Commits::one_for_the_group) {
    try {
      apply_transactions(target, group, Inserts::one_by_one, commits);
    } catch (const Error& error) {
      return error.what();
    }
    ADD_FAILURE() << "the group was applied";
    return {};
  }
};

TEST_F(ApplyTransactionsTest, AppliesWholeTransactionsInOrder) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {1, 2});
  pg::Connection target(dsn);
  apply_transactions(target, std::vector{transaction("0/10", 1,
                                                     {"INSERT INTO t (id, v) VALUES (3, 'a')",
                                                      "UPDATE t SET v = 'b' WHERE id = 1"}),
                                         transaction("0/20", 2, {"DELETE FROM t WHERE id = 2"})});
  EXPECT_EQ(rows(target, "SELECT string_agg(id || v, ',' ORDER BY id) FROM t"), "1b,3a");
}

// A recorded UPDATE changed one row of the Live DB; changing none here means the session
// database is not what the recording expects. Nothing of the group is committed, not even
// the transactions before it, and the failure names the statement.
TEST_F(ApplyTransactionsTest, AnUpdateThatFindsNoRowFailsNamingItAndCommitsNothing) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {1});
  pg::Connection target(dsn);
  const std::string message =
      failure(target, {transaction("0/10", 7, {"INSERT INTO t (id, v) VALUES (5, 'new')"}),
                       transaction("0/20", 8,
                                   {"INSERT INTO t (id, v) VALUES (6, 'new')",
                                    "UPDATE t SET v = 'gone' WHERE id = 2"})});
  EXPECT_NE(message.find("commit LSN 0/20 position 1 (xid 8)"), std::string::npos) << message;
  EXPECT_NE(message.find("changed 0 rows"), std::string::npos) << message;
  EXPECT_NE(message.find("UPDATE t SET v = 'gone' WHERE id = 2"), std::string::npos) << message;
  EXPECT_EQ(rows(target, "SELECT string_agg(id || v, ',' ORDER BY id) FROM t"), "1backup");
  // The connection is usable again: nothing was left open.
  apply_transactions(target, std::vector{transaction("0/30", 9, {"DELETE FROM t WHERE id = 1"})});
  EXPECT_EQ(rows(target, "SELECT count(*)::text FROM t"), "0");
}

// Paced replay: each source transaction is committed on its own, several sharing round trips.
// A drifted UPDATE rolls back its own transaction only; the ones before it stay applied, the
// ones after it are not applied, and the failure names it.
TEST_F(ApplyTransactionsTest, EachTransactionCommitsOnItsOwnAndAFailureStopsAtIt) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {1});
  pg::Connection target(dsn);
  const std::string message = failure(
      target,
      {transaction("0/10", 7, {"INSERT INTO t (id, v) VALUES (5, 'a')"}),
       transaction("0/20", 8, {"UPDATE t SET v = 'b' WHERE id = 1"}),
       transaction(
           "0/30", 9,
           {"INSERT INTO t (id, v) VALUES (6, 'c')", "UPDATE t SET v = 'gone' WHERE id = 2"}),
       transaction("0/40", 10, {"INSERT INTO t (id, v) VALUES (7, 'd')"})},
      Commits::each);
  EXPECT_NE(message.find("commit LSN 0/30 position 1 (xid 9)"), std::string::npos) << message;
  EXPECT_NE(message.find("changed 0 rows"), std::string::npos) << message;
  EXPECT_NE(message.find("(1 source transactions) was rolled back"), std::string::npos) << message;
  EXPECT_EQ(rows(target, "SELECT string_agg(id || v, ',' ORDER BY id) FROM t"), "1b,5a");
}

// Inserts only: COMMIT goes in the same round trip as the statements, and a failing insert
// still keeps its transaction's COMMIT from running.
TEST_F(ApplyTransactionsTest, AFailingInsertKeepsItsCommitFromRunningWhenCommittingEach) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {1});
  pg::Connection target(dsn);
  const std::string message =
      failure(target,
              {transaction("0/10", 7, {"INSERT INTO t (id, v) VALUES (5, 'a')"}),
               transaction("0/20", 8,
                           {"INSERT INTO t (id, v) VALUES (6, 'b')",
                            "INSERT INTO t (id, v) VALUES (1, 'duplicate')"}),
               transaction("0/30", 9, {"INSERT INTO t (id, v) VALUES (7, 'c')"})},
              Commits::each);
  EXPECT_NE(message.find("commit LSN 0/20 position 1 (xid 8)"), std::string::npos) << message;
  EXPECT_EQ(rows(target, "SELECT string_agg(id || v, ',' ORDER BY id) FROM t"), "1backup,5a");
  // Nothing was left open.
  apply_transactions(target, std::vector{transaction("0/40", 10, {"DELETE FROM t WHERE id = 5"})},
                     Inserts::one_by_one, Commits::each);
  EXPECT_EQ(rows(target, "SELECT string_agg(id || v, ',' ORDER BY id) FROM t"), "1backup");
}

TEST_F(ApplyTransactionsTest, ADeleteThatChangesMoreThanOneRowFailsToo) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {1, 2});
  pg::Connection target(dsn);
  const std::string message =
      failure(target, {transaction("0/10", 7, {"DELETE FROM t WHERE id > 0"})});
  EXPECT_NE(message.find("changed 2 rows"), std::string::npos) << message;
  EXPECT_EQ(rows(target, "SELECT count(*)::text FROM t"), "2");
}

// The check runs before a DDL statement of the group too, and the DDL's own statements (an
// added column's fill may change no row) are not checked.
TEST_F(ApplyTransactionsTest, TheCheckCoversStatementsBeforeADdlAndLeavesTheDdlAlone) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {1});
  pg::Connection target(dsn);
  apply_transactions(target,
                     std::vector{transaction("0/10", 1,
                                             {"SELECT pg_catalog.set_config('search_path', "
                                              "'public', true);\nALTER TABLE t ADD COLUMN w int;\n"
                                              "UPDATE t SET w = 1 WHERE false"})});
  const std::string message =
      failure(target, {transaction("0/20", 2,
                                   {"DELETE FROM t WHERE id = 9",
                                    "SELECT pg_catalog.set_config('search_path', 'public', "
                                    "true);\nALTER TABLE t ADD COLUMN x int"})});
  EXPECT_NE(message.find("changed 0 rows"), std::string::npos) << message;
  EXPECT_EQ(rows(target,
                 "SELECT count(*)::text FROM information_schema.columns WHERE table_name = 't' "
                 "AND column_name = 'x'"),
            "0");
}

// One TRUNCATE of tables linked by a foreign key arrives as one statement per table; applied
// one by one PostgreSQL refuses the first.
TEST_F(ApplyTransactionsTest, ARunOfTruncatesIsOneCommand) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {});
  pg::Connection target(dsn);
  target.exec(
      "CREATE TABLE unit (id int PRIMARY KEY); "
      "CREATE TABLE reading (unit_id int REFERENCES unit); "
      "INSERT INTO unit VALUES (1); INSERT INTO reading VALUES (1)");
  apply_transactions(target, std::vector{transaction("0/10", 1,
                                                     {R"(TRUNCATE ONLY "public"."unit")",
                                                      R"(TRUNCATE ONLY "public"."reading")",
                                                      "INSERT INTO unit VALUES (2)"})});
  EXPECT_EQ(rows(target, "SELECT string_agg(id::text, ',') FROM unit"), "2");
  EXPECT_EQ(rows(target, "SELECT count(*)::text FROM reading"), "0");
}

// Statements prepared by shape put the very values their text holds, whatever the value.
TEST_F(ApplyTransactionsTest, PreparedShapesStoreTheValuesTheTextHolds) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {});
  pg::Connection target(dsn);
  target.exec(
      "CREATE TABLE odd (id int PRIMARY KEY, s text, n numeric(8,2), b bigint, a int[], "
      "j jsonb, ts timestamptz, vc varchar(5))");
  const std::vector<std::string> values = {
      "'it''s', 1.005, -9223372036854775808, '{1,-2}'::integer[], '{\"k\": \"\\\\\"}', "
      "'2020-02-29 23:59:59.999999+00'::timestamp with time zone, 'äöü✓'::character varying(5)",
      "'back\\slash '' \"quote\"', '-0.5'::numeric(8,2), 2147483648, '{}', 'null', "
      "'infinity', ''",
      "'', 99999.99, -1, NULL, '[1, 2.50]', '1970-01-01 00:00:00+00', 'x'"};
  // Each INSERT apart from the next, so none is merged into a multi-row one.
  const std::vector<std::string> after = {
      R"(UPDATE "public"."odd" SET "s" = 'new''s', "b" = -2 WHERE "id" = 1)",
      R"(UPDATE "public"."odd" SET "s" = 'x', "b" = 3 WHERE "id" = 2)",
      R"(DELETE FROM "public"."odd" WHERE "id" = 3)"};
  std::vector<std::string> statements;
  for (std::size_t i = 0; i < values.size(); ++i) {
    statements.push_back(fmt::format(
        R"(INSERT INTO "public"."odd" ("id", "s", "n", "b", "a", "j", "ts", "vc") VALUES ({}, {}))",
        i + 1, values[i]));
    statements.push_back(after[i]);
  }
  PreparedShapes prepared;
  apply_transactions(target, std::vector{transaction("0/10", 1, statements)}, Inserts::merged,
                     Commits::one_for_the_group, &prepared);

  target.exec("CREATE TABLE twin (LIKE odd)");
  apply_as_text(target, statements, "odd", "twin");
  const std::vector<std::string> columns = {"id", "s", "n", "b", "a", "j", "ts", "vc"};
  EXPECT_EQ(table_rows(target, "odd", columns), table_rows(target, "twin", columns));
  EXPECT_EQ(rows(target, "SELECT s || '/' || b FROM odd WHERE id = 1"), "new's/-2");
  // They went prepared: the INSERTs, the UPDATEs (one shape for both) and the DELETE.
  EXPECT_EQ(rows(target,
                 "SELECT string_agg(kind || ':' || n, ',' ORDER BY kind) FROM (SELECT "
                 "split_part(statement, ' ', 1) AS kind, count(*) AS n FROM "
                 "pg_prepared_statements GROUP BY 1) k"),
            "DELETE:1,INSERT:3,UPDATE:1");
}

// A run of one-row INSERTs goes as prepared multi-row INSERTs of 64 rows and then powers of
// two, across source transactions, and stores what the one-row statements as text store.
TEST_F(ApplyTransactionsTest, ARunOfInsertsGoesInMultiRowChunksAndStoresWhatTheTextDoes) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {});
  pg::Connection target(dsn);
  target.exec(
      "CREATE TABLE run (id bigint PRIMARY KEY, s text, n numeric(8,2), ts timestamptz, "
      "f real, ok boolean, note text); CREATE TABLE twin (LIKE run)");
  const std::vector<std::string> hostile = {"'it''s'", "''", "'$1'", R"('a\b')", "'x'''''"};
  std::vector<RecordedTransaction> group;
  std::vector<std::string> statements;
  for (int id = 1; id <= 100; ++id) {
    // A key past int4 from row 90 on: a shape of its own (int8), prepared apart.
    const std::int64_t key = id < 90 ? id : std::int64_t{5'000'000'000} + id;
    // Booleans and NULLs vary from row to row and still share the run's shape.
    statements.push_back(fmt::format(
        R"(INSERT INTO "public"."run" ("id", "s", "n", "ts", "f", "ok", "note") VALUES ({}, {}, )"
        R"('{}'::numeric(8,2), '2026-01-0{} 10:00:00.{:06}+00', '{}'::real, {}, {}))",
        key, hostile[id % hostile.size()], id % 3 == 0 ? "-0.005" : "12.345", 1 + id % 9, id,
        id % 4 == 0 ? "NaN" : "16777217", id % 2 == 0 ? "true" : "false",
        id % 3 == 0 ? "NULL" : "'NULL'"));
    if (id % 30 == 0) {
      group.push_back(transaction(fmt::format("0/{:X}", id), id, statements));
      statements.clear();
    }
  }
  group.push_back(transaction("0/FFF", 1000, statements));
  PreparedShapes prepared;
  apply_transactions(target, group, Inserts::merged, Commits::one_for_the_group, &prepared);

  for (const auto& tx : group) apply_as_text(target, tx.statements, "run", "twin");
  const std::vector<std::string> columns = {
      "id", "s", "n", "ts", "f", "ok", "coalesce(note, '(null)')"};
  EXPECT_EQ(table_rows(target, "run", columns), table_rows(target, "twin", columns));
  EXPECT_EQ(rows(target, "SELECT count(*)::text FROM run"), "100");
  // The rows of each prepared INSERT: 89 int4 keys in 64 + 16 + 8 + 1 rows, 11 int8 keys in
  // 8 + 2 + 1.
  EXPECT_EQ(rows(target,
                 "SELECT string_agg(n::text, ',' ORDER BY n DESC) FROM (SELECT "
                 "(length(statement) - length(replace(statement, '), (', ''))) / 4 + 1 AS n "
                 "FROM pg_prepared_statements WHERE statement LIKE 'INSERT%') k"),
            "64,16,8,8,2,1,1");
}

// With no room left to prepare a multi-row INSERT, a run goes row by row by its one-row shape.
TEST_F(ApplyTransactionsTest, ARunWithNoRoomForAMultiRowInsertGoesRowByRowPrepared) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {});
  pg::Connection target(dsn);
  target.exec("CREATE TABLE one (id int PRIMARY KEY, v text)");
  std::vector<std::string> statements;
  for (int id = 1; id <= 10; ++id) {
    statements.push_back(
        fmt::format(R"(INSERT INTO "public"."one" ("id", "v") VALUES ({}, 'v{}'))", id, id));
  }
  // Room for the one-row shape (44 bytes), not for an 8-row one.
  PreparedShapes prepared(2000, 100);
  apply_transactions(target, std::vector{transaction("0/10", 1, statements)}, Inserts::merged,
                     Commits::one_for_the_group, &prepared);
  EXPECT_EQ(rows(target, "SELECT string_agg(id || v, ',' ORDER BY id) FROM one"),
            "1v1,2v2,3v3,4v4,5v5,6v6,7v7,8v8,9v9,10v10");
  EXPECT_EQ(rows(target, "SELECT string_agg(statement, ';') FROM pg_prepared_statements"),
            R"(INSERT INTO "public"."one" ("id", "v") VALUES ($1, $2))");
}

// A row of 1,100 values: a multi-row INSERT stays within the protocol's 65,535 parameters.
TEST_F(ApplyTransactionsTest, AMultiRowInsertOfAWideTableStaysWithinTheParameterLimit) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {});
  pg::Connection target(dsn);
  std::string columns = "c0 int PRIMARY KEY";
  std::string names = R"("c0")";
  for (int c = 1; c < 1100; ++c) {
    columns += fmt::format(", c{} int", c);
    names += fmt::format(R"(, "c{}")", c);
  }
  target.exec("CREATE TABLE wide (" + columns + ")");
  std::vector<std::string> statements;
  for (int id = 1; id <= 64; ++id) {
    std::string values = std::to_string(id);
    for (int c = 1; c < 1100; ++c) values += ", " + std::to_string(c);
    statements.push_back(
        fmt::format(R"(INSERT INTO "public"."wide" ({}) VALUES ({}))", names, values));
  }
  PreparedShapes prepared;
  apply_transactions(target, std::vector{transaction("0/10", 1, statements)}, Inserts::merged,
                     Commits::one_for_the_group, &prepared);
  EXPECT_EQ(rows(target, "SELECT count(*) || ':' || sum(c1099) FROM wide"), "64:70336");
}

// The same UPDATE text with an int4 value, then an int8 one: two prepared statements, since a
// statement prepared for int4 cannot take 5000000000.
TEST_F(ApplyTransactionsTest, AnInt8ValueAfterAnInt4OneInTheSameShapeApplies) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {});
  pg::Connection target(dsn);
  target.exec(
      "CREATE TABLE big (id int PRIMARY KEY, v bigint); INSERT INTO big VALUES (1, 0), (2, 0)");
  PreparedShapes prepared;
  apply_transactions(
      target,
      std::vector{transaction("0/10", 1,
                              {R"(UPDATE "public"."big" SET "v" = 7 WHERE "id" = 1)",
                               R"(UPDATE "public"."big" SET "v" = 5000000000 WHERE "id" = 2)"})},
      Inserts::merged, Commits::one_for_the_group, &prepared);
  EXPECT_EQ(rows(target, "SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM big"),
            "1:7,2:5000000000");
}

// A prepared statement keeps the parameter types it was prepared with: after a DDL changes
// a column's type, the same text must mean what it means now ('007' into text, not 7).
TEST_F(ApplyTransactionsTest, ADdlMakesTheShapesPreparedBeforeItForgotten) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {});
  pg::Connection target(dsn);
  target.exec(
      "CREATE TABLE code (id int PRIMARY KEY, v int); INSERT INTO code VALUES (1, 0), "
      "(2, 0)");
  PreparedShapes prepared;
  apply_transactions(
      target,
      std::vector{transaction("0/10", 1, {"UPDATE code SET v = '007' WHERE id = 1"}),
                  transaction("0/20", 2,
                              {"SELECT pg_catalog.set_config('search_path', 'public', "
                               "true);\nALTER TABLE code ALTER COLUMN v TYPE text"}),
                  transaction("0/30", 3, {"UPDATE code SET v = '007' WHERE id = 2"})},
      Inserts::merged, Commits::one_for_the_group, &prepared);
  EXPECT_EQ(rows(target, "SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM code"),
            "1:7,2:007");
}

// Catch-up leaves out an UPDATE that a later one of its group overwrites: the end is the same,
// and the earlier UPDATE never ran (an ENABLE ALWAYS trigger, which the session runner would
// see and so apply every UPDATE, counts what ran here).
TEST_F(ApplyTransactionsTest, AnUpdateOverwrittenLaterInTheGroupIsLeftOut) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {1, 2});
  pg::Connection target(dsn);
  target.exec(kCountUpdatesOfT);
  prepare_replay_target(target);
  const std::vector group{
      transaction("0/10", 1,
                  {R"(UPDATE "public"."t" SET "id" = 1, "v" = 'a' WHERE "id" = 1)",
                   R"(UPDATE "public"."t" SET "id" = 2, "v" = 'a' WHERE "id" = 2)"}),
      transaction("0/20", 2,
                  {R"(INSERT INTO "public"."t" ("id", "v") VALUES (3, 'c'))",
                   R"(UPDATE "public"."t" SET "id" = 1, "v" = 'b' WHERE "id" = 1)"})};
  PreparedShapes prepared;
  EXPECT_EQ(apply_at_full_speed(target, group, prepared, Overwritten::skipped), 1U);
  EXPECT_EQ(rows(target, "SELECT string_agg(id || v, ',' ORDER BY id) FROM t"), "1b,2a,3c");
  EXPECT_EQ(rows(target, "SELECT n::text FROM ran"), "2");
}

// An UPDATE of a row that a later DELETE of the group removes is left out too; a row the session
// database lacks still fails the group at the UPDATE, named.
TEST_F(ApplyTransactionsTest, AnUpdateOfARowDeletedLaterInTheGroupIsLeftOut) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {1, 2});
  pg::Connection target(dsn);
  target.exec(kCountUpdatesOfT);
  prepare_replay_target(target);
  const std::vector group{
      transaction("0/10", 1,
                  {R"(UPDATE "public"."t" SET "id" = 1, "v" = 'a' WHERE "id" = 1)",
                   R"(UPDATE "public"."t" SET "id" = 2, "v" = 'a' WHERE "id" = 2)"}),
      transaction("0/20", 2, {R"(DELETE FROM "public"."t" WHERE "id" = 1)"})};
  PreparedShapes prepared;
  EXPECT_EQ(apply_at_full_speed(target, group, prepared, Overwritten::skipped), 1U);
  EXPECT_EQ(rows(target, "SELECT string_agg(id || v, ',' ORDER BY id) FROM t"), "2a");
  EXPECT_EQ(rows(target, "SELECT n::text FROM ran"), "1");

  const std::vector missing{
      transaction("0/30", 7, {R"(UPDATE "public"."t" SET "id" = 9, "v" = 'a' WHERE "id" = 9)"}),
      transaction("0/40", 8, {R"(DELETE FROM "public"."t" WHERE "id" = 9)"})};
  const std::string failure = full_speed_failure(target, missing);
  EXPECT_NE(failure.find("changed 0 rows"), std::string::npos) << failure;
  EXPECT_NE(failure.find("xid 7"), std::string::npos) << failure;
}

// What may move a row to another key keeps every UPDATE before it: here the row written first
// moves to key 5 and a new row takes key 1, so leaving the first UPDATE out would lose it.
TEST_F(ApplyTransactionsTest, AKeyChangeInBetweenKeepsTheEarlierUpdate) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {1});
  pg::Connection target(dsn);
  prepare_replay_target(target);
  const std::vector group{
      transaction("0/10", 1, {R"(UPDATE "public"."t" SET "id" = 1, "v" = 'a' WHERE "id" = 1)"}),
      transaction("0/20", 2,
                  {R"(UPDATE "public"."t" SET "id" = 5 WHERE "id" = 1)",
                   R"(INSERT INTO "public"."t" ("id", "v") VALUES (1, 'new'))",
                   R"(UPDATE "public"."t" SET "id" = 1, "v" = 'b' WHERE "id" = 1)"})};
  PreparedShapes prepared;
  EXPECT_EQ(apply_at_full_speed(target, group, prepared, Overwritten::skipped), 0U);
  EXPECT_EQ(rows(target, "SELECT string_agg(id || v, ',' ORDER BY id) FROM t"), "1b,5a");
}

// A row the session database lacks still fails the group, named, though the UPDATE that would
// have found it first is left out: the later one finds no row either.
TEST_F(ApplyTransactionsTest, AMissingRowStillFailsAGroupWithOverwrittenUpdates) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {1});
  pg::Connection target(dsn);
  prepare_replay_target(target);
  const std::vector group{
      transaction("0/10", 7, {R"(UPDATE "public"."t" SET "id" = 9, "v" = 'a' WHERE "id" = 9)"}),
      transaction("0/20", 8, {R"(UPDATE "public"."t" SET "id" = 9, "v" = 'b' WHERE "id" = 9)"})};
  const std::string failure = full_speed_failure(target, group);
  // Applied again one statement at a time, the failure names the first UPDATE.
  EXPECT_NE(failure.find("changed 0 rows"), std::string::npos) << failure;
  EXPECT_NE(failure.find("xid 7"), std::string::npos) << failure;
  EXPECT_EQ(rows(target, "SELECT string_agg(id || v, ',' ORDER BY id) FROM t"), "1backup");
}

// Where the UPDATE left out mattered between rows (a unique value handed from one row to
// another), the group fails and is applied again with every UPDATE: the end is exact.
TEST_F(ApplyTransactionsTest, AUniqueValueHandedOnBetweenRowsAppliesEveryUpdate) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {});
  pg::Connection target(dsn);
  target.exec(
      "CREATE TABLE person (id int PRIMARY KEY, email text UNIQUE); "
      "INSERT INTO person VALUES (1, 'x'), (2, 'y')");
  prepare_replay_target(target);
  const std::vector group{
      transaction("0/10", 1,
                  {R"(UPDATE "public"."person" SET "id" = 1, "email" = 'z' WHERE "id" = 1)",
                   R"(UPDATE "public"."person" SET "id" = 2, "email" = 'x' WHERE "id" = 2)",
                   R"(UPDATE "public"."person" SET "id" = 1, "email" = 'w' WHERE "id" = 1)"})};
  PreparedShapes prepared;
  EXPECT_EQ(apply_at_full_speed(target, group, prepared, Overwritten::skipped), 0U);
  EXPECT_EQ(rows(target, "SELECT string_agg(id || email, ',' ORDER BY id) FROM person"), "1w,2x");
}

// A shape PostgreSQL cannot prepare (here a parameter whose type nothing tells) fails its
// group naming the statement; from then on that shape runs as its text, which works.
TEST_F(ApplyTransactionsTest, AShapeThatCannotBePreparedRunsAsTextFromThenOn) {
  const std::string dsn = create_session_database(unique_name("msgop_apply"), {1});
  pg::Connection target(dsn);
  target.exec("ALTER TABLE t ADD COLUMN flag boolean");
  const std::vector group{
      transaction("0/10", 1, {"UPDATE t SET flag = ('x' IS NULL) WHERE id = 1"})};
  PreparedShapes prepared;
  try {
    apply_transactions(target, group, Inserts::merged, Commits::one_for_the_group, &prepared);
    ADD_FAILURE() << "the prepare was expected to fail";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("UPDATE t SET flag"), std::string::npos)
        << error.what();
  }
  prepared.forget();
  apply_transactions(target, group, Inserts::merged, Commits::one_for_the_group, &prepared);
  EXPECT_EQ(rows(target, "SELECT flag::text FROM t WHERE id = 1"), "false");
}

// A session database whose defaults read literals otherwise (a backslash as an escape, NULL in
// an array as the text "NULL", XML as a document only) still gets the values transform wrote,
// as text and prepared.
TEST_F(ApplyTransactionsTest, TheReplayTargetReadsLiteralsAsTransformWroteThem) {
  const std::string name = unique_name("msgop_apply");
  const std::string dsn = create_session_database(name, {});
  {
    pg::Connection setup(dsn);
    setup.exec("CREATE TABLE lit (id int PRIMARY KEY, s text, a text[], x xml); ALTER DATABASE " +
               name + " SET standard_conforming_strings = off; ALTER DATABASE " + name +
               " SET array_nulls = off; ALTER DATABASE " + name + " SET xmloption = document");
  }
  pg::Connection target(dsn);
  ASSERT_EQ(rows(target, "SHOW standard_conforming_strings"), "off");
  prepare_replay_target(target);
  const std::vector<RecordedTransaction> group{transaction(
      "0/10", 1,
      {R"(INSERT INTO "public"."lit" ("id", "s", "a") VALUES (1, 'C:\new\t', '{x,NULL}'))",
       R"(UPDATE "public"."lit" SET "x" = 'text <b>and</b> more' WHERE "id" = 1)",
       R"(INSERT INTO "public"."lit" ("id", "s", "a") VALUES (2, 'a\\b', '{NULL}'))"})};
  const std::string read_back =
      "SELECT string_agg(length(s) || ':' || (a[array_upper(a, 1)] IS NULL), ',' ORDER BY id) "
      "FROM lit";
  // As recorded: 'C:\new\t' is 8 characters (6 with escapes), 'a\\b' 4 (3).
  apply_transactions(target, group);
  EXPECT_EQ(rows(target, read_back), "8:true,4:true");
  EXPECT_EQ(rows(target, "SELECT x::text FROM lit WHERE id = 1"), "text <b>and</b> more");
  target.exec("TRUNCATE lit");
  PreparedShapes prepared;
  apply_transactions(target, group, Inserts::one_by_one, Commits::one_for_the_group, &prepared);
  EXPECT_EQ(rows(target, read_back), "8:true,4:true");
  EXPECT_EQ(rows(target, "SELECT x::text FROM lit WHERE id = 1"), "text <b>and</b> more");
}

// money is read in the one locale capture read it in, whatever the session database's own: under
// ja_JP (no fraction digits) '1234.56' would be stored as 1235 yen, silently.
TEST_F(ApplyTransactionsTest, TheReplayTargetReadsMoneyInOneLocaleWhateverTheDatabasesOwn) {
  const std::string name = unique_name("msgop_apply");
  const std::string dsn = create_session_database(name, {});
  {
    pg::Connection setup(dsn);
    setup.exec(
        "CREATE TABLE wallet (id int PRIMARY KEY, amount money, history money[]); "
        "ALTER DATABASE " +
        name + " SET lc_monetary = 'ja_JP.UTF-8'");
  }
  pg::Connection target(dsn);
  ASSERT_EQ(rows(target, "SHOW lc_monetary"), "ja_JP.UTF-8")
      << "scripts/install-deps.sh generates the locale ja_JP.UTF-8";
  prepare_replay_target(target);
  const std::vector<RecordedTransaction> group{transaction(
      "0/10", 1,
      {R"(INSERT INTO "public"."wallet" ("id", "amount", "history") VALUES (1, '1234.56'::money, '{"$1,000.50",NULL,"-$0.01"}'))",
       R"(UPDATE "public"."wallet" SET "amount" = '-92233720368547758.08'::money WHERE "id" = 1)",
       R"(INSERT INTO "public"."wallet" ("id", "amount") VALUES (2, '0.07'::money))"})};
  // The stored amounts, in cents, whatever locale reads them.
  const std::string read_back =
      "SELECT string_agg(id || ':' || (amount::numeric * 100)::bigint || ':' || "
      "coalesce(history::text, '-'), ',' ORDER BY id) FROM wallet";
  const std::string expected = R"(1:-9223372036854775808:{"$1,000.50",NULL,-$0.01},2:7:-)";
  apply_transactions(target, group);
  EXPECT_EQ(rows(target, read_back), expected);
  target.exec("TRUNCATE wallet");
  PreparedShapes prepared;
  apply_transactions(target, group, Inserts::one_by_one, Commits::one_for_the_group, &prepared);
  EXPECT_EQ(rows(target, read_back), expected);
}

// A session database in another encoding gets every character it can hold, and refuses, naming
// the statement, one it cannot: never the bytes of UTF-8 taken for characters of its own.
TEST_F(ApplyTransactionsTest, ALatin1SessionDatabaseGetsTheCharactersNotTheirBytes) {
  const std::string dsn =
      create_session_database(unique_name("msgop_apply"), {},
                              "ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  pg::Connection target(dsn);
  ASSERT_EQ(rows(target, "SHOW server_encoding"), "LATIN1");
  prepare_replay_target(target);
  const std::vector<RecordedTransaction> insert{
      transaction("0/10", 1, {R"(INSERT INTO "public"."t" ("id", "v") VALUES (1, 'Zoë Ørsted'))"})};
  apply_transactions(target, insert);
  EXPECT_EQ(rows(target, "SELECT length(v) || ':' || v FROM t"), "10:Zoë Ørsted");
  try {
    const std::vector<RecordedTransaction> update{
        transaction("0/20", 2, {R"(UPDATE "public"."t" SET "v" = '日本' WHERE "id" = 1)"})};
    apply_transactions(target, update);
    FAIL() << "a character LATIN1 cannot hold was stored";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("has no equivalent in encoding"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find(R"(UPDATE "public"."t")"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(rows(target, "SELECT v FROM t"), "Zoë Ørsted");
}

}  // namespace
}  // namespace tapedeck::msgop::testing
