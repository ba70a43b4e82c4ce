// `tapedeck dbop` against the real stack: a real backup of a scratch Live DB is restored into
// a session database by the real binary, and every KO case fails the session with its reason.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "core/error.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/jetstream.hpp"
#include "core/pg/client_programs.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/dsn.hpp"
#include "core/schema/live_schema.hpp"
#include "core/schema/store_schema.hpp"
#include "core/session.hpp"
#include "core/sessions/session_database.hpp"
#include "core/sessions/session_events.hpp"
#include "core/sessions/session_store.hpp"
#include "core/sql_quote.hpp"
#include "core/storage/object_store.hpp"
#include "core/storage/sha256.hpp"
#include "dbop/pg_restore.hpp"
#include "scheduler/backup_job.hpp"
#include "support/free_port.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/stack_env.hpp"

namespace tapedeck::dbop {

using tapedeck::testing::free_port;
using tapedeck::testing::unique_suffix;
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::eventually;
using testing::stack_env;

std::string nats_server_program() {
  for (const char* path : {"/usr/sbin/nats-server", "/usr/bin/nats-server"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  ADD_FAILURE() << "nats-server is not installed (Debian package nats-server)";
  return "nats-server";
}

// Every table of a database (but the backups' own metadata) as "schema.table" -> row count
// and a digest of its rows in a fixed order (byte order: the same in any database locale).
std::map<std::string, std::string> table_digests(pg::Connection& db) {
  std::map<std::string, std::string> digests;
  const auto tables = db.exec(
      "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN "
      "('pg_catalog', 'information_schema') ORDER BY 1, 2");
  for (int row = 0; row < tables.rows(); ++row) {
    const std::string schema(tables.text(row, 0));
    const std::string table(tables.text(row, 1));
    const auto digest = db.exec(
        fmt::format("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY "
                    "t::text COLLATE \"C\")), '') FROM {} t",
                    sql::qualified_name(schema, table)));
    digests[fmt::format("{}.{}", schema, table)] = std::string(digest.text(0, 0));
  }
  return digests;
}

class DbopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    suffix_ = unique_suffix();
    live_admin_dsn_ = stack_env("TAPEDECK_LIVE_DSN");
    playback_dsn_ = stack_env("TAPEDECK_PLAYBACK_DSN");
    live_name_ = "tdk_dbop_live_" + suffix_;
    {
      pg::Connection admin(live_admin_dsn_, "dbop-test");
      admin.exec("CREATE DATABASE " + live_name_);
    }
    live_dsn_ = pg::with_dbname(live_admin_dsn_, live_name_);
    live_.emplace(live_dsn_, "dbop-test");
    schema::migrate_live(*live_);
    live_->exec(R"(
      CREATE SCHEMA shop;
      CREATE TABLE shop.customers (id bigserial PRIMARY KEY, name text NOT NULL,
        tags text[], profile jsonb, balance numeric(12,2), photo bytea,
        joined timestamptz DEFAULT now());
      CREATE TABLE public.events (id int PRIMARY KEY, happened date, payload json);
      CREATE TABLE public.keyless (a int, b text);
      INSERT INTO shop.customers (name, tags, profile, balance, photo)
        SELECT 'customer ' || g, ARRAY['t' || g, 'x'], jsonb_build_object('n', g),
               g * 1.25, decode(md5(g::text), 'hex')
        FROM generate_series(1, 200) g;
      INSERT INTO public.events SELECT g, date '2026-01-01' + g, json_build_object('g', g)
        FROM generate_series(1, 50) g;
      INSERT INTO public.keyless VALUES (1, 'one'), (1, 'one'), (NULL, NULL);
    )");

    dir_ = fs::temp_directory_path() / ("tapedeck-dbop-it-" + suffix_);
    fs::create_directories(dir_ / "store");
    store_url_ = "file://" + (dir_ / "store").string();
    stream_ = "TDK_DBOP_EVENTS_" + suffix_;

    // A store of its own: a sessions reaper in a parallel test would fail this test's
    // sessions while their dbop is cut off from the store on purpose.
    store_database_.emplace("tdk_dbop_store");
    store_db_.emplace(store_database_->dsn(), "dbop-test");
    schema::migrate_store(*store_db_);
    sessions_.emplace(*store_db_);

    // A private JetStream server: the EVENTS stream's subjects (tapedeck.session.>) are fixed,
    // so a second events stream on the shared server is refused as overlapping whenever
    // another suite's stream exists, and this test's dbop must see only this test's sessions.
    const int port = free_port();
    ASSERT_GT(port, 0);
    nats_url_ = fmt::format("nats://127.0.0.1:{}", port);
    nats_server_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{nats_server_program(), "-js", "-sd", (dir_ / "nats").string(),
                                 "-a", "127.0.0.1", "-p", std::to_string(port)},
        std::map<std::string, std::string>{}, (dir_ / "nats.log").string());
    nats::ConnectOptions options;
    options.url = nats_url_;
    ASSERT_TRUE(eventually(
        [&] {
          try {
            nats_.emplace(options);
            return true;
          } catch (const Error&) {
            return false;
          }
        },
        30s));
    jetstream_.emplace(*nats_);
    config::Environment environment = config::process_environment();
    environment["TAPEDECK_NATS_EVENTS_STREAM"] = stream_;
    environment["TAPEDECK_NATS_URL"] = nats_url_;
    session::ensure_events_stream(*jetstream_,
                                  config::Config::load(stack_env("TAPEDECK_CONFIG"), environment));
    events_.emplace(nats_->subscribe("tapedeck.session.*.>"));
  }

  void TearDown() override {
    dbops_.clear();
    events_.reset();
    for (const auto& id : session_ids_) {
      if (const auto record = sessions_->find(id)) {
        try {
          pg::Connection admin(playback_dsn_, "dbop-test");
          admin.exec("DROP DATABASE IF EXISTS " + sql::quote_identifier(record->database_name) +
                     " WITH (FORCE)");
        } catch (const Error& error) {
          ADD_FAILURE() << error.what();
        }
      }
      store_db_->exec_params("DELETE FROM tapedeck.sessions WHERE id = $1", pg::Params::of(id));
    }
    if (jetstream_) jetstream_->delete_stream(stream_);
    jetstream_.reset();
    nats_.reset();
    nats_server_.reset();
    live_.reset();
    if (!live_name_.empty()) {
      pg::Connection admin(live_admin_dsn_, "dbop-test");
      admin.exec("DROP DATABASE IF EXISTS " + live_name_ + " WITH (FORCE)");
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  void start_dbop(const std::map<std::string, std::string>& more_env = {}) {
    const std::string log = (dir_ / fmt::format("dbop-{}.log", dbops_.size())).string();
    std::map<std::string, std::string> env{{"TAPEDECK_LIVE_DSN", live_dsn_},
                                           {"TAPEDECK_STORE_DSN", store_database_->dsn()},
                                           {"TAPEDECK_STORAGE_URL", store_url_},
                                           {"TAPEDECK_NATS_EVENTS_STREAM", stream_},
                                           {"TAPEDECK_NATS_URL", nats_url_},
                                           {"TAPEDECK_DBOP_LISTEN", "127.0.0.1:0"},
                                           {"TAPEDECK_DBOP_WORK_DIR", (dir_ / "work").string()}};
    env.insert(more_env.begin(), more_env.end());
    dbops_.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{testing::tapedeck_binary(), "dbop"}, env, log));
  }

  backups::BackupRecord take_backup(const scheduler::BackupHooks& hooks = {}) {
    scheduler::BackupSettings settings;
    settings.live_dsn = live_dsn_;
    settings.store.url = store_url_;
    return scheduler::run_backup(settings, hooks);
  }

  fs::path object_file(const backups::BackupRecord& backup) const {
    return dir_ / "store" / backup.object_key;
  }

  // The playback server's own pg_restore.
  std::string real_pg_restore() {
    pg::Connection admin(playback_dsn_, "dbop-test");
    return pg::find_client_program("pg_restore", admin.server_version() / 10000);
  }

  // A pg_restore that appends its pid to `pids` and runs the real one once the file `gate`
  // exists: restores under way stay under way until the test opens the gate.
  fs::path gated_pg_restore(const fs::path& gate, const fs::path& pids) {
    auto script = dir_ / "gated_pg_restore";
    std::ofstream(script) << "#!/bin/sh\necho $$ >> " << pids.string() << "\nwhile [ ! -e "
                          << gate.string() << " ]; do sleep 0.1; done\nexec " << real_pg_restore()
                          << " \"$@\"\n";
    fs::permissions(script, fs::perms::owner_all);
    return script;
  }

  // Creates a session starting at `start` and publishes its init event (unless not `announced`:
  // an event lost on the way).
  std::string start_session(session::Time start, bool announced = true) {
    session::NewSession fresh;
    fresh.name = "dbop test " + suffix_;
    fresh.start = start;
    fresh.end = start + 1h;
    fresh.speed = session::Speed::parse("1");
    fresh.database_template = "tdk_dbop_<id>";
    const auto record = sessions_->create(fresh);
    session_ids_.push_back(record.id);
    if (announced) session::publish_event(*jetstream_, record.id, "init", {}, record.id + ".init");
    return record.id;
  }

  session::Record wait_until_settled(const std::string& id) {
    session::Record record;
    const bool settled = eventually(
        [&] {
          record = sessions_->get(id);
          return record.state != session::State::initializing &&
                 record.state != session::State::restoring;
        },
        90s);
    EXPECT_TRUE(settled) << "session " << id << " still " << session::to_string(record.state)
                         << "; dbop log in " << dir_;
    return record;
  }

  // The events seen so far for `id`, by event name; waits until `event` is among them.
  std::vector<nlohmann::json> wait_for_event(const std::string& id, const std::string& event) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto message = events_->next(200ms)) {
        const auto parsed = session::parse_subject(message->subject());
        if (parsed) seen_[parsed->first].push_back(nlohmann::json::parse(message->data()));
        if (parsed) seen_names_[parsed->first].push_back(parsed->second);
      }
      for (std::size_t i = 0; i < seen_names_[id].size(); ++i) {
        if (seen_names_[id][i] == event) return {seen_[id][i]};
      }
    }
    ADD_FAILURE() << "no " << event << " event for session " << id;
    return {};
  }

  void drain_events(std::chrono::milliseconds quiet) {
    while (auto message = events_->next(quiet)) {
      const auto parsed = session::parse_subject(message->subject());
      if (!parsed) continue;
      seen_[parsed->first].push_back(nlohmann::json::parse(message->data()));
      seen_names_[parsed->first].push_back(parsed->second);
    }
  }

  bool database_exists(const std::string& name) {
    pg::Connection admin(playback_dsn_, "dbop-test");
    return admin.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", pg::Params::of(name))
               .rows() == 1;
  }

  std::string failure_reason_for(session::Time start) {
    start_dbop();
    const std::string id = start_session(start);
    const auto record = wait_until_settled(id);
    EXPECT_EQ(record.state, session::State::failed);
    EXPECT_FALSE(record.backup);
    const auto ko = wait_for_event(id, "restore.ko");
    if (!ko.empty()) {
      EXPECT_EQ(ko[0]["reason"], record.error);
    }
    EXPECT_FALSE(database_exists(record.database_name));
    return record.error;
  }

  std::string suffix_;
  std::string live_admin_dsn_;
  std::string playback_dsn_;
  std::string live_name_;
  std::string live_dsn_;
  fs::path dir_;
  std::string store_url_;
  std::string stream_;
  std::string nats_url_;
  std::unique_ptr<ChildProcess> nats_server_;
  std::optional<pg::Connection> live_;
  std::optional<tapedeck::testing::ScratchDatabase> store_database_;
  std::optional<pg::Connection> store_db_;
  std::optional<session::Store> sessions_;
  std::optional<nats::Connection> nats_;
  std::optional<nats::JetStream> jetstream_;
  std::optional<nats::Subscription> events_;
  std::vector<std::unique_ptr<ChildProcess>> dbops_;
  std::vector<std::string> session_ids_;
  std::map<std::string, std::vector<nlohmann::json>> seen_;
  std::map<std::string, std::vector<std::string>> seen_names_;
};

TEST_F(DbopTest, RestoresTheNewestSnapshotAtOrBeforeTheStartIntoTheSessionDatabase) {
  const auto expected = table_digests(*live_);
  ASSERT_EQ(expected.at("shop.customers").rfind("200:", 0), 0u);
  ASSERT_EQ(expected.count("tapedeck.backups"), 1u);
  // A transaction committed while the dump runs is not in the snapshot.
  scheduler::BackupHooks hooks;
  hooks.snapshot_exported = [&](const scheduler::ExportedSnapshot&) {
    pg::Connection writer(live_dsn_, "dbop-test-writer");
    writer.exec("INSERT INTO public.events VALUES (1000, '2030-01-01', '{}')");
  };
  const auto chosen = take_backup(hooks);
  live_->exec("UPDATE shop.customers SET name = 'changed' WHERE id <= 10");
  const auto later = take_backup();
  ASSERT_NE(later.id, chosen.id);

  start_dbop();
  // Exactly at the chosen backup's creation time: it qualifies, the later one does not.
  const std::string id = start_session(*session::parse_time(chosen.created_at));
  const auto record = wait_until_settled(id);
  ASSERT_EQ(record.state, session::State::catching_up) << record.error;
  ASSERT_TRUE(record.backup);
  EXPECT_EQ(record.backup->id, chosen.id);
  EXPECT_EQ(record.backup->lsn, chosen.lsn.str());
  EXPECT_EQ(record.backup->txid_snapshot, chosen.txid_snapshot);
  EXPECT_EQ(record.worker.rfind("dbop@", 0), 0u) << record.worker;

  const auto ok = wait_for_event(id, "restore.ok");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0]["backup_id"], chosen.id);
  EXPECT_EQ(ok[0]["lsn"], chosen.lsn.str());
  EXPECT_EQ(ok[0]["txid_snapshot"], chosen.txid_snapshot);
  EXPECT_EQ(ok[0]["database_name"], record.database_name);
  EXPECT_TRUE(ok[0].contains("backup_system_time"));

  pg::Connection restored(pg::with_dbname(playback_dsn_, record.database_name), "dbop-test");
  EXPECT_EQ(table_digests(restored), expected);
  EXPECT_EQ(
      restored.exec("SELECT count(*) FROM public.events WHERE id = 1000").get<std::int64_t>(0, 0),
      0);
  // The downloaded file is gone.
  EXPECT_TRUE(!fs::exists(dir_ / "work") || fs::is_empty(dir_ / "work"));
}

// pg_dump writes money and pg_restore reads it in one locale: a Live DB whose own writes 1000 as
// "1.000,00 €" (which the playback server, in C, refused to restore) arrives with every amount.
TEST_F(DbopTest, RestoresMoneyWhateverTheLiveDatabasesMonetaryLocale) {
  live_->exec(
      "CREATE TABLE shop.wallets (id int PRIMARY KEY, amount money, history money[]); "
      "INSERT INTO shop.wallets VALUES (1, 1000, ARRAY[1234.5::numeric::money, NULL]), "
      "(2, -92233720368547758.08, NULL); ALTER DATABASE " +
      live_name_ + " SET lc_monetary = 'de_DE.UTF-8'");
  {
    pg::Connection german(live_dsn_, "dbop-test");
    ASSERT_EQ(german.exec("SHOW lc_monetary").get<std::string>(0, 0), "de_DE.UTF-8")
        << "scripts/install-deps.sh generates the locale de_DE.UTF-8";
  }
  const auto expected = table_digests(*live_);
  const auto backup = take_backup();
  start_dbop();
  const std::string id = start_session(*session::parse_time(backup.created_at));
  const auto record = wait_until_settled(id);
  ASSERT_EQ(record.state, session::State::catching_up) << record.error;
  pg::Connection restored(pg::with_dbname(playback_dsn_, record.database_name), "dbop-test");
  EXPECT_EQ(table_digests(restored), expected);
  EXPECT_EQ(restored.exec("SELECT amount::text FROM shop.wallets ORDER BY id").text(0, 0),
            "$1,000.00");
}

// The backup records the Live DB's encoding and locale, and the session database is created
// with them: text sorts as it did in the Live DB. (The stack's Live DB is in C; the row is
// then given German collation, which the playback server has, as a Live DB in de_DE records.)
TEST_F(DbopTest, CreatesTheSessionDatabaseInTheLiveDatabasesLocale) {
  live_->exec("INSERT INTO public.keyless VALUES (2, 'b'), (3, 'A'), (4, 'ä'), (5, 'a')");
  const auto expected = table_digests(*live_);
  const auto backup = take_backup();
  ASSERT_TRUE(backup.database_locale);
  const auto recorded = session::parse_database_locale(*backup.database_locale);
  EXPECT_EQ(recorded.encoding, "UTF8");
  EXPECT_EQ(recorded.collate,
            live_->exec("SELECT datcollate FROM pg_database WHERE datname = current_database()")
                .get<std::string>(0, 0));
  live_->exec_params(
      "UPDATE tapedeck.backups SET database_locale = jsonb_build_object('encoding', 'UTF8', "
      "'collate', 'de_DE.UTF-8', 'ctype', 'de_DE.UTF-8', 'provider', 'c') WHERE id = $1",
      pg::Params::of(backup.id));
  start_dbop();
  const std::string id = start_session(*session::parse_time(backup.created_at));
  const auto record = wait_until_settled(id);
  ASSERT_EQ(record.state, session::State::catching_up) << record.error;
  pg::Connection restored(pg::with_dbname(playback_dsn_, record.database_name), "dbop-test");
  EXPECT_EQ(restored.exec("SELECT datcollate FROM pg_database WHERE datname = current_database()")
                .get<std::string>(0, 0),
            "de_DE.UTF-8");
  EXPECT_EQ(table_digests(restored), expected);
  EXPECT_EQ(restored.exec("SELECT string_agg(b, ',' ORDER BY b) FROM public.keyless WHERE a > 1")
                .get<std::string>(0, 0),
            "a,A,ä,b");
}

TEST_F(DbopTest, FailsTheSessionNamingALiveLocaleThePlaybackServerLacks) {
  const auto backup = take_backup();
  live_->exec_params(
      "UPDATE tapedeck.backups SET database_locale = jsonb_build_object('encoding', 'UTF8', "
      "'collate', 'xx_XX.UTF-8', 'ctype', 'xx_XX.UTF-8') WHERE id = $1",
      pg::Params::of(backup.id));
  const std::string reason = failure_reason_for(*session::parse_time(backup.created_at));
  EXPECT_NE(reason.find("collate xx_XX.UTF-8"), std::string::npos) << reason;
  EXPECT_NE(reason.find("install that locale on the playback server"), std::string::npos) << reason;
}

TEST_F(DbopTest, ReportsPgRestoresProgressInItemsWithAnEta) {
  const auto backup = take_backup();
  // The real pg_restore whose --verbose lines reach dbop slowly, so the restore is watched
  // while it runs.
  const auto script = dir_ / "slow_pg_restore";
  std::ofstream(script) << "#!/bin/bash\nset -o pipefail\n"
                        << real_pg_restore()
                        << " \"$@\" 2>&1 >/dev/null | while IFS= read -r line; do "
                           "printf '%s\\n' \"$line\" >&2; sleep 0.2; done\n";
  fs::permissions(script, fs::perms::owner_all);
  start_dbop({{"TAPEDECK_DBOP_PG_RESTORE", script.string()}});
  const std::string id = start_session(*session::parse_time(backup.created_at));

  std::optional<session::PhaseProgress> during;
  session::Record record;
  (void)eventually(
      [&] {
        record = sessions_->get(id);
        const auto& phase = record.progress.phase;
        if (phase && phase->phase == "restoring" && phase->unit == "items" && phase->done > 0 &&
            phase->total && phase->done < *phase->total && phase->eta_seconds) {
          during = phase;
          return true;
        }
        return record.state != session::State::initializing &&
               record.state != session::State::restoring;
      },
      120s);
  ASSERT_TRUE(during) << "no pg_restore progress seen; session " << session::to_string(record.state)
                      << "; dbop log in " << dir_;
  EXPECT_GT(*during->eta_seconds, 0);
  EXPECT_TRUE(during->rate_per_second);
  EXPECT_TRUE(during->percent);

  record = wait_until_settled(id);
  ASSERT_EQ(record.state, session::State::catching_up) << record.error;
  wait_for_event(id, "restore.ok");
  // The last progress event before restore.ok: every item restored.
  std::optional<nlohmann::json> last;
  for (std::size_t i = 0; i < seen_names_[id].size() && seen_names_[id][i] != "restore.ok"; ++i) {
    if (seen_names_[id][i] == "progress") last = seen_[id][i].at("progress");
  }
  ASSERT_TRUE(last);
  EXPECT_EQ(last->at("unit"), "items");
  EXPECT_EQ(last->at("done"), last->at("total"));
  EXPECT_EQ(last->at("total").get<double>(), during->total.value());
}

// A lost init event (a failed publish, a purged stream) only delays a session: dbop finds it in
// the sessions table and publishes its event again.
TEST_F(DbopTest, RestoresASessionWhoseInitEventWasLost) {
  const auto backup = take_backup();
  start_dbop();
  const std::string id = start_session(*session::parse_time(backup.created_at), false);
  const auto began = std::chrono::steady_clock::now();
  const auto record = wait_until_settled(id);
  ASSERT_EQ(record.state, session::State::catching_up) << record.error;
  EXPECT_EQ(record.backup->id, backup.id);
  const auto init = wait_for_event(id, "init");
  ASSERT_EQ(init.size(), 1u);
  EXPECT_EQ(init[0]["reissued_by"].get<std::string>().rfind("dbop@", 0), 0u) << init[0].dump();
  std::printf("a lost init event delayed the restore by %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
}

TEST_F(DbopTest, FailsTheSessionWhenNoSnapshotIsAtOrBeforeTheStart) {
  take_backup();
  const auto start = *session::parse_time("2001-02-03T04:05:06Z");
  EXPECT_EQ(failure_reason_for(start),
            "no snapshot at or before 2001-02-03T04:05:06.000000Z; take one with `tapedeck "
            "backup run`");
}

TEST_F(DbopTest, FailsTheSessionWhenTheSnapshotIsCorrupted) {
  const auto backup = take_backup();
  {
    std::fstream file(object_file(backup), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(backup.size_bytes / 2);
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x01);
    file.seekp(backup.size_bytes / 2);
    file.write(&byte, 1);
  }
  const std::string reason = failure_reason_for(*session::parse_time(backup.created_at));
  EXPECT_EQ(reason.rfind("checksum mismatch: expected " + backup.sha256 + " got ", 0), 0u)
      << reason;
}

TEST_F(DbopTest, FailsTheSessionWhenTheSnapshotObjectIsMissing) {
  const auto backup = take_backup();
  fs::remove(object_file(backup));
  const std::string reason = failure_reason_for(*session::parse_time(backup.created_at));
  EXPECT_NE(reason.find(fmt::format("backup {} cannot be downloaded", backup.id)),
            std::string::npos)
      << reason;
}

TEST_F(DbopTest, FailsTheSessionWithPgRestoresErrorWhenTheRestoreFails) {
  // A stored object with the right size and checksum that is no dump at all.
  const std::string garbage = "this is not a pg_dump archive\n";
  const auto store = storage::open_store({store_url_, {}});
  std::istringstream in(garbage);
  const storage::ObjectKey key("snapshots/garbage-" + suffix_ + ".dump");
  store->put(key, in);
  const auto row = live_->exec_params(
      R"(INSERT INTO tapedeck.backups (object_key, storage_url, size_bytes, sha256, created_at,
           lsn, txid_snapshot, server_version)
         VALUES ($1, $2, $3, $4, clock_timestamp(), pg_current_wal_lsn(), pg_current_snapshot(),
                 current_setting('server_version'))
         RETURNING to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))",
      pg::Params::of(key.str(), store->url_of(key), static_cast<std::int64_t>(garbage.size()),
                     storage::sha256_hex(garbage)));
  const std::string reason = failure_reason_for(*session::parse_time(std::string(row.text(0, 0))));
  EXPECT_EQ(reason.rfind("pg_restore exited with status 1: ", 0), 0u) << reason;
  EXPECT_NE(reason.find("pg_restore: error:"), std::string::npos) << reason;
}

TEST_F(DbopTest, DropsTheDatabaseWhenTheSessionEndsWhileRestoring) {
  const auto backup = take_backup();
  // A pg_restore that says it started and then hangs: the session is ended meanwhile.
  const auto started = dir_ / "restore-started";
  const auto script = dir_ / "hanging_pg_restore";
  std::ofstream(script) << "#!/bin/sh\ntouch " << started.string() << "\nsleep 300\n";
  fs::permissions(script, fs::perms::owner_all);
  start_dbop({{"TAPEDECK_DBOP_PG_RESTORE", script.string()}});
  const std::string id = start_session(*session::parse_time(backup.created_at));
  ASSERT_TRUE(eventually([&] { return fs::exists(started); }, 90s));
  const auto restoring = sessions_->get(id);
  EXPECT_EQ(restoring.state, session::State::restoring);
  EXPECT_TRUE(database_exists(restoring.database_name));

  sessions_->transition(id, session::Transition::end);
  EXPECT_TRUE(eventually([&] { return !database_exists(restoring.database_name); }, 60s));
  drain_events(2s);
  for (const auto& name : seen_names_[id]) {
    EXPECT_NE(name, "restore.ok");
    EXPECT_NE(name, "restore.ko");
  }
  EXPECT_EQ(sessions_->get(id).state, session::State::ended);
  EXPECT_EQ(dbops_.back()->stop(), 0);
}

TEST_F(DbopTest, RestoresAgainWhenItsStoreConnectionIsLostDuringARestore) {
  const auto expected = table_digests(*live_);
  const auto backup = take_backup();
  // The first pg_restore hangs; once `second` exists the real one runs.
  const auto started = dir_ / "restore-started";
  const auto second = dir_ / "second";
  const auto script = dir_ / "flaky_pg_restore";
  std::ofstream(script) << "#!/bin/sh\nif [ -e " << second.string() << " ]; then exec "
                        << real_pg_restore() << " \"$@\"; fi\ntouch " << started.string()
                        << "\nsleep 300\n";
  fs::permissions(script, fs::perms::owner_all);
  start_dbop({{"TAPEDECK_DBOP_PG_RESTORE", script.string()}});
  const std::string id = start_session(*session::parse_time(backup.created_at));
  ASSERT_TRUE(eventually([&] { return fs::exists(started); }, 90s));
  std::ofstream(second) << "go\n";
  const std::string worker = sessions_->get(id).worker;
  ASSERT_FALSE(worker.empty());
  const auto killed = store_db_->exec_params(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
      pg::Params::of(worker.substr(0, 63)));
  ASSERT_GE(killed.rows(), 1);

  // The unacked init comes back after ack_wait (30 s) and the same dbop restores again.
  const auto record = wait_until_settled(id);
  ASSERT_EQ(record.state, session::State::catching_up) << record.error;
  EXPECT_EQ(record.worker, worker);
  EXPECT_EQ(wait_for_event(id, "restore.ok").size(), 1u);
  pg::Connection restored(pg::with_dbname(playback_dsn_, record.database_name), "dbop-test");
  EXPECT_EQ(table_digests(restored), expected);
}

// dbop.max_restores sessions restore at the same time; the next one waits its turn in the
// queue the API shows (Store::restore_queue), then restores once a slot is free.
TEST_F(DbopTest, RestoresUpToMaxRestoresSessionsAtOnceAndQueuesTheRest) {
  const auto backup = take_backup();
  // Every pg_restore waits for the gate, so the restores under way stay under way.
  const auto gate = dir_ / "gate";
  const auto script = gated_pg_restore(gate, dir_ / "pids");
  start_dbop({{"TAPEDECK_DBOP_PG_RESTORE", script.string()}, {"TAPEDECK_DBOP_MAX_RESTORES", "2"}});
  const auto start = *session::parse_time(backup.created_at) + 1s;
  std::vector<std::string> ids;
  ids.reserve(3);
  for (int i = 0; i < 3; ++i) ids.push_back(start_session(start));

  session::RestoreQueue queue;
  const bool two_restoring = eventually(
      [&] {
        queue = sessions_->restore_queue();
        return queue.restoring == 2 && queue.waiting.size() == 1;
      },
      60s);
  ASSERT_TRUE(two_restoring) << queue.restoring << " restoring, " << queue.waiting.size()
                             << " waiting; dbop log in " << dir_;
  // Still so a moment later: the third waits for a free slot, not for an event.
  std::this_thread::sleep_for(2s);
  queue = sessions_->restore_queue();
  EXPECT_EQ(queue.restoring, 2);
  ASSERT_EQ(queue.waiting.size(), 1u);
  EXPECT_EQ(queue.position_of(queue.waiting.front()), 1u);
  EXPECT_EQ(sessions_->get(queue.waiting.front()).state, session::State::initializing);

  std::ofstream(gate) << "open\n";
  for (const auto& id : ids) {
    const auto record = wait_until_settled(id);
    EXPECT_EQ(record.state, session::State::catching_up) << record.error;
    EXPECT_EQ(wait_for_event(id, "restore.ok").size(), 1u) << id;
  }
  EXPECT_EQ(sessions_->restore_queue().restoring, 0);
  EXPECT_EQ(dbops_.back()->stop(), 0);
}

// A dbop killed in the middle of a restore: the other copy sees the restore stop reporting,
// takes it over and restores the session exactly, before replaymgr would fail it (10 s).
TEST_F(DbopTest, ARestoreWhoseDbopWasKilledIsTakenOverByAnotherCopy) {
  const auto expected = table_digests(*live_);
  const auto backup = take_backup();
  // Each pg_restore notes its pid, so the killed dbop's is killed too (in a real crash its
  // stderr pipe breaks and the database it wrote to is dropped).
  const auto gate = dir_ / "gate";
  const auto pids = dir_ / "pids";
  const auto script = gated_pg_restore(gate, pids);
  start_dbop({{"TAPEDECK_DBOP_PG_RESTORE", script.string()}});
  start_dbop({{"TAPEDECK_DBOP_PG_RESTORE", script.string()}});
  const std::string id = start_session(*session::parse_time(backup.created_at) + 1s);
  ASSERT_TRUE(eventually([&] { return fs::exists(pids); }, 60s));
  const auto holder = sessions_->get(id).worker;
  ASSERT_EQ(sessions_->get(id).state, session::State::restoring);
  const std::size_t killed_index = tapedeck::testing::index_of_worker(dbops_, holder);
  ASSERT_LT(killed_index, dbops_.size()) << holder;
  dbops_[killed_index]->kill_now();
  const auto killed_at = std::chrono::steady_clock::now();
  {
    std::ifstream in(pids);
    pid_t orphan = 0;
    while (in >> orphan) ::kill(-orphan, SIGKILL);
  }

  session::Record record;
  ASSERT_TRUE(eventually(
      [&] {
        record = sessions_->get(id);
        return record.worker != holder;
      },
      30s))
      << "nobody took the restore over; dbop logs in " << dir_;
  const double takeover =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  EXPECT_EQ(record.state, session::State::restoring);
  EXPECT_LT(takeover, 10.0) << "replaymgr.worker_timeout would have failed the session first";
  std::ofstream(gate) << "open\n";
  record = wait_until_settled(id);
  ASSERT_EQ(record.state, session::State::catching_up) << record.error;
  EXPECT_EQ(wait_for_event(id, "restore.ok").size(), 1u);
  pg::Connection restored(pg::with_dbname(playback_dsn_, record.database_name), "dbop-test");
  EXPECT_EQ(table_digests(restored), expected);
  std::printf("restore taken over %.1f s after its dbop was killed\n", takeover);
  EXPECT_EQ(dbops_[1 - killed_index]->stop(), 0);
}

TEST_F(DbopTest, TwoDbopCopiesRestoreEachSessionExactlyOnce) {
  const auto backup = take_backup();
  start_dbop();
  start_dbop();
  const auto start = *session::parse_time(backup.created_at) + 1s;
  std::vector<std::string> ids;
  ids.reserve(4);
  for (int i = 0; i < 4; ++i) ids.push_back(start_session(start));
  for (const auto& id : ids) {
    const auto record = wait_until_settled(id);
    EXPECT_EQ(record.state, session::State::catching_up) << record.error;
    EXPECT_TRUE(database_exists(record.database_name));
  }
  // Redelivery or a second taker would show as a second restore.ok (or a restore.ko).
  drain_events(2s);
  for (const auto& id : ids) {
    int ok = 0;
    for (const auto& name : seen_names_[id]) {
      EXPECT_NE(name, "restore.ko") << id;
      if (name == "restore.ok") ++ok;
    }
    EXPECT_EQ(ok, 1) << id;
  }
  for (auto& dbop : dbops_) EXPECT_EQ(dbop->stop(), 0);
}

}  // namespace
}  // namespace tapedeck::dbop
