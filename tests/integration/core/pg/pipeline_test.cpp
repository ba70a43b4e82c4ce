// Pipeline mode against the Live DB of the local stack.
#include "core/pg/pipeline.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "integration/core/pg/scratch.hpp"

namespace tapedeck::pg {
namespace {

using testing::live_dsn;
using testing::unique_name;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = unique_name("pg_pipe");
    connection_.exec("CREATE TABLE " + table_ + " (id int PRIMARY KEY, note text)");
    insert_ = "INSERT INTO " + table_ + " VALUES ($1, $2)";
  }
  void TearDown() override { connection_.exec("DROP TABLE IF EXISTS " + table_); }

  std::int64_t count() {
    return connection_.exec("SELECT count(*) FROM " + table_).get<std::int64_t>(0, 0);
  }

  Connection connection_{live_dsn()};
  std::string table_;
  std::string insert_;
};

TEST_F(PipelineTest, AppliesAThousandStatementsAtOneSync) {
  {
    Pipeline pipeline(connection_);
    Params params;
    for (int id = 0; id < 1000; ++id) {
      params.clear();
      params.add(id).add("row");
      pipeline.send(insert_, params);
    }
    EXPECT_EQ(pipeline.sync(), 1000);
    EXPECT_EQ(pipeline.sent(), 1000u);
  }
  EXPECT_EQ(count(), 1000);
}

TEST_F(PipelineTest, ReportsTheIndexOfTheFailingStatementAndRollsBackItsSyncGroup) {
  {
    Pipeline pipeline(connection_);
    Params params;
    for (int i = 0; i < 1000; ++i) {
      params.clear();
      params.add(i == 500 ? 0 : i).add("row");  // statement 500 repeats id 0
      pipeline.send(insert_, params);
    }
    try {
      pipeline.sync();
      FAIL() << "statement 500 violates the primary key";
    } catch (const PipelineError& error) {
      EXPECT_EQ(error.statement_index(), 500u);
      EXPECT_EQ(error.code(), "23505") << error.what();
      EXPECT_EQ(error.recovery(), Recovery::fail);
      EXPECT_NE(error.message().find("#500"), std::string::npos) << error.what();
    }
    // The pipeline works again after the failed sync point.
    for (int i = 0; i < 10; ++i) {
      params.clear();
      params.add(5000 + i).add("after");
      pipeline.send(insert_, params);
    }
    EXPECT_EQ(pipeline.sync(), 10);
  }
  EXPECT_EQ(count(), 10);  // the implicit transaction of the failed group was rolled back
}

TEST_F(PipelineTest, KeepsExplicitTransactionsCommittedBeforeAFailure) {
  {
    Pipeline pipeline(connection_);
    pipeline.send("BEGIN");
    pipeline.send(insert_, Params::of(1, "kept"));
    pipeline.send("COMMIT");
    pipeline.send("BEGIN");
    pipeline.send(insert_, Params::of(1, "duplicate"));
    pipeline.send("COMMIT");
    try {
      pipeline.sync();
      FAIL() << "the second insert violates the primary key";
    } catch (const PipelineError& error) {
      EXPECT_EQ(error.statement_index(), 4u);
    }
    // The failed transaction was ended, so the next one starts clean.
    pipeline.send("BEGIN");
    pipeline.send(insert_, Params::of(2, "next"));
    pipeline.send("COMMIT");
    EXPECT_EQ(pipeline.sync(), 1);
  }
  EXPECT_EQ(count(), 2);
}

TEST_F(PipelineTest, RunsPreparedStatements) {
  connection_.prepare("pg_pipe_insert", insert_);
  {
    Pipeline pipeline(connection_);
    Params params;
    for (int id = 0; id < 100; ++id) {
      params.clear();
      params.add(id).add(std::nullopt);
      pipeline.send_prepared("pg_pipe_insert", params);
    }
    EXPECT_EQ(pipeline.sync(), 100);
  }
  EXPECT_EQ(count(), 100);
}

TEST_F(PipelineTest, SendsFarMoreThanTheSocketBuffersWithoutDeadlock) {
  Pipeline pipeline(connection_);
  Params params;
  const std::string note(200, 'n');
  for (int id = 0; id < 50'000; ++id) {
    params.clear();
    params.add(id).add(note);
    pipeline.send(insert_, params);
  }
  EXPECT_EQ(pipeline.sync(), 50'000);
}

TEST_F(PipelineTest, RollsBackUnsyncedStatementsWhenDestroyed) {
  {
    Pipeline pipeline(connection_);
    pipeline.send(insert_, Params::of(1, "synced"));
    pipeline.sync();
    pipeline.send(insert_, Params::of(2, "abandoned"));
  }
  EXPECT_EQ(count(), 1);
  EXPECT_TRUE(connection_.alive());  // back out of pipeline mode
}

}  // namespace
}  // namespace tapedeck::pg
