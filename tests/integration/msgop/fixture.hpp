// Shared by the msgop integration tests: a scratch TransformMsg DB, session databases, recorded
// statements and RTUS calls inserted directly, and sessions brought to catching_up by hand.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/http/client.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/library.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/dsn.hpp"
#include "core/schema/store_schema.hpp"
#include "core/session.hpp"
#include "core/sessions/session_store.hpp"
#include "core/sql_quote.hpp"
#include "support/stack_env.hpp"
#include "support/unique_name.hpp"

namespace tapedeck::msgop::testing {

// Counts in ran.n the UPDATEs of table t that run, by a trigger that fires on replayed changes
// too (ENABLE ALWAYS): what proves an UPDATE was left out, and what keeps the runner from
// leaving any out.
inline constexpr const char* kCountUpdatesOfT = R"(
CREATE TABLE ran (n int NOT NULL);
INSERT INTO ran VALUES (0);
CREATE FUNCTION count_update() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN UPDATE ran SET n = n + 1; RETURN NEW; END $$;
CREATE TRIGGER counted BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION count_update();
ALTER TABLE t ENABLE ALWAYS TRIGGER counted;)";

using tapedeck::testing::unique_name;

using Time = session::Time;
using namespace std::chrono_literals;

// Owns a scratch store database (migrated) and every session database it creates; drops them
// all at the end. Members in destruction order: the library guards go last.
class MsgopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_store_dsn_ = tapedeck::testing::stack_env("TAPEDECK_STORE_DSN");
    playback_dsn_ = tapedeck::testing::stack_env("TAPEDECK_PLAYBACK_DSN");
    ASSERT_FALSE(base_store_dsn_.empty());
    admin_ = std::make_unique<pg::Connection>(base_store_dsn_, "msgop-test");
    store_db_ = unique_name("msgop_store");
    admin_->exec("CREATE DATABASE " + sql::quote_identifier(store_db_));
    store_dsn_ = pg::with_dbname(base_store_dsn_, store_db_);
    store_ = std::make_unique<pg::Connection>(store_dsn_, "msgop-test");
    schema::migrate_store(*store_);
    sessions_ = std::make_unique<session::Store>(*store_);
    nats::ConnectOptions options;
    options.url = tapedeck::testing::stack_env("TAPEDECK_NATS_URL");
    options.name = "msgop-test";
    nats_ = std::make_unique<nats::Connection>(options);
  }

  void TearDown() override {
    sessions_.reset();
    store_.reset();
    if (!admin_) return;
    for (const auto& name : databases_) {
      admin_->exec("DROP DATABASE IF EXISTS " + sql::quote_identifier(name) + " WITH (FORCE)");
    }
    admin_->exec("DROP DATABASE IF EXISTS " + sql::quote_identifier(store_db_) + " WITH (FORCE)");
  }

  // A session database holding table t(id, v, applied_at) and the rows `preloaded` (what the
  // restored snapshot holds); `database_options` follow CREATE DATABASE's name.
  std::string create_session_database(const std::string& name, const std::vector<int>& preloaded,
                                      const std::string& database_options = {}) {
    admin_->exec("CREATE DATABASE " + sql::quote_identifier(name) + " " + database_options);
    databases_.push_back(name);
    pg::Connection db(pg::with_dbname(playback_dsn_, name));
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL DEFAULT '', "
        "applied_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    for (int id : preloaded)
      db.exec(fmt::format("INSERT INTO t (id, v) VALUES ({}, 'backup')", id));
    return pg::with_dbname(playback_dsn_, name);
  }

  bool database_exists(const std::string& name) {
    return admin_
               ->exec_params("SELECT count(*) FROM pg_database WHERE datname = $1",
                             pg::Params::of(name))
               .get<std::int64_t>(0, 0) == 1;
  }

  void record(const std::string& lsn, int position, std::uint64_t xid, Time commit,
              const std::string& sql) {
    store_->exec_params(
        "INSERT INTO tapedeck.statements (event_id, commit_lsn, position, xid, commit_time, "
        "schema_name, table_name, op, sql) VALUES ($1, $2::pg_lsn, $3, $4::xid8, $5::timestamptz, "
        "'public', 't', 'c', $6)",
        pg::Params::of(unique_name("ev"), lsn, position, std::to_string(xid),
                       session::format_time(commit), sql));
  }

  void record_rtus(Time at, const std::string& path, const std::string& body) {
    store_->exec_params(
        "INSERT INTO tapedeck.rtus_calls (call_id, called_at, method, path, headers, body) "
        "VALUES ($1, $2::timestamptz, 'POST', $3, '{\"Content-Type\": \"text/plain\"}', $4)",
        pg::Params::of(unique_name("call"), session::format_time(at), path, body));
  }

  // Proves the recording stored up to `until` as transform does: a stored transaction committed
  // then (a no-op, at an LSN after every other) at or below the watermark msgop reads.
  void seal_recording(Time until) {
    const auto lsn = fmt::format("FFFFFFFF/{:X}", ++seals_);
    record(lsn, 0, 1, until, "SELECT 1");
    store_->exec_params(
        "INSERT INTO tapedeck.watermarks (name, lsn) VALUES ($1, $2::pg_lsn) "
        "ON CONFLICT (name) DO UPDATE SET lsn = EXCLUDED.lsn",
        pg::Params::of(std::string(kWatermarkName), lsn));
  }

  // A session on the scratch store, moved to catching_up as dbop would leave it. Unless told
  // otherwise, the recording is sealed a second past its end (its start without an end), so it
  // need not wait for it.
  session::Record restored_session(Time start, std::optional<Time> end, const std::string& speed,
                                   const std::string& backup_lsn, const std::string& snapshot,
                                   bool sealed = true) {
    if (sealed) seal_recording(end.value_or(start) + 1s);
    session::NewSession created;
    created.name = "msgop-test";
    created.start = start;
    created.end = end;
    created.speed = session::Speed::parse(speed);
    created.database_template = "msgop_test_<id>";
    const auto record = sessions_->create(created);
    sessions_->transition(record.id, session::Transition::restore_begin,
                          session::TransitionDetails::by("test-dbop"));
    return sessions_->transition(record.id, session::Transition::restore_ok,
                                 session::TransitionDetails::restored({1, backup_lsn, snapshot}));
  }

  session::State state_of(const std::string& id) { return sessions_->get(id).state; }

  static constexpr std::string_view kWatermarkName = "TAPEDECK_CDC";
  int seals_ = 0;

  nats::LibraryGuard library_;
  http::CurlGlobal curl_;
  std::string base_store_dsn_;
  std::string playback_dsn_;
  std::string store_db_;
  std::string store_dsn_;
  std::vector<std::string> databases_;
  std::unique_ptr<pg::Connection> admin_;
  std::unique_ptr<pg::Connection> store_;
  std::unique_ptr<session::Store> sessions_;
  std::unique_ptr<nats::Connection> nats_;
};

}  // namespace tapedeck::msgop::testing
