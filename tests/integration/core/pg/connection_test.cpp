// Connection, Result and Transaction against the Live DB of the local stack.
#include "core/pg/connection.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/pg/transaction.hpp"
#include "integration/core/pg/scratch.hpp"

namespace tapedeck::pg {
namespace {

using testing::live_dsn;
using testing::unique_name;

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = unique_name("pg_conn");
    connection_.exec("CREATE TABLE " + table_ + " (id int PRIMARY KEY, note text)");
  }
  void TearDown() override { connection_.exec("DROP TABLE IF EXISTS " + table_); }

  int count() {
    return static_cast<int>(
        connection_.exec("SELECT count(*) FROM " + table_).get<std::int64_t>(0, 0));
  }

  Connection connection_{live_dsn(), "tapedeck-pg-test"};
  std::string table_;
};

TEST_F(ConnectionTest, RunsAQueryWithParametersAndNulls) {
  connection_.exec_params("INSERT INTO " + table_ + " VALUES ($1, $2), ($3, $4)",
                          Params::of(1, "one", 2, std::nullopt));
  const Result result = connection_.exec_params(
      "SELECT id, note FROM " + table_ + " WHERE id >= $1 ORDER BY id", Params::of(1));
  ASSERT_EQ(result.rows(), 2);
  EXPECT_EQ(result.get<int>(0, "id"), 1);
  EXPECT_EQ(result.text(0, 1), "one");
  EXPECT_TRUE(result.is_null(1, 1));
  EXPECT_EQ(result.get<std::optional<std::string>>(1, "note"), std::nullopt);
}

TEST_F(ConnectionTest, PassesANullParameterThrough) {
  const Result result =
      connection_.exec_params("SELECT $1::text IS NULL", Params::of(std::nullopt));
  EXPECT_TRUE(result.get<bool>(0, 0));
}

TEST_F(ConnectionTest, ReadsTypedValues) {
  const Result result = connection_.exec(
      "SELECT 7::int AS i, 9000000000::bigint AS big, 2.5::float8 AS d, true AS yes, "
      "false AS no, 'héllo'::text AS s, NULL::int AS missing, 'NaN'::float8 AS nan");
  EXPECT_EQ(result.columns(), 8);
  EXPECT_EQ(result.column_name(1), "big");
  EXPECT_EQ(result.get<int>(0, "i"), 7);
  EXPECT_EQ(result.get<std::int64_t>(0, "big"), 9'000'000'000);
  EXPECT_DOUBLE_EQ(result.get<double>(0, "d"), 2.5);
  EXPECT_TRUE(result.get<bool>(0, "yes"));
  EXPECT_FALSE(result.get<bool>(0, "no"));
  EXPECT_EQ(result.get<std::string>(0, "s"), "héllo");
  EXPECT_EQ(result.get<std::optional<int>>(0, "missing"), std::nullopt);
  EXPECT_EQ(result.get<std::optional<int>>(0, "i"), 7);
  EXPECT_TRUE(std::isnan(result.get<double>(0, "nan")));
}

TEST_F(ConnectionTest, RefusesANullOrMistypedValueForAPlainType) {
  const Result result = connection_.exec("SELECT NULL::int AS missing, 'abc' AS word");
  EXPECT_THROW(result.get<int>(0, "missing"), Error);
  EXPECT_THROW(result.get<int>(0, "word"), Error);
  EXPECT_THROW(result.get<bool>(0, "word"), Error);
  EXPECT_THROW(result.column_index("nope"), Error);
}

TEST_F(ConnectionTest, CountsAffectedRows) {
  const Result inserted =
      connection_.exec("INSERT INTO " + table_ + " SELECT g, 'x' FROM generate_series(1, 5) g");
  EXPECT_EQ(inserted.affected_rows(), 5);
  EXPECT_EQ(connection_.exec("UPDATE " + table_ + " SET note = 'y' WHERE id > 3").affected_rows(),
            2);
}

TEST_F(ConnectionTest, RunsPreparedStatements) {
  connection_.prepare("pg_test_insert", "INSERT INTO " + table_ + " VALUES ($1, $2)");
  for (int id = 1; id <= 3; ++id) {
    connection_.exec_prepared("pg_test_insert", Params::of(id, std::to_string(id * 10)));
  }
  EXPECT_EQ(count(), 3);
}

TEST_F(ConnectionTest, ReportsTheSqlstateTheStatementAndTheServerMessage) {
  try {
    connection_.exec("SELECT * FROM " + table_ + "_does_not_exist");
    FAIL() << "the query should have failed";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), "42P01");
    EXPECT_EQ(error.recovery(), Recovery::fail);
    EXPECT_EQ(error.source(), ErrorSource::postgres);
    EXPECT_NE(error.message().find("_does_not_exist"), std::string::npos) << error.what();
    EXPECT_NE(error.message().find("does not exist"), std::string::npos) << error.what();
  }
  EXPECT_TRUE(connection_.alive());  // a failed statement leaves the connection usable
}

TEST_F(ConnectionTest, CommitsATransaction) {
  {
    Transaction transaction(connection_, Isolation::serializable);
    transaction.exec_params("INSERT INTO " + table_ + " VALUES ($1, 'kept')", Params::of(1));
    transaction.commit();
    EXPECT_FALSE(transaction.active());
  }
  EXPECT_EQ(count(), 1);
}

TEST_F(ConnectionTest, RollsBackATransactionThatWasNotCommitted) {
  {
    Transaction transaction(connection_);
    transaction.exec_params("INSERT INTO " + table_ + " VALUES ($1, 'dropped')", Params::of(1));
    EXPECT_EQ(count(), 1);
  }
  EXPECT_EQ(count(), 0);
}

TEST_F(ConnectionTest, RefusesToCommitATransactionAnEarlierStatementAborted) {
  Transaction transaction(connection_);
  transaction.exec_params("INSERT INTO " + table_ + " VALUES ($1, 'a')", Params::of(1));
  EXPECT_THROW(
      transaction.exec_params("INSERT INTO " + table_ + " VALUES ($1, 'b')", Params::of(1)), Error);
  EXPECT_THROW(transaction.commit(), Error);
  EXPECT_EQ(count(), 0);
}

TEST_F(ConnectionTest, RunsAReadOnlyTransaction) {
  Transaction transaction(connection_, Isolation::repeatable_read, Access::read_only);
  EXPECT_THROW(transaction.exec("INSERT INTO " + table_ + " VALUES (1, 'no')"), Error);
}

TEST(ConnectionLoss, ABackendTerminatedByTheServerGivesARetryableError) {
  Connection victim(live_dsn(), "tapedeck-pg-victim");
  Connection admin(live_dsn());
  ASSERT_TRUE(victim.alive());
  const int pid = victim.backend_pid();
  EXPECT_TRUE(
      admin.exec_params("SELECT pg_terminate_backend($1, 5000)", Params::of(pid)).get<bool>(0, 0));
  try {
    victim.exec("SELECT 1");
    FAIL() << "a terminated connection must not answer";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::retry) << error.what();
  }
  EXPECT_FALSE(victim.alive());
  EXPECT_THROW(victim.exec("SELECT 1"), Error);  // and keeps failing cleanly
}

TEST(ConnectionLoss, AServerThatIsNotThereGivesARetryableErrorWithoutThePassword) {
  try {
    Connection connection("host=127.0.0.1 port=1 user=nobody password=hunter2 connect_timeout=2");
    FAIL() << "nothing listens on port 1";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::retry);
    EXPECT_EQ(std::string(error.what()).find("hunter2"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("port=1"), std::string::npos) << error.what();
  }
}

TEST(ConnectionLog, TheDsnForLogsHidesThePassword) {
  // The local stack trusts loopback, so the password is sent nowhere but must not show.
  Connection connection(live_dsn() + " password=hunter2");
  EXPECT_EQ(connection.dsn_for_log().find("hunter2"), std::string::npos);
  EXPECT_NE(connection.dsn_for_log().find("password=********"), std::string::npos);
}

TEST(ConnectionMove, AMovedConnectionKeepsWorkingAndTheSourceRefusesUse) {
  Connection first(live_dsn());
  Connection second(std::move(first));
  EXPECT_EQ(second.exec("SELECT 1").get<int>(0, 0), 1);
  EXPECT_THROW(first.exec("SELECT 1"), Error);  // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(first.alive());                  // NOLINT(bugprone-use-after-move)
}

TEST(ConnectionName, TheApplicationNameReachesTheServer) {
  Connection connection(live_dsn(), "tapedeck-named");
  EXPECT_EQ(connection.exec("SHOW application_name").get<std::string>(0, 0), "tapedeck-named");
}

}  // namespace
}  // namespace tapedeck::pg
