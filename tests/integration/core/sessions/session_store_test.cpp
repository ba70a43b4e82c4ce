// Session rows on the real TransformMsg DB: transitions applied once or refused.
#include "core/sessions/session_store.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "core/error.hpp"
#include "core/schema/store_schema.hpp"
#include "support/scratch.hpp"

namespace tapedeck::session {
namespace {

using namespace std::chrono_literals;

class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A store of its own: fail_stale below would fail other tests' sessions in a shared one.
    connection_.emplace(store_db_.dsn(), "session-store-test");
    schema::migrate_store(*connection_);
    store_.emplace(*connection_);
  }

  NewSession new_session(std::string database_template = "playback_<id>") {
    NewSession session;
    session.name = "test";
    session.start = *parse_time("2026-11-24T10:00:00.123456Z");
    session.end = *parse_time("2026-11-24T10:05:00Z");
    session.speed = Speed::parse("1.5");
    session.database_template = std::move(database_template);
    return session;
  }

  Recovery recovery_of(const std::function<void()>& action) {
    try {
      action();
    } catch (const Error& error) {
      last_message_ = error.what();
      return error.recovery();
    }
    ADD_FAILURE() << "expected an Error";
    return Recovery::fail;
  }

  testing::ScratchDatabase store_db_{"session_store"};
  std::optional<pg::Connection> connection_;
  std::optional<Store> store_;
  std::string last_message_;
};

TEST(WorkerName, NamesTheComponentAndDiffersPerInstance) {
  const auto first = worker_name("dbop");
  EXPECT_TRUE(first.starts_with("dbop@")) << first;
  EXPECT_NE(first, worker_name("dbop"));
}

TEST_F(SessionStoreTest, CreatesASessionThatReadsBackExactly) {
  const auto created = store_->create(new_session());
  EXPECT_TRUE(valid_session_id(created.id));
  EXPECT_EQ(created.state, State::initializing);
  EXPECT_EQ(format_time(created.start), "2026-11-24T10:00:00.123456Z");
  EXPECT_EQ(created.speed.str(), "1.5");
  EXPECT_EQ(created.database_name, "playback_" + created.id);

  const auto read = store_->get(created.id);
  EXPECT_EQ(read.start, created.start);
  EXPECT_EQ(read.end, created.end);
  EXPECT_EQ(read.to_json()["state"], "initializing");
}

TEST_F(SessionStoreTest, RefusesAnEndThatIsNotAfterTheStart) {
  auto session = new_session();
  session.end = session.start;
  EXPECT_EQ(recovery_of([&] { store_->create(session); }), Recovery::invalid);
}

TEST_F(SessionStoreTest, WalksTheWholeLifeOfASession) {
  const auto id = store_->create(new_session()).id;
  store_->transition(id, Transition::restore_begin, TransitionDetails::by("dbop-1"));
  const auto restored =
      store_->transition(id, Transition::restore_ok,
                         TransitionDetails::restored(BackupRef{7, "0/16B3748", "100:105:101,103"}));
  ASSERT_TRUE(restored.backup);
  EXPECT_EQ(restored.backup->lsn, "0/16B3748");
  EXPECT_EQ(restored.backup->txid_snapshot, "100:105:101,103");
  EXPECT_EQ(restored.worker, "dbop-1");
  for (const auto step : {Transition::catch_up_done, Transition::start, Transition::pause,
                          Transition::resume, Transition::finish}) {
    store_->transition(id, step);
  }
  EXPECT_EQ(store_->get(id).state, State::ended);
}

TEST_F(SessionStoreTest, RefusesAnIllegalTransitionAndNamesTheState) {
  const auto id = store_->create(new_session()).id;
  EXPECT_EQ(recovery_of([&] { store_->transition(id, Transition::start); }), Recovery::conflict);
  EXPECT_NE(last_message_.find("is initializing"), std::string::npos) << last_message_;
  EXPECT_EQ(store_->get(id).state, State::initializing);
}

TEST_F(SessionStoreTest, UnknownSessionIsNotFound) {
  EXPECT_EQ(recovery_of([&] { store_->transition("s000000000000", Transition::end); }),
            Recovery::not_found);
  EXPECT_FALSE(store_->find("s000000000000"));
}

TEST_F(SessionStoreTest, OnlyOneOfFourConcurrentWorkersTakesASession) {
  const auto id = store_->create(new_session()).id;
  std::atomic<int> taken = 0;
  std::atomic<int> refused = 0;
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&, i] {
      pg::Connection connection(store_db_.dsn());
      Store store(connection);
      try {
        store.transition(id, Transition::restore_begin,
                         TransitionDetails::by(fmt::format("dbop-{}", i)));
        ++taken;
      } catch (const Error& error) {
        if (error.recovery() == Recovery::conflict) ++refused;
      }
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(taken, 1);
  EXPECT_EQ(refused, 3);
}

TEST_F(SessionStoreTest, AFixedDatabaseIsHeldByOneLiveSessionAtATime) {
  const auto fixed = fmt::format("playback_fixed_{}", new_session_id());
  const auto first = store_->create(new_session(fixed));
  EXPECT_EQ(recovery_of([&] { store_->create(new_session(fixed)); }), Recovery::conflict);
  EXPECT_NE(last_message_.find(fixed), std::string::npos);
  store_->transition(first.id, Transition::end);
  EXPECT_EQ(store_->create(new_session(fixed)).database_name, fixed);
  for (const auto& session : store_->list(false)) {
    if (session.database_name == fixed) store_->transition(session.id, Transition::end);
  }
}

TEST_F(SessionStoreTest, ProgressAfterTheEndIsIgnored) {
  const auto id = store_->create(new_session()).id;
  Progress progress;
  progress.statements_applied = 5;
  progress.playback_time = *parse_time("2026-11-24T10:01:00Z");
  EXPECT_TRUE(store_->report_progress(id, progress, "msgop-1"));
  EXPECT_EQ(store_->get(id).progress.statements_applied, 5);
  EXPECT_EQ(store_->get(id).progress.playback_time, progress.playback_time);
  store_->transition(id, Transition::end);
  progress.statements_applied = 9;
  EXPECT_FALSE(store_->report_progress(id, progress, "msgop-1"));
  EXPECT_EQ(store_->get(id).progress.statements_applied, 5);
}

TEST_F(SessionStoreTest, FailsOnlySessionsWhoseWorkerStoppedReporting) {
  const auto stale = store_->create(new_session()).id;
  const auto fresh = store_->create(new_session()).id;
  store_->transition(stale, Transition::restore_begin, TransitionDetails::by("dbop-dead"));
  store_->transition(fresh, Transition::restore_begin, TransitionDetails::by("dbop-alive"));
  connection_->exec_params(
      "UPDATE tapedeck.sessions SET heartbeat_at = now() - interval '1 minute' WHERE id = $1",
      pg::Params::of(stale));

  const auto failed = store_->fail_stale(10s);
  const auto mine = std::count_if(failed.begin(), failed.end(),
                                  [&](const Record& record) { return record.id == stale; });
  EXPECT_EQ(mine, 1);
  const auto record = store_->get(stale);
  EXPECT_EQ(record.state, State::failed);
  EXPECT_NE(record.error.find("dbop-dead stopped reporting"), std::string::npos) << record.error;
  EXPECT_EQ(store_->get(fresh).state, State::restoring);
}

TEST_F(SessionStoreTest, PurgesOnlyRowsEndedLongerAgoThanTheRetentionOneCopyAtATime) {
  const auto old_ended = store_->create(new_session()).id;
  const auto recent_ended = store_->create(new_session()).id;
  const auto old_failed = store_->create(new_session()).id;
  const auto live = store_->create(new_session()).id;
  store_->transition(old_ended, Transition::end);
  store_->transition(recent_ended, Transition::end);
  store_->transition(old_failed, Transition::fail, TransitionDetails::failure("test"));
  connection_->exec_params(
      "UPDATE tapedeck.sessions SET updated_at = now() - interval '2 hours' "
      "WHERE id IN ($1, $2, $3)",
      pg::Params::of(old_ended, old_failed, live));

  {
    // Another copy purging right now holds the lock: this pass leaves everything alone.
    pg::Connection other(store_db_.dsn(), "session-store-test-other");
    other.exec("BEGIN");
    other.exec("SELECT pg_advisory_xact_lock(hashtext('tapedeck.sessions purge'))");
    EXPECT_EQ(store_->purge_ended(1h), 0);
    other.exec("COMMIT");
  }
  EXPECT_EQ(store_->purge_ended(1h), 1);
  EXPECT_FALSE(store_->find(old_ended).has_value());
  EXPECT_TRUE(store_->find(recent_ended).has_value());
  EXPECT_TRUE(store_->find(old_failed).has_value());  // its database waits for an end
  EXPECT_TRUE(store_->find(live).has_value());
  EXPECT_EQ(store_->purge_ended(1h), 0);
}

TEST_F(SessionStoreTest, EndsSessionsIdleLongerThanTheExpiryAndNothingElse) {
  const auto idle_ready = store_->create(new_session()).id;
  const auto idle_paused = store_->create(new_session()).id;
  const auto idle_failed = store_->create(new_session()).id;
  const auto idle_playing = store_->create(new_session()).id;
  const auto idle_restoring = store_->create(new_session()).id;
  const auto recent_ready = store_->create(new_session()).id;
  store_->transition(idle_failed, Transition::fail, TransitionDetails::failure("disk full"));
  const auto set_state = [&](const std::string& id, std::string_view state, bool old) {
    connection_->exec_params(std::string("UPDATE tapedeck.sessions SET state = $2") +
                                 (old ? ", updated_at = now() - interval '3 hours'" : "") +
                                 " WHERE id = $1",
                             pg::Params::of(id, std::string(state)));
  };
  set_state(idle_ready, "ready", true);
  set_state(idle_paused, "paused", true);
  set_state(idle_failed, "failed", true);
  set_state(idle_playing, "playing", true);
  set_state(idle_restoring, "restoring", true);
  set_state(recent_ready, "ready", false);

  const auto expired = store_->expire_idle(1h);
  std::set<std::string> ids;
  for (const auto& record : expired) {
    ids.insert(record.id);
    EXPECT_EQ(record.state, State::ended);
    EXPECT_NE(record.error.find("ended by replaymgr.idle_expiry"), std::string::npos)
        << record.error;
  }
  EXPECT_EQ(ids, (std::set<std::string>{idle_ready, idle_paused, idle_failed}));
  // The failure's own reason stays first.
  EXPECT_EQ(store_->get(idle_failed).error.rfind("disk full; ended by replaymgr.idle_expiry", 0),
            0u)
      << store_->get(idle_failed).error;
  EXPECT_EQ(store_->get(idle_playing).state, State::playing);
  EXPECT_EQ(store_->get(idle_restoring).state, State::restoring);
  EXPECT_EQ(store_->get(recent_ready).state, State::ready);
  EXPECT_TRUE(store_->expire_idle(1h).empty());
}

TEST_F(SessionStoreTest, AnAbandonedReplayGoesBackToDbopFromWhereItWas) {
  const auto catching_up = store_->create(new_session()).id;
  const auto playing = store_->create(new_session()).id;
  const auto alive = store_->create(new_session()).id;
  const auto restoring = store_->create(new_session()).id;
  for (const auto& id : {catching_up, playing, alive}) {
    store_->transition(id, Transition::restore_begin, TransitionDetails::by("dbop@a"));
    store_->transition(id, Transition::restore_ok,
                       TransitionDetails::restored({7, "0/100", "1:1:"}));
  }
  store_->transition(restoring, Transition::restore_begin, TransitionDetails::by("dbop@a"));
  connection_->exec_params(
      "UPDATE tapedeck.sessions SET worker = 'msgop@dead', heartbeat_at = now() - interval '1 "
      "minute' WHERE id IN ($1, $2)",
      pg::Params::of(catching_up, playing));
  connection_->exec_params(
      "UPDATE tapedeck.sessions SET state = 'playing', playback_time = start_time + interval '5 "
      "seconds' WHERE id = $1",
      pg::Params::of(playing));
  connection_->exec_params(
      "UPDATE tapedeck.sessions SET worker = 'msgop@alive', heartbeat_at = now() WHERE id = $1",
      pg::Params::of(alive));
  connection_->exec_params(
      "UPDATE tapedeck.sessions SET heartbeat_at = now() - interval '1 minute' WHERE id = $1",
      pg::Params::of(restoring));

  EXPECT_EQ(store_->abandoned_replays(10s), (std::vector<std::string>{catching_up, playing}));

  const auto again = store_->restart_abandoned_replay(catching_up, 10s);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state, State::initializing);
  EXPECT_FALSE(again->backup);
  EXPECT_FALSE(again->heartbeat_at);

  const auto seek = store_->restart_abandoned_replay(playing, 10s);
  ASSERT_TRUE(seek);
  EXPECT_EQ(seek->state, State::seeking);
  ASSERT_TRUE(seek->seek);
  EXPECT_EQ(seek->seek->resume_state, State::playing);
  EXPECT_EQ(seek->seek->restore, "requested");
  EXPECT_EQ(seek->restore_target(), seek->start + 5s);
  EXPECT_TRUE(seek->backup);  // kept: it is replaced when dbop restores

  // Once handed back, and for a live msgop or a dbop's restore: nothing.
  EXPECT_FALSE(store_->restart_abandoned_replay(playing, 10s));
  EXPECT_FALSE(store_->restart_abandoned_replay(alive, 10s));
  EXPECT_FALSE(store_->restart_abandoned_replay(restoring, 10s));
  EXPECT_TRUE(store_->abandoned_replays(10s).empty());
}

TEST_F(SessionStoreTest, TheRestoreQueueListsWaitingSessionsOldestFirstAndCountsRestores) {
  const auto first = store_->create(new_session()).id;
  const auto second = store_->create(new_session()).id;
  const auto restoring = store_->create(new_session()).id;
  store_->transition(restoring, Transition::restore_begin, TransitionDetails::by("dbop@test"));
  const auto queue = store_->restore_queue();
  ASSERT_EQ(queue.waiting, (std::vector<std::string>{first, second}));
  EXPECT_EQ(queue.restoring, 1);
  EXPECT_EQ(queue.position_of(first), 1u);
  EXPECT_EQ(queue.position_of(second), 2u);
  EXPECT_EQ(queue.position_of(restoring), 0u);
}

}  // namespace
}  // namespace tapedeck::session
