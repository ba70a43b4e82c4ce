// Migrations against a real server, each test in a scratch database of its own.
#include "core/pg/migrate.hpp"

#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "core/pg/connection.hpp"
#include "core/schema/live_schema.hpp"
#include "core/schema/store_schema.hpp"
#include "support/stack_env.hpp"

namespace tapedeck::schema {
namespace {

class ScratchDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dsn = testing::stack_env("TAPEDECK_STORE_DSN");
    ASSERT_FALSE(dsn.empty());
    admin_ = std::make_unique<pg::Connection>(dsn);
    name_ = "migrate_" + std::to_string(std::random_device{}());
    admin_->exec("CREATE DATABASE " + name_);
    dsn_ = dsn + " dbname=" + name_;
  }
  void TearDown() override {
    if (admin_) admin_->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
  std::unique_ptr<pg::Connection> admin_;
  std::string name_;
  std::string dsn_;
};

TEST_F(ScratchDatabase, CreatesTheStoreTablesAndRecordsTheVersion) {
  pg::Connection store(dsn_);
  EXPECT_EQ(migrate_store(store), store_migrations().back().version);
  const auto tables = store.exec(
      "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables "
      "WHERE table_schema = 'tapedeck'");
  EXPECT_EQ(tables.get<std::string>(0, 0),
            "dead_letters,rtus_calls,schema_migrations,sessions,statement_minutes,statements,"
            "table_shapes,watermark_holds,watermarks");
}

// A read-only tool refuses, by name and without changing it, a store that is not (yet) one.
TEST_F(ScratchDatabase, AReaderRefusesAnEmptyOrOlderStoreAndTakesACurrentOne) {
  pg::Connection store(dsn_);
  const auto recovery_of = [&] {
    try {
      require_store(store);
    } catch (const Error& error) {
      EXPECT_NE(error.message().find("TransformMsg DB (store.dsn)"), std::string::npos)
          << error.message();
      return error.recovery();
    }
    return Recovery::retry;  // stands for "accepted"
  };
  EXPECT_EQ(recovery_of(), Recovery::not_found);
  EXPECT_EQ(store.exec("SELECT to_regnamespace('tapedeck') IS NULL").get<bool>(0, 0), true);
  pg::migrate(store, "store", store_migrations().first(1));
  EXPECT_EQ(recovery_of(), Recovery::fail);
  migrate_store(store);
  EXPECT_EQ(recovery_of(), Recovery::retry);
}

// A store recorded before version 6 gets its statement minutes from the statements it holds.
TEST_F(ScratchDatabase, UpgradingAStoreFillsTheMinutesOfWhatItAlreadyRecorded) {
  pg::Connection store(dsn_);
  const auto before_minutes = store_migrations().first(5);
  ASSERT_EQ(before_minutes.back().version, 5);
  pg::migrate(store, "store", before_minutes);
  store.exec(
      "INSERT INTO tapedeck.statements (event_id, commit_lsn, position, xid, commit_time, "
      "schema_name, table_name, op, sql) VALUES "
      "('a', '0/100', 1, '7', '2026-01-01T10:00:01Z', 'public', 't', 'c', 'SELECT 1'), "
      "('b', '0/300', 1, '8', '2026-01-01T10:00:59Z', 'public', 't', 'c', 'SELECT 1'), "
      "('c', '0/200', 1, '9', '2026-01-01T10:01:00Z', 'public', 't', 'c', 'SELECT 1')");
  EXPECT_EQ(migrate_store(store), store_migrations().back().version);
  const auto minutes = store.exec(
      "SELECT string_agg(epoch_minute || '=' || latest_commit_lsn, ',' ORDER BY epoch_minute) "
      "FROM tapedeck.statement_minutes");
  EXPECT_EQ(minutes.get<std::string>(0, 0), "29454360=0/300,29454361=0/200");
}

TEST_F(ScratchDatabase, RunsEachMigrationOnceHoweverOftenItIsCalled) {
  pg::Connection live(dsn_);
  const int latest = live_migrations().back().version;
  EXPECT_EQ(migrate_live(live), latest);
  EXPECT_EQ(migrate_live(live), latest);
  EXPECT_EQ(live.exec("SELECT count(*) FROM tapedeck.schema_migrations WHERE component = 'live'")
                .get<int>(0, 0),
            static_cast<int>(live_migrations().size()));
}

TEST_F(ScratchDatabase, InstallsTheSchemaChangeTriggersOnceWithABaselineOfEveryTable) {
  pg::Connection live(dsn_);
  live.exec("CREATE TABLE public.t (id int PRIMARY KEY, v numeric(5,2))");
  migrate_live(live);
  EXPECT_EQ(install_schema_change_triggers(live), SchemaChangeRecording::installed);
  EXPECT_EQ(live.exec("SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'tapedeck_%'")
                .get<int>(0, 0),
            2);
  const auto baseline =
      live.exec("SELECT shapes FROM tapedeck.schema_changes WHERE event = 'baseline'");
  ASSERT_EQ(baseline.rows(), 1);
  EXPECT_NE(baseline.get<std::string>(0, 0).find(R"j("type" : "numeric(5,2)")j"), std::string::npos)
      << baseline.get<std::string>(0, 0);
  live.exec("ALTER TABLE public.t ADD COLUMN w text; INSERT INTO public.t VALUES (1, 2, 'x')");
  const auto change = live.exec(
      "SELECT command_tag, ordinal, nested, search_path FROM tapedeck.schema_changes "
      "WHERE event = 'ddl_command_end'");
  ASSERT_EQ(change.rows(), 1);
  EXPECT_EQ(change.get<std::string>(0, 0), "ALTER TABLE");
  EXPECT_EQ(change.get<int>(0, 1), 1);
  EXPECT_FALSE(change.get<bool>(0, 2));
}

TEST_F(ScratchDatabase, WithoutASuperuserTheTriggersAreMissingAndNothingElseFails) {
  const std::string role = name_ + "_plain";
  admin_->exec("CREATE ROLE " + role + " LOGIN");
  admin_->exec("ALTER DATABASE " + name_ + " OWNER TO " + role);
  {
    pg::Connection live(dsn_ + " user=" + role);
    EXPECT_EQ(migrate_live(live), live_migrations().back().version);
    EXPECT_EQ(install_schema_change_triggers(live), SchemaChangeRecording::missing);
  }
  admin_->exec("DROP DATABASE " + name_ + " WITH (FORCE)");
  admin_->exec("DROP ROLE " + role);
}

TEST_F(ScratchDatabase, AppliesOnlyTheNewerMigrations) {
  pg::Connection db(dsn_);
  const pg::Migration first[] = {{1, "t", "CREATE TABLE tapedeck.t (a int)"}};
  const pg::Migration both[] = {{1, "t", "CREATE TABLE tapedeck.t (a int)"},
                                {2, "t.b", "ALTER TABLE tapedeck.t ADD COLUMN b int"}};
  EXPECT_EQ(pg::migrate(db, "demo", first), 1);
  EXPECT_EQ(pg::migrate(db, "demo", both), 2);
  EXPECT_EQ(db.exec("SELECT count(*) FROM information_schema.columns WHERE table_name = 't'")
                .get<int>(0, 0),
            2);
}

TEST_F(ScratchDatabase, LeavesNothingOfAFailedMigrationAndNamesIt) {
  pg::Connection db(dsn_);
  const pg::Migration broken[] = {
      {1, "half", "CREATE TABLE tapedeck.half (a int); SELECT * FROM no_such_table"}};
  try {
    pg::migrate(db, "demo", broken);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("demo schema to version 1"), std::string::npos)
        << error.what();
    EXPECT_EQ(error.code(), "42P01");
  }
  EXPECT_EQ(db.exec("SELECT to_regclass('tapedeck.half') IS NULL").get<bool>(0, 0), true);
}

TEST_F(ScratchDatabase, RefusesADatabaseNewerThanTheBinary) {
  pg::Connection db(dsn_);
  const pg::Migration two[] = {{1, "a", "SELECT 1"}, {2, "b", "SELECT 1"}};
  const pg::Migration one[] = {{1, "a", "SELECT 1"}};
  pg::migrate(db, "demo", two);
  EXPECT_THROW(pg::migrate(db, "demo", one), Error);
}

}  // namespace
}  // namespace tapedeck::schema
