// End to end on the real stack: `tapedeck run` records a randomized concurrent workload, a
// backup is taken while transactions are in flight, and sessions at several moments each give
// a database identical, table by table, to the Live DB at that moment.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "core/pg/connection.hpp"
#include "core/pg/result.hpp"
#include "core/session.hpp"
#include "support/process.hpp"
#include "support/product_fixture.hpp"

namespace tapedeck {

namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::eventually;

struct CommandResult {
  int status = -1;
  std::string output;  // standard output and error
};

CommandResult run_tapedeck(const std::string& arguments) {
  const auto command = fmt::format("'{}' {} 2>&1", testing::tapedeck_binary(), arguments);
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (const auto read = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    result.output.append(buffer.data(), read);
  }
  result.status = ::pclose(pipe);
  return result;
}

// The command's output; the test fails when it exits non-zero.
std::string tapedeck_output(const std::string& arguments) {
  auto result = run_tapedeck(arguments);
  EXPECT_EQ(result.status, 0) << "tapedeck " << arguments << " printed:\n" << result.output;
  return result.output;
}

// Every name carries its schema: search_path starts with "$user", and the stack's user
// tapedeck has a schema of that name (the Live DB's own tables, which are not recorded).
constexpr std::string_view kSchema = R"(
CREATE TYPE public.e2e_mood AS ENUM ('calm', 'busy', 'O''Neil "quoted"');
CREATE TABLE public.items (
  id        integer PRIMARY KEY,
  label     text,
  amount    numeric(20, 6),
  ratio     double precision,
  counter   bigint,
  flag      boolean,
  born      date,
  seen_at   timestamptz,
  local_at  timestamp,
  span      interval,
  payload   jsonb,
  blob      bytea,
  tags      text[],
  mood      public.e2e_mood,
  token     uuid
);
CREATE TABLE public.events (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item   integer NOT NULL,
  note   text NOT NULL,
  at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE public.ledger (entry text, amount numeric);
ALTER TABLE public.ledger REPLICA IDENTITY FULL;
)";

constexpr std::string_view kChecksums = R"(
SELECT string_agg(name || ' ' || rows || ' ' || sum, E'\n' ORDER BY name) FROM (
  SELECT 'items' AS name, count(*) AS rows,
         md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS sum FROM public.items t
  UNION ALL SELECT 'events', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))
    FROM public.events t
  UNION ALL SELECT 'ledger', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))
    FROM public.ledger t) sums)";

// One random change over the three tables, as SQL. Values cover quotes, backslashes,
// unicode, NULLs, large numerics, infinities and arrays.
std::string random_change(std::mt19937& random, int connection) {
  const auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  const int id = 1 + pick(200);
  static constexpr std::array<std::string_view, 6> kLabels = {
      "plain", "it''s", "back\\slash", "Zürich ✓", "$$dollar$$", "E''x\\n''"};
  switch (pick(6)) {
    case 0:
    case 1:
      return fmt::format(
          "INSERT INTO public.items VALUES ({0}, '{1}', {2}.{3:06}, {4}.25, {5}, {6}, "
          "{7}, clock_timestamp(), localtimestamp, interval '{8} hours 3 minutes', "
          "'{{\"k\": {0}, \"s\": \"{1}\"}}', '\\x{9:08x}', ARRAY['a{0}', NULL, 'q\"z'], "
          "'{10}', md5('{0}')::uuid) ON CONFLICT (id) DO UPDATE SET label = excluded.label, "
          "amount = excluded.amount, counter = items.counter + 1",
          id, kLabels[static_cast<std::size_t>(pick(6))], pick(1000000000), pick(1000000),
          pick(1000) - 500, static_cast<long long>(random()) * 1000, pick(2) ? "true" : "NULL",
          pick(5) == 0 ? "'infinity'" : fmt::format("date '2000-01-01' + {}", pick(9000)), pick(48),
          random(), pick(3) == 0 ? "O''Neil \"quoted\"" : "busy");
    case 2:
      return fmt::format(
          "UPDATE public.items SET ratio = ratio * 2, flag = NOT coalesce(flag, false), "
          "payload = payload || '{{\"c{1}\": true}}', tags = array_append(tags, 'c{1}') "
          "WHERE id = {0}",
          id, connection);
    case 3:
      return fmt::format("DELETE FROM public.items WHERE id = {}", id);
    case 4:
      return fmt::format("INSERT INTO public.events (item, note) VALUES ({}, 'from {} \\ \"{}\"')",
                         id, connection, pick(100));
    default:
      return fmt::format(
          "INSERT INTO public.ledger VALUES ('c{}', {}.{}); DELETE FROM public.ledger WHERE "
          "ctid = (SELECT ctid FROM public.ledger WHERE entry = 'c{}' LIMIT 1) "
          "AND random() < 0.3",
          connection, pick(100), pick(100), connection);
  }
}

class PlaybackFidelityTest : public testing::ProductFixture {
 protected:
  PlaybackFidelityTest() : ProductFixture("e2e") {}

  void SetUp() override {
    ProductFixture::SetUp();
    live().exec(kSchema);
  }

  // Several connections apply random changes in overlapping transactions for `count` rounds.
  void run_workload(std::uint32_t seed, int rounds) {
    constexpr int kConnections = 4;
    std::vector<std::thread> workers;
    workers.reserve(kConnections);
    for (int connection = 0; connection < kConnections; ++connection) {
      workers.emplace_back([this, seed, rounds, connection] {
        std::mt19937 random(seed + static_cast<std::uint32_t>(connection));
        pg::Connection db(live_dsn(), "e2e-workload");
        for (int round = 0; round < rounds; ++round) {
          std::string transaction = "BEGIN;";
          const int changes = 1 + static_cast<int>(random() % 8);
          for (int change = 0; change < changes; ++change) {
            transaction += random_change(random, connection) + ";";
          }
          try {
            db.exec(transaction + "COMMIT;");
          } catch (const std::exception&) {
            db.exec("ROLLBACK");  // a deadlock between workers: that transaction never happened
          }
        }
      });
    }
    for (auto& worker : workers) worker.join();
  }

  // A quiet moment: nothing commits for a while before and after it.
  std::pair<std::string, std::string> mark_moment(std::string_view checksums = kChecksums) {
    std::this_thread::sleep_for(1200ms);
    const auto time = session::format_time(
        std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
    const auto sums = live().exec(checksums).get<std::string>(0, 0);
    std::this_thread::sleep_for(1200ms);
    return {time, sums};
  }

  // Waits until replaymgr answers and capture streams its slot: a change committed before the
  // slot exists is in no recording.
  void wait_until_recording_and_serving() {
    ASSERT_TRUE(eventually([&] { return run_tapedeck("session list --json").status == 0; }, 60s))
        << "replaymgr did not answer; see " << run_log();
    ASSERT_NO_FATAL_FAILURE(wait_until_capture_streams());
  }

  // Waits until everything the Live DB wrote so far is stored (the slot confirms only what
  // transform has committed).
  void wait_for_the_recording() {
    const auto written = live().exec("SELECT pg_current_wal_lsn()::text").get<std::string>(0, 0);
    ASSERT_TRUE(eventually(
        [&] {
          return admin()
              .exec_params(
                  "SELECT coalesce(bool_or(confirmed_flush_lsn >= $1::pg_lsn), false) "
                  "FROM pg_replication_slots WHERE slot_name = $2",
                  pg::Params::of(written, slot_name()))
              .get<bool>(0, 0);
        },
        180s))
        << "the recording did not catch up; see " << run_log();
  }

  // Creates a session from `start` to `end` at speed max and waits for it to leave the
  // restore and catch-up; returns its API object.
  // An empty `end` makes a point-in-time session.
  nlohmann::json ready_session(const std::string& start, const std::string& end) {
    const auto init = fmt::format("session init --start {} {} --speed max --name e2e --json", start,
                                  end.empty() ? std::string() : "--end " + end);
    CommandResult initialized;
    EXPECT_TRUE(eventually(
        [&] {
          initialized = run_tapedeck(init);
          return initialized.status == 0;
        },
        30s))
        << initialized.output;
    if (initialized.status != 0) return {};
    const std::string id = nlohmann::json::parse(initialized.output).at("id");
    nlohmann::json shown;
    EXPECT_TRUE(eventually(
        [&] {
          shown = nlohmann::json::parse(tapedeck_output(fmt::format("session show {} --json", id)));
          return shown.at("state") != "initializing" && shown.at("state") != "restoring" &&
                 shown.at("state") != "catching_up";
        },
        180s))
        << shown.dump();
    return shown;
  }

  // Starts a ready session and waits until it has played to its end.
  nlohmann::json played_session(const std::string& id) {
    tapedeck_output(fmt::format("session start {}", id));
    nlohmann::json shown;
    EXPECT_TRUE(eventually(
        [&] {
          shown = nlohmann::json::parse(tapedeck_output(fmt::format("session show {} --json", id)));
          return shown.at("state") == "ended" || shown.at("state") == "failed";
        },
        180s))
        << shown.dump();
    return shown;
  }
};

TEST_F(PlaybackFidelityTest, SessionsAtSeveralMomentsEqualTheLiveDatabaseThen) {
  const std::uint32_t seed = std::random_device{}();
  std::printf("workload seed %u\n", seed);
  start_run();
  wait_until_recording_and_serving();

  run_workload(seed, 60);

  // A transaction open across the backup: committed after the snapshot, so catch-up must
  // apply it although its xid is older than many the snapshot saw.
  pg::Connection straddling(live_dsn(), "e2e-straddling");
  straddling.exec(
      "BEGIN; INSERT INTO public.events (item, note) VALUES (0, 'straddles the backup')");
  std::thread during([&] { run_workload(seed + 100, 40); });
  const auto backup_output = tapedeck_output("backup run");
  during.join();
  straddling.exec("COMMIT");

  const auto after_backup = mark_moment();
  run_workload(seed + 200, 60);
  const auto between = mark_moment();
  run_workload(seed + 300, 30);
  const auto at_end = mark_moment();

  // Catch-up is exact only over a complete recording.
  wait_for_the_recording();

  const std::array moments = {std::pair{"right after the backup", after_backup},
                              std::pair{"between two transactions", between},
                              std::pair{"at the end", at_end}};
  for (const auto& [label, moment] : moments) {
    SCOPED_TRACE(label);
    // The end lies a second beyond the last moment: accepted once that second is recorded.
    const auto end = session::format_time(*session::parse_time(moment.first) + 1s);
    const auto shown = ready_session(moment.first, end);
    ASSERT_EQ(shown.value("state", ""), "ready") << shown.dump();
    const std::string id = shown.at("id");
    {
      pg::Connection session_db(shown.at("database_dsn").get<std::string>(), "e2e-check");
      EXPECT_EQ(session_db.exec(kChecksums).get<std::string>(0, 0), moment.second);
    }
    tapedeck_output(fmt::format("session end {}", id));
  }

  // Paced replay from right after the backup to the quiet moment between the workloads gives
  // the Live DB as it was then, too.
  const auto shown = ready_session(after_backup.first, between.first);
  ASSERT_EQ(shown.value("state", ""), "ready") << shown.dump();
  const std::string id = shown.at("id");
  const auto played = played_session(id);
  ASSERT_EQ(played.at("state"), "ended") << played.dump();
  {
    pg::Connection session_db(shown.at("database_dsn").get<std::string>(), "e2e-check");
    EXPECT_EQ(session_db.exec(kChecksums).get<std::string>(0, 0), between.second);
  }
}

// The transport: a point-in-time session is the Live DB at its moment; a seek forward (applying
// the recording) and a seek back (restoring the snapshot again and catching up) each give the
// Live DB at the moment sought, in the same session with the same id.
TEST_F(PlaybackFidelityTest, APointInTimeSessionSeeksForwardAndBackToTheLiveDatabaseAtEachMoment) {
  const std::uint32_t seed = std::random_device{}();
  std::printf("workload seed %u\n", seed);
  start_run();
  wait_until_recording_and_serving();
  run_workload(seed, 30);
  // Exact catch-up needs a recorded commit at or before the backup (the recording-gap check).
  wait_for_the_recording();
  tapedeck_output("backup run");
  const auto first = mark_moment();
  run_workload(seed + 1, 40);
  const auto second = mark_moment();
  run_workload(seed + 2, 40);
  const auto third = mark_moment();
  wait_for_the_recording();

  const auto shown = ready_session(first.first, "");
  ASSERT_EQ(shown.value("state", ""), "ready") << shown.dump();
  EXPECT_TRUE(shown.at("end").is_null()) << shown.dump();
  const std::string id = shown.at("id");
  const auto checksum = [&] {
    pg::Connection session_db(shown.at("database_dsn").get<std::string>(), "e2e-check");
    return session_db.exec(kChecksums).get<std::string>(0, 0);
  };
  EXPECT_EQ(checksum(), first.second);

  // Seeks, then waits until the session is back in `state` with the seek done.
  const auto seek = [&](const std::string& to) {
    const auto sought =
        nlohmann::json::parse(tapedeck_output(fmt::format("session seek {} {} --json", id, to)));
    EXPECT_EQ(sought.at("state"), "seeking") << sought.dump();
    const auto began = std::chrono::steady_clock::now();
    std::vector<std::string> phases;
    nlohmann::json now;
    EXPECT_TRUE(eventually(
        [&] {
          now = nlohmann::json::parse(tapedeck_output(fmt::format("session show {} --json", id)));
          if (now.at("progress").is_object()) phases.push_back(now["progress"].value("phase", ""));
          return now.at("state") == "ready" && now.at("seek_to").is_null();
        },
        180s))
        << now.dump();
    EXPECT_EQ(now.at("id"), id);
    EXPECT_EQ(now.at("playback_time"), session::format_time(*session::parse_time(to)))
        << now.dump();
    return std::pair{
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count(), phases};
  };
  const auto [forward_seconds, forward_phases] = seek(third.first);
  EXPECT_EQ(checksum(), third.second);
  const auto [backward_seconds, backward_phases] = seek(second.first);
  EXPECT_EQ(checksum(), second.second);
  std::printf("seek forward took %.2f s, seek back (restore + catch-up) %.2f s\n", forward_seconds,
              backward_seconds);
  tapedeck_output(fmt::format("session end {}", id));

  // `init --wait` follows the restore and catch-up with plain progress lines (not a terminal)
  // and exits 0 once the session is ready.
  const auto waited = run_tapedeck(fmt::format("session init --start {} --wait", third.first));
  EXPECT_EQ(waited.status, 0) << waited.output;
  std::printf("%s", waited.output.c_str());
  EXPECT_NE(waited.output.find(" ready "), std::string::npos) << waited.output;
  EXPECT_EQ(waited.output.find('\r'), std::string::npos) << "no terminal, no rewriting in place";
  const auto first_line = waited.output.substr(0, waited.output.find('\n'));
  ASSERT_TRUE(first_line.starts_with("session s")) << waited.output;
  tapedeck_output(fmt::format("session end {}", first_line.substr(8)));
}

// Triggers and foreign-key actions acted on the Live DB, and their effects are recorded; replay
// applies the recording and nothing else, so nothing collides or is done twice.
constexpr std::string_view kPlantSchema = R"(
CREATE TABLE public.plant (id int PRIMARY KEY, name text, updated_at timestamptz);
CREATE TABLE public.plant_audit (id bigserial PRIMARY KEY, plant int, op text,
                                 at timestamptz DEFAULT clock_timestamp());
CREATE TABLE public.unit (id int PRIMARY KEY,
                          plant int REFERENCES public.plant ON DELETE CASCADE, label text);
CREATE TABLE public.reading (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                             unit int REFERENCES public.unit ON DELETE CASCADE, value float8);
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END$$;
CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN
  INSERT INTO public.plant_audit (plant, op) VALUES (coalesce(NEW.id, OLD.id), TG_OP);
  RETURN NULL; END$$;
CREATE TRIGGER plant_touch BEFORE INSERT OR UPDATE ON public.plant
  FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE TRIGGER plant_audit AFTER INSERT OR UPDATE OR DELETE ON public.plant
  FOR EACH ROW EXECUTE FUNCTION public.audit();
)";

constexpr std::string_view kPlantChecksums = R"(
SELECT string_agg(name || ' ' || rows || ' ' || sum, E'\n' ORDER BY name) FROM (
  SELECT 'plant' AS name, count(*) AS rows,
         md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS sum FROM public.plant t
  UNION ALL SELECT 'plant_audit', count(*),
         md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM public.plant_audit t
  UNION ALL SELECT 'unit', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))
    FROM public.unit t
  UNION ALL SELECT 'reading', count(*),
         md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM public.reading t) sums)";

// Plants with units and readings, touched, deleted (cascading) and re-created.
void plant_workload(pg::Connection& live, int from, int to) {
  for (int plant = from; plant < to; ++plant) {
    live.exec(
        fmt::format("BEGIN; INSERT INTO public.plant (id, name) VALUES ({0}, 'p{0}');"
                    "INSERT INTO public.unit VALUES ({0}0, {0}, 'u'), ({0}1, {0}, 'v');"
                    "INSERT INTO public.reading (unit, value) SELECT {0}0 + g % 2, g / 7.0 "
                    "FROM generate_series(1, 5) g; COMMIT;",
                    plant));
    live.exec(fmt::format("UPDATE public.plant SET name = name || '!' WHERE id = {}", plant));
    if (plant % 3 == 0) live.exec(fmt::format("DELETE FROM public.plant WHERE id = {}", plant));
  }
}

TEST_F(PlaybackFidelityTest, TriggersCascadesAndLinkedTruncatesReplayAsRecordedAndSequencesFollow) {
  live().exec(kPlantSchema);
  start_run();
  wait_until_recording_and_serving();

  plant_workload(live(), 1, 10);
  // Exact catch-up needs a recorded commit at or before the backup (the recording-gap check).
  wait_for_the_recording();
  tapedeck_output("backup run");
  plant_workload(live(), 10, 20);
  const auto before_truncate = mark_moment(kPlantChecksums);
  // Tables linked by a foreign key truncate together, in one command and by cascade.
  live().exec("TRUNCATE public.reading, public.unit");
  plant_workload(live(), 20, 25);
  live().exec("TRUNCATE public.plant CASCADE");
  plant_workload(live(), 25, 30);
  const auto at_end = mark_moment(kPlantChecksums);
  wait_for_the_recording();

  for (const auto& [label, moment] :
       {std::pair{"before the truncates", before_truncate}, std::pair{"at the end", at_end}}) {
    SCOPED_TRACE(label);
    const auto end = session::format_time(*session::parse_time(moment.first) + 1s);
    const auto shown = ready_session(moment.first, end);
    ASSERT_EQ(shown.value("state", ""), "ready") << shown.dump();
    pg::Connection session_db(shown.at("database_dsn").get<std::string>(), "e2e-check");
    EXPECT_EQ(session_db.exec(kPlantChecksums).get<std::string>(0, 0), moment.second);
    // The session database is usable: its own inserts take keys past every replayed one.
    EXPECT_NO_THROW(
        session_db.exec("INSERT INTO public.plant (id, name) VALUES (1000, 'user'); "
                        "INSERT INTO public.unit VALUES (10000, 1000, 'user');"
                        "INSERT INTO public.reading (unit, value) VALUES (10000, 1)"));
    tapedeck_output(fmt::format("session end {}", shown.at("id").get<std::string>()));
  }

  // Played from before the truncates to the end, the replay crosses both.
  const auto shown = ready_session(before_truncate.first, at_end.first);
  ASSERT_EQ(shown.value("state", ""), "ready") << shown.dump();
  const auto played = played_session(shown.at("id"));
  ASSERT_EQ(played.at("state"), "ended") << played.dump();
  pg::Connection session_db(shown.at("database_dsn").get<std::string>(), "e2e-check");
  EXPECT_EQ(session_db.exec(kPlantChecksums).get<std::string>(0, 0), at_end.second);
}

TEST_F(PlaybackFidelityTest, ASessionCreatedWhileTransformIsStoppedWaitsThenEqualsTheLiveDatabase) {
  // transform runs as a process of its own, so it can stop while everything else goes on.
  start_run({{"TAPEDECK_RUN_COMPONENTS", "capture,timekeeper,scheduler,replaymgr,dbop,msgop"}});
  std::optional<ChildProcess> transform;
  const auto start_transform = [&] {
    transform.emplace(std::vector<std::string>{testing::tapedeck_binary(), "transform"},
                      std::map<std::string, std::string>{}, (folder_ / "transform.log").string());
  };
  start_transform();
  wait_until_recording_and_serving();

  run_workload(7, 20);
  tapedeck_output("backup run");
  run_workload(8, 20);
  wait_for_the_recording();
  transform->stop();
  transform.reset();

  // Changes the stopped transform has not stored; the timekeeper's system time moves on, so
  // the API accepts a moment after them.
  run_workload(9, 30);
  const auto moment = mark_moment();
  const auto end = session::format_time(*session::parse_time(moment.first) + 1s);
  CommandResult initialized;
  ASSERT_TRUE(eventually(
      [&] {
        initialized = run_tapedeck(
            fmt::format("session init --start {} --end {} --speed max --name lagging --json",
                        moment.first, end));
        return initialized.status == 0;
      },
      30s))
      << initialized.output;
  const std::string id = nlohmann::json::parse(initialized.output).at("id");
  nlohmann::json shown;
  ASSERT_TRUE(eventually(
      [&] {
        shown = nlohmann::json::parse(tapedeck_output(fmt::format("session show {} --json", id)));
        return shown.value("waiting_for_recording", false);
      },
      120s))
      << shown.dump();
  std::this_thread::sleep_for(3s);
  shown = nlohmann::json::parse(tapedeck_output(fmt::format("session show {} --json", id)));
  EXPECT_EQ(shown.at("state"), "catching_up") << "ready over an incomplete recording";
  EXPECT_FALSE(shown.at("recorded_until").is_null()) << shown.dump();
  EXPECT_LT(shown.at("recorded_until").get<std::string>(), moment.first) << shown.dump();

  start_transform();
  ASSERT_TRUE(eventually(
      [&] {
        shown = nlohmann::json::parse(tapedeck_output(fmt::format("session show {} --json", id)));
        return shown.at("state") != "catching_up";
      },
      180s))
      << shown.dump();
  ASSERT_EQ(shown.at("state"), "ready") << shown.dump();
  EXPECT_FALSE(shown.at("waiting_for_recording").get<bool>());
  pg::Connection session_db(shown.at("database_dsn").get<std::string>(), "e2e-check");
  EXPECT_EQ(session_db.exec(kChecksums).get<std::string>(0, 0), moment.second);
  tapedeck_output(fmt::format("session end {}", id));
}

// Every user table's columns (name and type, in order) and rows, the indexes and the
// constraints: what a session database must equal, schema changes included.
constexpr std::string_view kShapeAndRows = R"(
SELECT coalesce(string_agg(line, E'\n' ORDER BY line), '') FROM (
  SELECT format('%s.%s: %s | %s', t.table_schema, t.table_name,
           (SELECT string_agg(c.column_name || ' ' || c.data_type ||
                              coalesce('(' || c.character_maximum_length || ')', '') ||
                              coalesce('(' || c.numeric_precision || ',' || c.numeric_scale || ')', ''),
                              ', ' ORDER BY c.ordinal_position)
              FROM information_schema.columns c
             WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name),
           (xpath('/row/s/text()',
                  query_to_xml(format('SELECT md5(coalesce(string_agg(x::text, ''|'' ORDER BY '
                                      'x::text), '''')) AS s FROM %I.%I x',
                                      t.table_schema, t.table_name), false, true, '')))[1]::text)
    FROM information_schema.tables t
   WHERE t.table_schema IN ('public', 'sales', 'scratch') AND t.table_type = 'BASE TABLE'
  UNION ALL
  SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname IN ('public', 'sales', 'scratch')
  UNION ALL
  SELECT format('constraint %s %s %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
   WHERE n.nspname IN ('public', 'sales', 'scratch')
  UNION ALL
  SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname IN ('sales', 'scratch')) lines (line))";

TEST_F(PlaybackFidelityTest, SchemaChangesInTheWindowReplayAtTheirPlaceEvenWhenTransformLagged) {
  // transform runs as a process of its own, so it can stop while the Live DB changes shape.
  start_run({{"TAPEDECK_RUN_COMPONENTS", "capture,timekeeper,scheduler,replaymgr,dbop,msgop"}});
  std::optional<ChildProcess> transform;
  const auto start_transform = [&] {
    transform.emplace(std::vector<std::string>{testing::tapedeck_binary(), "transform"},
                      std::map<std::string, std::string>{}, (folder_ / "transform.log").string());
  };
  start_transform();
  wait_until_recording_and_serving();
  ASSERT_EQ(live()
                .exec("SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'tapedeck_%'")
                .get<std::int64_t>(0, 0),
            2)
      << "tapedeck run did not install its event triggers";

  live().exec(
      "CREATE TABLE public.shop (id int PRIMARY KEY, name text, qty int);"
      "INSERT INTO public.shop SELECT g, 'item ' || g, g FROM generate_series(1, 20) g");
  // Exact catch-up needs a recorded commit at or before the backup (the recording-gap check).
  wait_for_the_recording();
  tapedeck_output("backup run");
  const auto after_backup = mark_moment(kShapeAndRows);

  // Unqualified names resolve with the search path the DDL ran with.
  pg::Connection app(live_dsn(), "e2e-app");
  app.exec("SET search_path = sales, public");
  app.exec("CREATE SCHEMA sales");
  app.exec("CREATE TABLE orders (id serial PRIMARY KEY, item text, price numeric(10,2))");
  app.exec("INSERT INTO orders (item, price) VALUES ('a', 1.25), ('b', 2.50)");
  // DDL and DML in one query string: the DML is recorded on its own, so only the ALTERs may
  // be replayed from the text.
  app.exec(
      "ALTER TABLE shop ADD COLUMN note text DEFAULT 'new'; "
      "INSERT INTO shop (id, name, qty, note) VALUES (21, 'with note', 1, 'hello; world'); "
      "ALTER TABLE shop ADD COLUMN color text; UPDATE shop SET color = 'red' WHERE id <= 3");
  // A default evaluated once for the rows that exist: replay must give them the Live DB's
  // value, not the replay moment's.
  app.exec("ALTER TABLE shop ADD COLUMN stamped timestamptz DEFAULT now()");
  app.exec("ALTER TABLE shop RENAME COLUMN qty TO quantity");
  app.exec("UPDATE shop SET quantity = quantity + 100 WHERE id % 2 = 0");
  app.exec("ALTER TABLE orders ALTER COLUMN price TYPE numeric(12,3)");
  app.exec("INSERT INTO orders (item, price) VALUES ('c', 3.125)");
  app.exec("ALTER TABLE shop ADD CONSTRAINT quantity_positive CHECK (quantity >= 0)");
  app.exec("ALTER TABLE orders ADD CONSTRAINT item_unique UNIQUE (item)");
  app.exec("ALTER TABLE shop DROP CONSTRAINT quantity_positive");
  app.exec("CREATE INDEX shop_by_name ON shop (name)");
  app.exec("CREATE TABLE public.brief (a int); INSERT INTO public.brief VALUES (1)");
  app.exec("DROP TABLE public.brief");
  app.exec("CREATE SCHEMA scratch; CREATE TABLE scratch.t (a int PRIMARY KEY)");
  app.exec("INSERT INTO scratch.t VALUES (1), (2)");
  app.exec("DROP SCHEMA scratch CASCADE");
  app.exec("CREATE TEMPORARY TABLE not_recorded (a int); DROP TABLE not_recorded");
  app.exec("DELETE FROM shop WHERE id = 5");
  // A type change rewrites the rows under the session's settings, and no recording holds the
  // result: replay must run it under the same ones (New York time, dates day first as text).
  app.exec(
      "ALTER TABLE shop ADD COLUMN seen timestamp DEFAULT '2024-06-01 12:00', "
      "ADD COLUMN due date DEFAULT '2024-02-01'");
  app.exec("SET TimeZone = 'America/New_York'; SET DateStyle = 'SQL, DMY'");
  app.exec("ALTER TABLE shop ALTER COLUMN seen TYPE timestamptz, ALTER COLUMN due TYPE text");
  app.exec("RESET TimeZone; RESET DateStyle");
  const auto after_changes = mark_moment(kShapeAndRows);
  wait_for_the_recording();
  transform->stop();
  transform.reset();

  // While transform is stopped: changes to a column that is then dropped, to a table that
  // is then renamed, and to a column whose type then changes. transform renders them later,
  // against the shapes they had then, not against the Live DB's catalog of now.
  app.exec("UPDATE shop SET note = 'before the drop' WHERE id = 1");
  app.exec("INSERT INTO orders (item, price) VALUES ('d', 4.5)");
  app.exec("ALTER TABLE shop DROP COLUMN note");
  app.exec("ALTER TABLE orders RENAME TO purchases");
  app.exec("INSERT INTO purchases (item, price) VALUES ('e', 5.5)");
  app.exec("UPDATE shop SET color = 'blue' WHERE id = 2");
  app.exec("ALTER TABLE shop ALTER COLUMN color TYPE varchar(10)");
  app.exec("INSERT INTO shop (id, name, quantity, color) VALUES (22, 'last', 2, 'green')");
  const auto at_end = mark_moment(kShapeAndRows);
  start_transform();
  wait_for_the_recording();

  {
    pg::Connection store(fmt::format("{} dbname={}", server_, store_db_), "e2e-check");
    EXPECT_EQ(
        store.exec("SELECT coalesce(string_agg(reason, E'\\n'), '') FROM tapedeck.dead_letters")
            .get<std::string>(0, 0),
        "");
    EXPECT_GE(store.exec("SELECT count(*) FROM tapedeck.statements WHERE op = 'D'")
                  .get<std::int64_t>(0, 0),
              20);
  }

  // Catch-up across the changes, to a moment in the middle and at the end.
  for (const auto& [label, moment] :
       {std::pair{"after the changes", after_changes}, std::pair{"at the end", at_end}}) {
    SCOPED_TRACE(label);
    const auto end = session::format_time(*session::parse_time(moment.first) + 1s);
    const auto shown = ready_session(moment.first, end);
    ASSERT_EQ(shown.value("state", ""), "ready") << shown.dump();
    pg::Connection session_db(shown.at("database_dsn").get<std::string>(), "e2e-check");
    EXPECT_EQ(session_db.exec(kShapeAndRows).get<std::string>(0, 0), moment.second);
    tapedeck_output(fmt::format("session end {}", shown.at("id").get<std::string>()));
  }

  // Paced replay from before the first change to the end crosses every one of them.
  const auto shown = ready_session(after_backup.first, at_end.first);
  ASSERT_EQ(shown.value("state", ""), "ready") << shown.dump();
  {
    pg::Connection session_db(shown.at("database_dsn").get<std::string>(), "e2e-check");
    EXPECT_EQ(session_db.exec(kShapeAndRows).get<std::string>(0, 0), after_backup.second);
  }
  const auto played = played_session(shown.at("id"));
  ASSERT_EQ(played.at("state"), "ended") << played.dump();
  pg::Connection session_db(shown.at("database_dsn").get<std::string>(), "e2e-check");
  EXPECT_EQ(session_db.exec(kShapeAndRows).get<std::string>(0, 0), at_end.second);
}

}  // namespace
TEST_F(PlaybackFidelityTest, AColumnAddedWithAVolatileDefaultFailsASessionSpanningItByName) {
  start_run();
  wait_until_recording_and_serving();
  live().exec(
      "CREATE TABLE public.readings (id int PRIMARY KEY, v int);"
      "INSERT INTO public.readings SELECT g, g FROM generate_series(1, 10) g");
  // Exact catch-up needs a recorded commit at or before the backup (the recording-gap check).
  wait_for_the_recording();
  tapedeck_output("backup run");
  // The table is rewritten with a value per row that no recording holds.
  live().exec("ALTER TABLE public.readings ADD COLUMN noise float8 DEFAULT random()");
  const auto after = mark_moment("SELECT count(*)::text FROM public.readings");
  wait_for_the_recording();

  const auto shown = ready_session(after.first, "");
  EXPECT_EQ(shown.value("state", ""), "failed") << shown.dump();
  EXPECT_NE(shown.value("error", "")
                .find("column \"noise\" of \"public\".\"readings\" was added "
                      "with a default that is not a constant"),
            std::string::npos)
      << shown.dump();
}

}  // namespace tapedeck
