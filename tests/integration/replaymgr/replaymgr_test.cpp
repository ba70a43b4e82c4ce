// The real `tapedeck replaymgr` binary against the stack's databases: REST API, events, reaper,
// restart, and the `tapedeck session` / `tapedeck snapshots` CLI.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "core/error.hpp"
#include "core/http/client.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/consumer.hpp"
#include "core/nats/jetstream.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/dsn.hpp"
#include "core/schema/live_schema.hpp"
#include "core/schema/store_schema.hpp"
#include "core/sessions/session_events.hpp"
#include "core/sessions/session_store.hpp"
#include "core/sql_quote.hpp"
#include "replaymgr/replaymgr_service.hpp"
#include "support/free_port.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/stack_env.hpp"

namespace tapedeck::replaymgr {

using tapedeck::testing::free_port;
using tapedeck::testing::unique_suffix;
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::eventually;
using testing::stack_env;

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// `program` found on PATH (posix_spawn does not search it).
std::string on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream folders(path == nullptr ? "/usr/bin:/usr/sbin" : path);
  std::string folder;
  while (std::getline(folders, folder, ':')) {
    const auto candidate = fs::path(folder) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  ADD_FAILURE() << program << " is not on PATH";
  return program;
}

// The session events stream must be the only one capturing tapedeck.session.> on its server
// (JetStream refuses overlapping subjects), so these tests run their own nats-server instead
// of creating a second events stream on the shared one.
class PrivateNats {
 public:
  PrivateNats()
      : port_(free_port()),
        dir_(fs::temp_directory_path() / ("tapedeck-rm-nats-" + unique_suffix())) {
    fs::create_directories(dir_);
    process_.emplace(std::vector<std::string>{on_path("nats-server"), "-js", "-a", "127.0.0.1",
                                              "-p", std::to_string(port_), "-sd", dir_.string()},
                     std::map<std::string, std::string>{}, (dir_ / "nats.log").string());
  }
  ~PrivateNats() {
    process_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  PrivateNats(const PrivateNats&) = delete;
  PrivateNats& operator=(const PrivateNats&) = delete;
  std::string url() const { return fmt::format("nats://127.0.0.1:{}", port_); }

 private:
  int port_;
  fs::path dir_;
  std::optional<ChildProcess> process_;
};

struct HttpResult {
  long status = 0;
  nlohmann::json body;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class ReplaymgrTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_ = std::make_unique<http::CurlGlobal>();
    nats_server_ = std::make_unique<PrivateNats>();
  }
  static void TearDownTestSuite() {
    nats_server_.reset();
    curl_.reset();
  }

  void SetUp() override {
    suffix_ = unique_suffix();
    token_ = "token-" + suffix_;
    stream_ = "RM_EVENTS_" + suffix_;
    live_name_ = "rm_live_" + suffix_;
    admin_.emplace(stack_env("TAPEDECK_LIVE_DSN"), "replaymgr-test");
    admin_->exec("CREATE DATABASE " + sql::quote_identifier(live_name_));
    live_dsn_ = pg::with_dbname(stack_env("TAPEDECK_LIVE_DSN"), live_name_);
    live_.emplace(live_dsn_, "replaymgr-test");
    schema::migrate_live(*live_);
    // The recording reaches 12:00 (the Live DB's system time); one snapshot at 10:00.
    live_->exec(
        "INSERT INTO tapedeck.system_time (system_time, tick) VALUES "
        "('2026-02-01T12:00:00Z', 1)");
    insert_backup("2026-02-01T10:00:00Z");
    // A store of its own: replaymgr's reaper fails every stale session it sees.
    store_database_.emplace("rm_store");
    store_.emplace(store_database_->dsn(), "replaymgr-test");
    schema::migrate_store(*store_);

    nats::ConnectOptions options;
    options.url = nats_server_->url();
    ASSERT_TRUE(eventually(
        [&] {
          try {
            nats_.emplace(options);
            return true;
          } catch (const Error&) {
            return false;
          }
        },
        20s));
    jetstream_.emplace(*nats_);
    port_ = free_port();
    console_port_ = free_port();
  }

  void TearDown() override {
    replaymgr_.reset();
    if (store_) {
      for (const auto& id : session_ids_) {
        store_->exec_params("DELETE FROM tapedeck.sessions WHERE id = $1", pg::Params::of(id));
      }
    }
    if (jetstream_) jetstream_->delete_stream(stream_);
    jetstream_.reset();
    nats_.reset();
    live_.reset();
    if (admin_) {
      admin_->exec("DROP DATABASE IF EXISTS " + sql::quote_identifier(live_name_) +
                   " WITH (FORCE)");
    }
  }

  void insert_backup(const std::string& created_at) {
    live_->exec_params(
        "INSERT INTO tapedeck.backups (object_key, storage_url, size_bytes, sha256, "
        "created_at, system_time, lsn, txid_snapshot, server_version) VALUES ($1, $2, 10, "
        "repeat('a', 64), $3::timestamptz, $3::timestamptz, '0/16B3748', '100:105:101', "
        "'15.0')",
        pg::Params::of("snapshots/" + created_at + "-" + suffix_ + ".dump",
                       "file:///nowhere/" + created_at, created_at));
  }

  std::map<std::string, std::string> environment(
      const std::map<std::string, std::string>& extra = {}) const {
    std::map<std::string, std::string> env = {
        {"TAPEDECK_LIVE_DSN", live_dsn_},
        {"TAPEDECK_STORE_DSN", store_database_->dsn()},
        {"TAPEDECK_NATS_URL", nats_server_->url()},
        {"TAPEDECK_NATS_EVENTS_STREAM", stream_},
        {"TAPEDECK_REPLAYMGR_LISTEN", fmt::format("127.0.0.1:{}", port_)},
        {"TAPEDECK_REPLAYMGR_CONSOLE_LISTEN", fmt::format("127.0.0.1:{}", console_port_)},
        {"TAPEDECK_REPLAYMGR_URL", base_url()},
        {"TAPEDECK_REPLAYMGR_API_TOKEN", token_},
        {"TAPEDECK_LOG_LEVEL", "info"},
    };
    for (const auto& [name, value] : overrides_) env[name] = value;
    for (const auto& [name, value] : extra) env[name] = value;
    return env;
  }

  std::string base_url() const { return fmt::format("{}://127.0.0.1:{}", scheme_, port_); }

  // Starts replaymgr and waits until /healthz answers 200 (its store check passed).
  void start_replaymgr(const std::map<std::string, std::string>& extra = {},
                       const std::string& log_file = {}) {
    replaymgr_.emplace(std::vector<std::string>{testing::tapedeck_binary(), "replaymgr"},
                       environment(extra), log_file);
    ASSERT_TRUE(eventually(
        [&] {
          try {
            return request("GET", "/healthz", "", false).status == 200;
          } catch (const Error&) {
            return false;
          }
        },
        60s))
        << "replaymgr did not become healthy";
  }

  HttpResult request(const std::string& method, const std::string& path,
                     const std::string& body = "", bool with_token = true,
                     const std::string& token = {}) {
    http::Request request;
    request.method = method;
    request.url = base_url() + path;
    request.body = body;
    request.connect_timeout = 2s;
    request.total_timeout = 30s;
    request.ca_file = ca_file_;
    if (with_token)
      request.headers.set("Authorization", "Bearer " + (token.empty() ? token_ : token));
    const auto response = client_.send(request);
    HttpResult result;
    result.status = response.status;
    result.body = nlohmann::json::parse(response.body, nullptr, false);
    return result;
  }

  // POST /api/sessions; remembers the id for clean-up.
  HttpResult create(const std::string& start = "2026-02-01T10:30:00Z",
                    const std::string& end = "2026-02-01T11:00:00Z",
                    const std::string& name = "replaymgr-test") {
    auto result = request(
        "POST", "/api/sessions",
        nlohmann::json{{"start", start}, {"end", end}, {"speed", 2}, {"name", name}}.dump());
    if (result.status == 201) session_ids_.push_back(result.body["id"].get<std::string>());
    return result;
  }

  session::Record row(const std::string& id) { return session::Store(*store_).get(id); }

  std::int64_t rows_named(const std::string& name) {
    return store_
        ->exec_params("SELECT count(*) FROM tapedeck.sessions WHERE name = $1",
                      pg::Params::of(name))
        .get<std::int64_t>(0, 0);
  }

  // Runs `tapedeck <args>` with the test's environment; stdout and stderr apart.
  CliResult cli(const std::string& args) {
    const auto err_file = fs::temp_directory_path() / ("tapedeck-rm-cli-" + suffix_ + ".err");
    std::string command = "env";
    for (const auto& [name, value] : environment()) {
      std::string assignment = name;
      assignment += '=';
      assignment += value;
      command += ' ';
      command += shell_quote(assignment);
    }
    command += " " + shell_quote(testing::tapedeck_binary()) + " " + args + " 2>" +
               shell_quote(err_file.string());
    CliResult result;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
      ADD_FAILURE() << "cannot run " << command;
      return result;
    }
    char buffer[4096];
    std::size_t read = 0;
    while ((read = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
      result.out.append(buffer, read);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream err(err_file);
    std::stringstream text;
    text << err.rdbuf();
    result.err = text.str();
    fs::remove(err_file);
    return result;
  }

  // Every event on the test's stream for session `id`, as "<event>" names in stream order.
  std::vector<std::string> events_of(const std::string& id,
                                     std::vector<nlohmann::json>* bodies = nullptr) {
    const auto durable = "rm-test-" + unique_suffix();
    std::vector<std::string> names;
    {
      nats::PullConsumer consumer(*jetstream_, stream_, durable, session::subject(id, ">"));
      for (;;) {
        auto messages = consumer.fetch(100, 500ms);
        if (messages.empty()) break;
        for (auto& message : messages) {
          const auto parsed = session::parse_subject(message.subject());
          if (parsed) names.push_back(parsed->second);
          if (bodies != nullptr) bodies->push_back(nlohmann::json::parse(message.data()));
          message.ack();
        }
      }
    }
    nats::PullConsumer::remove(*jetstream_, stream_, durable);
    return names;
  }

  static std::unique_ptr<http::CurlGlobal> curl_;
  static std::unique_ptr<PrivateNats> nats_server_;

  std::string suffix_;
  std::string token_;
  // For the security tests: settings over environment()'s, the scheme, the CA file to trust.
  std::map<std::string, std::string> overrides_;
  std::string scheme_ = "http";
  std::string ca_file_;
  std::string stream_;
  std::string live_name_;
  std::string live_dsn_;
  int port_ = 0;
  int console_port_ = 0;
  std::optional<pg::Connection> admin_;
  std::optional<pg::Connection> live_;
  std::optional<tapedeck::testing::ScratchDatabase> store_database_;
  std::optional<pg::Connection> store_;
  std::optional<nats::Connection> nats_;
  std::optional<nats::JetStream> jetstream_;
  std::optional<ChildProcess> replaymgr_;
  http::Client client_;
  std::vector<std::string> session_ids_;
};

std::unique_ptr<http::CurlGlobal> ReplaymgrTest::curl_;
std::unique_ptr<PrivateNats> ReplaymgrTest::nats_server_;

TEST_F(ReplaymgrTest, RequiresTheBearerTokenOnTheApiButNotOnHealthOrMetrics) {
  start_replaymgr();
  EXPECT_EQ(request("GET", "/api/sessions", "", false).status, 401);
  EXPECT_EQ(request("GET", "/api/sessions", "", true, "wrong-" + token_).status, 401);
  const auto refused = request("POST", "/api/sessions", "{}", false);
  EXPECT_EQ(refused.status, 401);
  EXPECT_TRUE(refused.body.contains("error"));
  EXPECT_EQ(request("GET", "/api/sessions").status, 200);
  EXPECT_EQ(request("GET", "/healthz", "", false).status, 200);
  http::Request metrics;
  metrics.url = base_url() + "/metrics";
  const auto scraped = client_.send(metrics);
  EXPECT_EQ(scraped.status, 200);
  EXPECT_NE(scraped.body.find("tapedeck_replaymgr_api_requests_total{status=\"401\"} 3"),
            std::string::npos)
      << scraped.body;
}

TEST_F(ReplaymgrTest, CreatesShowsAndListsASession) {
  start_replaymgr();
  const auto created = create("2026-02-01T11:30:00+01:00", "2026-02-01T11:00:00Z");
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const auto id = created.body["id"].get<std::string>();
  EXPECT_TRUE(session::valid_session_id(id));
  EXPECT_EQ(created.body["state"], "initializing");
  EXPECT_EQ(created.body["start"], "2026-02-01T10:30:00.000000Z");
  EXPECT_EQ(created.body["speed"], "2");
  EXPECT_EQ(created.body["database_dsn"],
            pg::with_dbname_without_secrets(stack_env("TAPEDECK_PLAYBACK_DSN"), "playback_" + id));
  EXPECT_FALSE(created.body.contains("warning")) << created.body.dump();
  EXPECT_EQ(row(id).state, session::State::initializing);

  const auto shown = request("GET", "/api/sessions/" + id);
  EXPECT_EQ(shown.status, 200);
  EXPECT_EQ(shown.body["id"], id);
  EXPECT_EQ(shown.body["end"], "2026-02-01T11:00:00.000000Z");

  const auto listed = request("GET", "/api/sessions");
  ASSERT_EQ(listed.status, 200);
  ASSERT_TRUE(listed.body.is_array());
  EXPECT_TRUE(std::any_of(listed.body.begin(), listed.body.end(),
                          [&](const nlohmann::json& each) { return each["id"] == id; }));

  EXPECT_EQ(request("GET", "/api/sessions/s000000000000").status, 404);
  EXPECT_EQ(request("GET", "/api/sessions/not-an-id").status, 404);
  EXPECT_EQ(request("POST", "/api/sessions/s000000000000/start").status, 404);
  EXPECT_EQ(request("GET", "/api/nothing-here").status, 404);
}

TEST_F(ReplaymgrTest, RefusesIllegalTransitionsWith409AndLeavesTheRowUnchanged) {
  start_replaymgr();
  const auto created = create();
  ASSERT_EQ(created.status, 201);
  const auto id = created.body["id"].get<std::string>();
  const auto before = row(id);
  for (const char* command : {"start", "pause", "resume"}) {
    const auto refused = request("POST", fmt::format("/api/sessions/{}/{}", id, command));
    EXPECT_EQ(refused.status, 409) << command;
    EXPECT_NE(refused.body["error"].get<std::string>().find("is initializing"), std::string::npos)
        << refused.body.dump();
  }
  const auto after = row(id);
  EXPECT_EQ(after.state, session::State::initializing);
  EXPECT_EQ(after.updated_at, before.updated_at);

  EXPECT_EQ(request("POST", fmt::format("/api/sessions/{}/end", id)).status, 200);
  EXPECT_EQ(row(id).state, session::State::ended);
  EXPECT_EQ(request("POST", fmt::format("/api/sessions/{}/end", id)).status, 409);
  EXPECT_EQ(request("POST", fmt::format("/api/sessions/{}/resume", id)).status, 409);
  EXPECT_EQ(row(id).state, session::State::ended);
}

TEST_F(ReplaymgrTest, RefusesMalformedRequestsWith400AndWritesNothing) {
  start_replaymgr();
  const auto name = "malformed-" + suffix_;
  for (const std::string& body :
       {std::string("{\"start\": "), std::string("[]"),
        nlohmann::json{{"end", "2026-02-01T10:30:00Z"}, {"name", name}}.dump(),
        nlohmann::json{{"start", "noon"}, {"end", "2026-02-01T11:00:00Z"}, {"name", name}}.dump(),
        nlohmann::json{{"start", "2026-02-01T10:30:00Z"},
                       {"end", "2026-02-01T11:00:00Z"},
                       {"speed", 0},
                       {"name", name}}
            .dump(),
        nlohmann::json{
            {"start", "2026-02-01T10:30:00Z"}, {"end", "2026-02-01T10:29:00Z"}, {"name", name}}
            .dump()}) {
    const auto refused = request("POST", "/api/sessions", body);
    EXPECT_EQ(refused.status, 400) << body;
    EXPECT_TRUE(refused.body.is_object() && refused.body["error"].is_string()) << body;
  }
  EXPECT_EQ(rows_named(name), 0);
}

TEST_F(ReplaymgrTest, CreatesAPointInTimeSessionWithoutAnEndOrWithTheEndAtTheStart) {
  start_replaymgr();
  for (const auto& body :
       {nlohmann::json{{"start", "2026-02-01T10:30:00Z"}},
        nlohmann::json{{"start", "2026-02-01T10:30:00Z"}, {"end", "2026-02-01T10:30:00Z"}}}) {
    const auto created = request("POST", "/api/sessions", body.dump());
    ASSERT_EQ(created.status, 201) << created.body.dump();
    const auto id = created.body["id"].get<std::string>();
    session_ids_.push_back(id);
    EXPECT_TRUE(created.body["end"].is_null()) << created.body.dump();
    EXPECT_FALSE(row(id).end);
    EXPECT_TRUE(created.body.contains("progress")) << created.body.dump();
    EXPECT_EQ(request("GET", "/api/sessions/" + id).body["end"], nullptr);
  }
}

// Brings a created session to ready as dbop and msgop would.
void make_ready(session::Store& store, const std::string& id) {
  store.transition(id, session::Transition::restore_begin, session::TransitionDetails::by("t"));
  store.transition(id, session::Transition::restore_ok,
                   session::TransitionDetails::restored({1, "0/16B3748", "100:105:101"}));
  store.transition(id, session::Transition::catch_up_done);
}

TEST_F(ReplaymgrTest, SeeksAReadySessionAndRefusesWhatCannotBeSought) {
  start_replaymgr();
  const auto created = create();
  ASSERT_EQ(created.status, 201);
  const auto id = created.body["id"].get<std::string>();
  const auto seek = [&](const std::string& body) {
    return request("POST", fmt::format("/api/sessions/{}/seek", id), body);
  };
  // Not yet ready: 409, the row untouched.
  EXPECT_EQ(seek(R"({"to": "2026-02-01T10:45:00Z"})").status, 409);
  session::Store store(*store_);
  make_ready(store, id);
  const auto before = row(id);
  for (const char* body : {"", "{}", R"({"to": "later"})", R"({"to": "2026-02-01T10:45:00Z",
                           "x": 1})"}) {
    EXPECT_EQ(seek(body).status, 400) << body;
  }
  const auto beyond = seek(R"({"to": "2026-02-01T12:30:00Z"})");
  EXPECT_EQ(beyond.status, 422);
  EXPECT_NE(beyond.body["error"].get<std::string>().find("2026-02-01T12:00:00.000000Z"),
            std::string::npos)
      << beyond.body.dump();
  const auto early = seek(R"({"to": "2026-02-01T09:00:00Z"})");
  EXPECT_EQ(early.status, 422);
  EXPECT_NE(early.body["error"].get<std::string>().find("no snapshot at or before"),
            std::string::npos)
      << early.body.dump();
  const auto after_end = seek(R"({"to": "2026-02-01T11:30:00Z"})");
  EXPECT_EQ(after_end.status, 422);
  EXPECT_NE(after_end.body["error"].get<std::string>().find("session's end"), std::string::npos);
  EXPECT_EQ(row(id).updated_at, before.updated_at);

  const auto sought = seek(R"({"to": "2026-02-01T10:10:00Z"})");
  ASSERT_EQ(sought.status, 200) << sought.body.dump();
  EXPECT_EQ(sought.body["state"], "seeking");
  EXPECT_EQ(sought.body["seek_to"], "2026-02-01T10:10:00.000000Z");
  const auto seeking = row(id);
  ASSERT_TRUE(seeking.seek);
  EXPECT_EQ(seeking.seek->resume_state, session::State::ready);
  // While seeking, nothing else of the transport applies.
  EXPECT_EQ(seek(R"({"to": "2026-02-01T10:20:00Z"})").status, 409);
  EXPECT_EQ(request("POST", fmt::format("/api/sessions/{}/speed", id), R"({"speed": 2})").status,
            409);
  EXPECT_EQ(request("POST", fmt::format("/api/sessions/{}/start", id)).status, 409);
  // msgop at the target: back to ready.
  EXPECT_EQ(store.finish_seek(id, "t").state, session::State::ready);
  const auto events = events_of(id);
  EXPECT_NE(std::find(events.begin(), events.end(), "seek"), events.end());
}

TEST_F(ReplaymgrTest, ChangesTheSpeedByTheOneRuleAndStepsOnlyAPausedSession) {
  start_replaymgr();
  const auto created = create();
  ASSERT_EQ(created.status, 201);
  const auto id = created.body["id"].get<std::string>();
  const auto speed = [&](const std::string& body) {
    return request("POST", fmt::format("/api/sessions/{}/speed", id), body);
  };
  const auto step = [&](const std::string& body) {
    return request("POST", fmt::format("/api/sessions/{}/step", id), body);
  };
  EXPECT_EQ(speed(R"({"speed": 2})").status, 409);  // initializing
  session::Store store(*store_);
  make_ready(store, id);
  for (const char* body : {"{}", R"({"speed": 0})", R"({"speed": "fast"})", R"({"speed": 1e9})",
                           R"({"speed": 0.0000001})"}) {
    EXPECT_EQ(speed(body).status, 400) << body;
  }
  for (const auto& [body, text] :
       {std::pair{R"({"speed": 4})", "4"}, std::pair{R"({"speed": "0.5"})", "0.5"},
        std::pair{R"({"speed": "MAX"})", "max"}}) {
    const auto changed = speed(body);
    EXPECT_EQ(changed.status, 200) << changed.body.dump();
    EXPECT_EQ(changed.body["speed"], text);
    EXPECT_EQ(row(id).speed.str(), text);
  }
  EXPECT_EQ(step("").status, 409);  // ready, not paused
  ASSERT_EQ(request("POST", fmt::format("/api/sessions/{}/start", id)).status, 200);
  ASSERT_EQ(request("POST", fmt::format("/api/sessions/{}/pause", id)).status, 200);
  EXPECT_EQ(step(R"({"count": 0})").status, 400);
  EXPECT_EQ(step(R"({"count": "2"})").status, 400);
  // No msgop here: the answer comes after its wait, with the steps still pending.
  const auto stepped = step(R"({"count": 3})");
  EXPECT_EQ(stepped.status, 200) << stepped.body.dump();
  EXPECT_EQ(stepped.body["steps_pending"], 3);
  EXPECT_EQ(stepped.body["state"], "paused");
  const auto events = events_of(id);
  EXPECT_NE(std::find(events.begin(), events.end(), "speed"), events.end());
  EXPECT_NE(std::find(events.begin(), events.end(), "step"), events.end());
}

TEST_F(ReplaymgrTest, RefusesAStartWithNoSnapshotBeforeItWith422) {
  start_replaymgr();
  const auto name = "early-" + suffix_;
  const auto refused = create("2026-02-01T09:59:59Z", "2026-02-01T11:00:00Z", name);
  EXPECT_EQ(refused.status, 422);
  EXPECT_NE(refused.body["error"].get<std::string>().find("no snapshot at or before"),
            std::string::npos)
      << refused.body.dump();
  EXPECT_EQ(rows_named(name), 0);
  // A snapshot exactly at the start is enough.
  EXPECT_EQ(create("2026-02-01T10:00:00Z", "2026-02-01T11:00:00Z").status, 201);
}

TEST_F(ReplaymgrTest, RefusesARangeBeyondTheRecordingWith422) {
  start_replaymgr();
  const auto name = "late-" + suffix_;
  const auto refused = create("2026-02-01T10:30:00Z", "2999-01-01T00:00:00Z", name);
  EXPECT_EQ(refused.status, 422);
  EXPECT_NE(refused.body["error"].get<std::string>().find("beyond what was recorded"),
            std::string::npos)
      << refused.body.dump();
  EXPECT_EQ(rows_named(name), 0);
}

TEST_F(ReplaymgrTest, RefusesASecondSessionOnAFixedDatabaseWith409) {
  start_replaymgr({{"TAPEDECK_PLAYBACK_DATABASE_TEMPLATE", "rm_fixed_" + suffix_}});
  const auto first = create();
  ASSERT_EQ(first.status, 201) << first.body.dump();
  EXPECT_EQ(first.body["database_name"], "rm_fixed_" + suffix_);
  const auto second = create();
  EXPECT_EQ(second.status, 409) << second.body.dump();
  EXPECT_EQ(
      request("POST", fmt::format("/api/sessions/{}/end", first.body["id"].get<std::string>()))
          .status,
      200);
  EXPECT_EQ(create().status, 201);
}

TEST_F(ReplaymgrTest, LosesNothingWhenRestarted) {
  start_replaymgr();
  const auto created = create();
  ASSERT_EQ(created.status, 201);
  const auto id = created.body["id"].get<std::string>();
  replaymgr_->kill_now();
  start_replaymgr();
  const auto shown = request("GET", "/api/sessions/" + id);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.body["state"], "initializing");
  EXPECT_EQ(shown.body["start"], created.body["start"]);
  EXPECT_EQ(shown.body["created_at"], created.body["created_at"]);
  EXPECT_EQ(request("POST", "/api/sessions/" + id + "/end").status, 200);
}

TEST_F(ReplaymgrTest, PublishesEachCommandAsAnEventAfterTheRowChanged) {
  start_replaymgr();
  const auto created = create();
  ASSERT_EQ(created.status, 201);
  const auto id = created.body["id"].get<std::string>();
  // What dbop and msgop would do, straight on the row.
  session::Store sessions(*store_);
  sessions.transition(id, session::Transition::restore_begin,
                      session::TransitionDetails::by("rm-test"));
  sessions.transition(id, session::Transition::restore_ok,
                      session::TransitionDetails::restored({1, "0/16B3748", "100:105:101"}));
  sessions.transition(id, session::Transition::catch_up_done);
  for (const char* command : {"start", "pause", "resume", "end"}) {
    const auto done = request("POST", fmt::format("/api/sessions/{}/{}", id, command));
    EXPECT_EQ(done.status, 200) << command << ": " << done.body.dump();
    EXPECT_FALSE(done.body.contains("warning")) << done.body.dump();
  }
  EXPECT_EQ(row(id).state, session::State::ended);
  std::vector<nlohmann::json> bodies;
  const auto names = events_of(id, &bodies);
  EXPECT_EQ(names, (std::vector<std::string>{"init", "start", "pause", "resume", "end"}));
  ASSERT_FALSE(bodies.empty());
  EXPECT_EQ(bodies.front().dump().find(id) != std::string::npos, true) << bodies.front().dump();
  EXPECT_NE(bodies.front().dump().find("playback_" + id), std::string::npos)
      << bodies.front().dump();
}

TEST_F(ReplaymgrTest, ServesASessionsStoredEventsNewestLastWithTimeKindAndPayload) {
  start_replaymgr();
  const auto created = create();
  ASSERT_EQ(created.status, 201);
  const auto id = created.body["id"].get<std::string>();
  session::Store sessions(*store_);
  make_ready(sessions, id);
  for (const char* command : {"start", "pause", "resume"}) {
    ASSERT_EQ(request("POST", fmt::format("/api/sessions/{}/{}", id, command)).status, 200);
  }
  ASSERT_EQ(request("POST", fmt::format("/api/sessions/{}/speed", id), R"({"speed": 2})").status,
            200);
  const auto kinds_of = [](const nlohmann::json& answer) {
    std::vector<std::string> kinds;
    for (const auto& event : answer.at("events")) kinds.push_back(event.at("kind"));
    return kinds;
  };
  const auto all = request("GET", fmt::format("/api/sessions/{}/events", id));
  ASSERT_EQ(all.status, 200) << all.body.dump();
  EXPECT_EQ(all.body["session_id"], id);
  EXPECT_EQ(kinds_of(all.body),
            (std::vector<std::string>{"init", "start", "pause", "resume", "speed"}));
  std::uint64_t sequence = 0;
  for (const auto& event : all.body["events"]) {
    EXPECT_TRUE(session::parse_time(event.at("time").get<std::string>())) << event.dump();
    EXPECT_GT(event.at("sequence").get<std::uint64_t>(), sequence);
    sequence = event.at("sequence").get<std::uint64_t>();
    EXPECT_FALSE(event.at("payload").contains("session_id")) << event.dump();
  }
  EXPECT_EQ(all.body["events"].back()["payload"]["speed"], "2");
  EXPECT_EQ(all.body["events"][2]["payload"]["state"], "paused");

  const auto last_two = request("GET", fmt::format("/api/sessions/{}/events?limit=2", id));
  ASSERT_EQ(last_two.status, 200);
  EXPECT_EQ(kinds_of(last_two.body), (std::vector<std::string>{"resume", "speed"}));
  for (const char* limit : {"0", "abc", "1001", "-1"}) {
    const auto refused = request("GET", fmt::format("/api/sessions/{}/events?limit={}", id, limit));
    EXPECT_EQ(refused.status, 400) << limit;
    EXPECT_NE(refused.body.dump().find("limit"), std::string::npos) << refused.body.dump();
  }
  EXPECT_EQ(request("GET", "/api/sessions/s-nosuchsession/events").status, 404);

  // Progress events (dbop and msgop send one a second or so) would push the commands out of a
  // long session's newest events; progress=false leaves them out.
  for (int i = 0; i < 3; ++i) {
    session::publish_event(*jetstream_, id, "progress", {{"state", "playing"}});
  }
  const auto newest = request("GET", fmt::format("/api/sessions/{}/events?limit=2", id));
  EXPECT_EQ(kinds_of(newest.body), (std::vector<std::string>{"progress", "progress"}));
  const auto commands =
      request("GET", fmt::format("/api/sessions/{}/events?limit=2&progress=false", id));
  ASSERT_EQ(commands.status, 200) << commands.body.dump();
  EXPECT_EQ(kinds_of(commands.body), (std::vector<std::string>{"resume", "speed"}));

  const auto printed = cli("session events " + id + " --limit 3 --no-progress");
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_EQ(printed.out.find("start"), std::string::npos) << printed.out;
  const auto pause = printed.out.find("pause");
  const auto speed = printed.out.find("speed");
  ASSERT_NE(pause, std::string::npos) << printed.out;
  ASSERT_NE(speed, std::string::npos) << printed.out;
  EXPECT_LT(pause, speed) << printed.out;
}

TEST_F(ReplaymgrTest, KeepsTheRowAndWarnsWhenTheEventCannotBePublished) {
  // No NATS server listens here: the row is the truth, the response says the event is missing.
  start_replaymgr({{"TAPEDECK_NATS_URL", fmt::format("nats://127.0.0.1:{}", free_port())}});
  const auto created = create();
  ASSERT_EQ(created.status, 201) << created.body.dump();
  ASSERT_TRUE(created.body.contains("warning")) << created.body.dump();
  EXPECT_NE(created.body["warning"].get<std::string>().find("'init' event could not be published"),
            std::string::npos)
      << created.body.dump();
  EXPECT_EQ(row(created.body["id"].get<std::string>()).state, session::State::initializing);
}

TEST_F(ReplaymgrTest, FailsASessionWhoseWorkerStoppedReporting) {
  start_replaymgr();
  const auto created = create();
  ASSERT_EQ(created.status, 201);
  const auto id = created.body["id"].get<std::string>();
  session::Store(*store_).transition(id, session::Transition::restore_begin,
                                     session::TransitionDetails::by("rm-test-dead-worker"));
  // The worker's last heartbeat an hour ago: it died (replaymgr.worker_timeout is 10 s).
  store_->exec_params(
      "UPDATE tapedeck.sessions SET heartbeat_at = now() - interval '1 hour' WHERE id = $1",
      pg::Params::of(id));
  ASSERT_TRUE(eventually([&] { return row(id).state == session::State::failed; }, 60s));
  EXPECT_NE(row(id).error.find("rm-test-dead-worker stopped reporting"), std::string::npos)
      << row(id).error;
  std::vector<nlohmann::json> bodies;
  ASSERT_TRUE(eventually(
      [&] {
        bodies.clear();
        const auto names = events_of(id, &bodies);
        return !names.empty() && names.back() == "failed";
      },
      30s));
  EXPECT_NE(bodies.back().dump().find("stopped reporting"), std::string::npos)
      << bodies.back().dump();
  EXPECT_EQ(request("GET", "/api/sessions/" + id).body["state"], "failed");
}

TEST_F(ReplaymgrTest, ASessionWaitingForARestoreShowsItsPlaceInTheQueue) {
  start_replaymgr();
  const auto first = create();
  const auto second = create();
  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(second.status, 201);
  const auto first_id = first.body["id"].get<std::string>();
  const auto second_id = second.body["id"].get<std::string>();
  EXPECT_EQ(second.body["queue"]["position"], 2) << second.body.dump();
  session::Store(*store_).transition(first_id, session::Transition::restore_begin,
                                     session::TransitionDetails::by("rm-test-dbop"));
  const auto shown = request("GET", "/api/sessions/" + second_id);
  EXPECT_EQ(shown.body["queue"], (nlohmann::json{{"position", 1}, {"restoring", 1}}))
      << shown.body.dump();
  const auto listed = request("GET", "/api/sessions");
  for (const auto& session : listed.body) {
    if (session["id"] == first_id) {
      EXPECT_TRUE(session["queue"].is_null()) << session.dump();
    }
    if (session["id"] == second_id) {
      EXPECT_EQ(session["queue"]["position"], 1) << session.dump();
    }
  }
}

TEST_F(ReplaymgrTest, EndsASessionIdleLongerThanTheExpiryAndPublishesItsEnd) {
  start_replaymgr({{"TAPEDECK_REPLAYMGR_IDLE_EXPIRY", "1h"}});
  const auto idle = create();
  const auto busy = create();
  ASSERT_EQ(idle.status, 201);
  ASSERT_EQ(busy.status, 201);
  const auto idle_id = idle.body["id"].get<std::string>();
  const auto busy_id = busy.body["id"].get<std::string>();
  store_->exec_params(
      "UPDATE tapedeck.sessions SET state = 'paused', updated_at = now() - interval '2 hours' "
      "WHERE id = $1",
      pg::Params::of(idle_id));
  store_->exec_params("UPDATE tapedeck.sessions SET state = 'paused' WHERE id = $1",
                      pg::Params::of(busy_id));
  ASSERT_TRUE(eventually([&] { return row(idle_id).state == session::State::ended; }, 30s));
  EXPECT_NE(row(idle_id).error.find("ended by replaymgr.idle_expiry"), std::string::npos)
      << row(idle_id).error;
  std::vector<nlohmann::json> bodies;
  ASSERT_TRUE(eventually(
      [&] {
        bodies.clear();
        const auto names = events_of(idle_id, &bodies);
        return !names.empty() && names.back() == "end";
      },
      30s));
  EXPECT_NE(bodies.back().dump().find("idle_expiry"), std::string::npos) << bodies.back().dump();
  EXPECT_EQ(row(busy_id).state, session::State::paused);
}

TEST_F(ReplaymgrTest, DropsTheDatabaseOfASessionEndedAfterItFailedButKeepsItUntilThen) {
  start_replaymgr({{"TAPEDECK_REPLAYMGR_DROP_GRACE", "1s"}});
  const auto created = create();
  ASSERT_EQ(created.status, 201);
  const auto id = created.body["id"].get<std::string>();
  const auto database = row(id).database_name;
  pg::Connection playback(stack_env("TAPEDECK_PLAYBACK_DSN"), "replaymgr-test");
  playback.exec("CREATE DATABASE " + sql::quote_identifier(database));
  const auto exists = [&] {
    return playback
               .exec_params("SELECT count(*) FROM pg_database WHERE datname = $1",
                            pg::Params::of(database))
               .get<std::int64_t>(0, 0) == 1;
  };
  session::Store(*store_).transition(
      id, session::Transition::fail,
      session::TransitionDetails::failure("rm-test: restore failed"));
  // Failed: the database stays for inspection, several sweeps long.
  std::this_thread::sleep_for(3s);
  EXPECT_TRUE(exists());

  ASSERT_EQ(request("POST", "/api/sessions/" + id + "/end").status, 200);
  EXPECT_TRUE(eventually([&] { return !exists(); }, 30s));
  playback.exec("DROP DATABASE IF EXISTS " + sql::quote_identifier(database));
}

TEST_F(ReplaymgrTest, ListsTheSnapshotsOldestFirst) {
  insert_backup("2026-02-01T08:00:00Z");
  start_replaymgr();
  const auto snapshots = request("GET", "/api/snapshots");
  ASSERT_EQ(snapshots.status, 200);
  ASSERT_EQ(snapshots.body.size(), 2U) << snapshots.body.dump();
  EXPECT_LT(snapshots.body[0]["created_at"].get<std::string>(),
            snapshots.body[1]["created_at"].get<std::string>());
  EXPECT_EQ(snapshots.body[0]["lsn"], "0/16B3748");
}

TEST_F(ReplaymgrTest, ShowsHowFarTheStoredRecordingTrailsTheLiveDatabase) {
  start_replaymgr();
  // Nothing proven stored yet: no watermark.
  auto shown = request("GET", "/api/recording");
  ASSERT_EQ(shown.status, 200) << shown.body.dump();
  EXPECT_TRUE(shown.body["recorded_until"].is_null()) << shown.body.dump();
  EXPECT_EQ(shown.body["live_system_time"], "2026-02-01T12:00:00.000000Z");
  EXPECT_TRUE(shown.body["lag_seconds"].is_null());

  // transform stored everything up to a statement committed at 11:59:30 and moved the
  // watermark past it; a later statement above the watermark does not count.
  store_->exec(
      "INSERT INTO tapedeck.statements (event_id, commit_lsn, position, xid, commit_time, "
      "schema_name, table_name, op, sql) VALUES "
      "('a', '0/100', 0, '10', '2026-02-01T11:59:30Z', 'public', 't', 'c', 'SELECT 1'), "
      "('b', '0/300', 0, '11', '2026-02-01T11:59:50Z', 'public', 't', 'c', 'SELECT 1')");
  store_->exec("INSERT INTO tapedeck.watermarks (name, lsn) VALUES ('TAPEDECK_CDC', '0/200')");
  shown = request("GET", "/api/recording");
  EXPECT_EQ(shown.body["recorded_until"], "2026-02-01T11:59:30.000000Z") << shown.body.dump();
  EXPECT_DOUBLE_EQ(shown.body["lag_seconds"].get<double>(), 30.0);
  EXPECT_EQ(shown.body["held_transactions"], nlohmann::json::array());
  // transform found the transaction at 0/300 stored with an event missing.
  store_->exec(
      "INSERT INTO tapedeck.watermark_holds (name, commit_lsn, missing) "
      "VALUES ('TAPEDECK_CDC', '0/300', '{[2,3)}')");
  shown = request("GET", "/api/recording");
  EXPECT_EQ(shown.body["held_transactions"], nlohmann::json::array({"0/300"})) << shown.body.dump();

  http::Request metrics;
  metrics.url = base_url() + "/metrics";
  ASSERT_TRUE(eventually(
      [&] {
        const std::string body = client_.send(metrics).body;
        return body.find("tapedeck_recording_lag_seconds 30") != std::string::npos &&
               body.find("tapedeck_recording_held_transactions 1") != std::string::npos;
      },
      10s))
      << client_.send(metrics).body;
}

TEST_F(ReplaymgrTest, TimelineCountsTheRecordingPerIntervalWithTheBackupsAndWhereItEnds) {
  start_replaymgr();
  store_->exec(
      "INSERT INTO tapedeck.statements (event_id, commit_lsn, position, xid, commit_time, "
      "schema_name, table_name, op, sql) VALUES "
      "('a', '0/100', 0, '10', '2026-02-01T10:05:00Z', 'public', 't', 'c', 'SELECT 1'), "
      "('b', '0/100', 1, '10', '2026-02-01T10:05:00Z', 'public', 't', 'c', 'SELECT 1'), "
      "('c', '0/300', 0, '11', '2026-02-01T10:50:00Z', 'public', 't', 'c', 'SELECT 1')");
  store_->exec(
      "INSERT INTO tapedeck.rtus_calls (call_id, called_at, method, path, headers, body) VALUES "
      "('call-1', '2026-02-01T10:20:00Z', 'POST', '/tick', '{}', '')");
  store_->exec(
      "INSERT INTO tapedeck.dead_letters (stream, stream_sequence, subject, raw, reason, "
      "received_at) VALUES ('S', 1, 'x.y', 'raw', 'bad', '2026-02-01T10:40:00Z')");

  auto shown =
      request("GET", "/api/timeline?from=2026-02-01T10:00:00Z&to=2026-02-01T11:00:00Z&buckets=4");
  ASSERT_EQ(shown.status, 200) << shown.body.dump();
  EXPECT_EQ(shown.body["statements"], nlohmann::json({2, 0, 0, 1})) << shown.body.dump();
  EXPECT_EQ(shown.body["rtus_calls"], nlohmann::json({0, 1, 0, 0}));
  EXPECT_EQ(shown.body["dead_letters"], nlohmann::json({0, 0, 1, 0}));
  EXPECT_DOUBLE_EQ(shown.body["bucket_seconds"].get<double>(), 900.0);
  ASSERT_EQ(shown.body["backups"].size(), 1u);
  EXPECT_EQ(shown.body["backups"][0]["at"], "2026-02-01T10:00:00.000000Z");
  // The Live DB's system time (12:00) is newer than any statement: the recording ends there.
  EXPECT_EQ(shown.body["recording"]["end"], "2026-02-01T12:00:00.000000Z");
  EXPECT_EQ(shown.body["recording"]["oldest"], "2026-02-01T10:05:00.000000Z");

  // Without bounds: from the first backup (older than the first statement) to the end.
  shown = request("GET", "/api/timeline");
  ASSERT_EQ(shown.status, 200) << shown.body.dump();
  EXPECT_EQ(shown.body["from"], "2026-02-01T10:00:00.000000Z");
  EXPECT_EQ(shown.body["to"], "2026-02-01T12:00:00.000000Z");
  EXPECT_EQ(shown.body["statements"].size(), 120u);

  EXPECT_EQ(request("GET", "/api/timeline?buckets=0").status, 400);
  EXPECT_EQ(request("GET", "/api/timeline?from=yesterday").status, 400);
  EXPECT_EQ(request("GET", "/api/timeline", "", false).status, 401);
}

TEST_F(ReplaymgrTest, ServesTheConsolePageOnItsOwnPortAndTheApiThereBehindTheSameToken) {
  start_replaymgr();
  const auto get = [&](const std::string& path, const std::string& token) {
    http::Request request;
    request.url = fmt::format("http://127.0.0.1:{}{}", console_port_, path);
    request.connect_timeout = 2s;
    if (!token.empty()) request.headers.set("Authorization", "Bearer " + token);
    return client_.send(request);
  };
  const auto page = get("/", "");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<html"), std::string::npos) << page.body;
  EXPECT_EQ(get("/console.js", "").status, 200);
  EXPECT_EQ(get("/no-such-file.js", "").status, 404);
  EXPECT_EQ(get("/api/sessions", "").status, 401);
  EXPECT_EQ(get("/api/sessions", "wrong-" + token_).status, 401);
  EXPECT_EQ(get("/api/sessions", token_).status, 200);
  EXPECT_EQ(get("/api/timeline", token_).status, 200);
}

TEST_F(ReplaymgrTest, SessionCliPrintsJsonAndExitsWith1WhenRefused) {
  start_replaymgr();
  const auto init =
      cli("session init --start 2026-02-01T10:30:00Z --end 2026-02-01T10:45:00Z "
          "--speed 0.25 --name cli-test --json");
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  const auto created = nlohmann::json::parse(init.out, nullptr, false);
  ASSERT_TRUE(created.is_object()) << init.out;
  const auto id = created["id"].get<std::string>();
  session_ids_.push_back(id);
  for (const char* field : {"id", "state", "start", "end", "speed", "playback_time",
                            "statements_applied", "rtus_calls_sent", "error", "database_dsn"}) {
    EXPECT_TRUE(created.contains(field)) << field;
  }
  EXPECT_EQ(created["speed"], "0.25");
  EXPECT_EQ(created["state"], "initializing");

  const auto show = cli("session show " + id + " --json");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(nlohmann::json::parse(show.out)["id"], id);

  const auto human = cli("session show " + id);
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("initializing"), std::string::npos) << human.out;

  const auto refused = cli("session pause " + id);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("is initializing"), std::string::npos) << refused.err;

  const auto bad = cli("session init --start 2026-02-01T10:30:00Z --end 2026-02-01T10:00:00Z");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("is before start"), std::string::npos) << bad.err;

  // The transport commands: refused by the server (409), or by the one speed rule before
  // anything is sent.
  const auto seek = cli("session seek " + id + " 2026-02-01T10:40:00Z");
  EXPECT_EQ(seek.exit_code, 1);
  EXPECT_NE(seek.err.find("is initializing"), std::string::npos) << seek.err;
  const auto step = cli("session step " + id + " 2");
  EXPECT_EQ(step.exit_code, 1);
  EXPECT_NE(step.err.find("'step' is allowed only when it is {paused}"), std::string::npos)
      << step.err;
  const auto fast = cli("session speed " + id + " fast");
  EXPECT_EQ(fast.exit_code, 1);
  EXPECT_NE(fast.err.find("speed 'fast'"), std::string::npos) << fast.err;

  const auto list = cli("session list --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const auto sessions = nlohmann::json::parse(list.out);
  EXPECT_TRUE(std::any_of(sessions.begin(), sessions.end(),
                          [&](const nlohmann::json& each) { return each["id"] == id; }));

  const auto snapshots = cli("snapshots --json");
  ASSERT_EQ(snapshots.exit_code, 0) << snapshots.err;
  EXPECT_EQ(nlohmann::json::parse(snapshots.out).size(), 1U) << snapshots.out;

  EXPECT_EQ(cli("session end " + id).exit_code, 0);
  const auto watch = cli("session watch " + id);
  EXPECT_EQ(watch.exit_code, 0) << watch.err;
  EXPECT_NE(watch.out.find("session " + id + " ended"), std::string::npos) << watch.out;
}

// A scratch folder for token files and certificates, removed with the test.
class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& name)
      : path_(fs::temp_directory_path() / ("tapedeck-rm-" + name + "-" + unique_suffix())) {
    fs::create_directories(path_);
  }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::perms permissions_of(const fs::path& path) {
  return fs::status(path).permissions() & fs::perms::all;
}

TEST_F(ReplaymgrTest, WithoutATokenOrOpenItWritesATokenFileOnlyItsOwnerMayReadAndTheCliUsesIt) {
  const ScratchFolder folder("token");
  const fs::path file = folder.path() / "tapedeck" / "api-token";
  overrides_ = {{"TAPEDECK_REPLAYMGR_API_TOKEN", ""},
                {"TAPEDECK_REPLAYMGR_TOKEN_FILE", file.string()}};
  const fs::path log = folder.path() / "replaymgr.log";
  start_replaymgr({}, log.string());

  ASSERT_TRUE(fs::exists(file));
  EXPECT_EQ(permissions_of(file), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(permissions_of(file.parent_path()), fs::perms::owner_all);
  std::string written = read_text(file);
  while (!written.empty() && written.back() == '\n') written.pop_back();
  EXPECT_EQ(written.size(), 64u) << "32 random bytes as hex";

  EXPECT_EQ(request("GET", "/api/sessions", "", false).status, 401);
  EXPECT_EQ(request("GET", "/api/sessions", "", true, token_).status, 401);
  token_ = written;
  EXPECT_EQ(request("GET", "/api/sessions").status, 200);
  const auto listed = cli("session list --json");
  EXPECT_EQ(listed.exit_code, 0) << listed.err;

  // The log says where the token is, never the token.
  const std::string logged = read_text(log);
  EXPECT_NE(logged.find(file.string()), std::string::npos) << logged;
  EXPECT_EQ(logged.find(written), std::string::npos) << logged;

  // A restart keeps the token.
  replaymgr_.reset();
  start_replaymgr();
  EXPECT_EQ(request("GET", "/api/sessions").status, 200);
}

TEST_F(ReplaymgrTest, ATokenFileOthersMayReadIsRefusedNamingTheChmod) {
  const ScratchFolder folder("token");
  const fs::path file = folder.path() / "api-token";
  std::ofstream(file) << "shared-secret\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read);
  overrides_ = {{"TAPEDECK_REPLAYMGR_API_TOKEN", ""},
                {"TAPEDECK_REPLAYMGR_TOKEN_FILE", file.string()}};
  const auto refused = cli("session list --json");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("chmod 600 " + file.string()), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("shared-secret"), std::string::npos) << refused.err;
}

TEST_F(ReplaymgrTest, OpenServesTheApiWithoutATokenAndWritesNoTokenFile) {
  const ScratchFolder folder("token");
  const fs::path file = folder.path() / "api-token";
  overrides_ = {{"TAPEDECK_REPLAYMGR_API_TOKEN", ""},
                {"TAPEDECK_REPLAYMGR_OPEN", "true"},
                {"TAPEDECK_REPLAYMGR_TOKEN_FILE", file.string()}};
  start_replaymgr();
  EXPECT_EQ(request("GET", "/api/sessions", "", false).status, 200);
  EXPECT_FALSE(fs::exists(file));
  const auto listed = cli("session list --json");
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
}

TEST_F(ReplaymgrTest, ServesHttpsWithTheConfiguredCertificateAndNotPlainHttp) {
  const ScratchFolder folder("tls");
  const auto cert = folder.path() / "cert.pem";
  const auto key = folder.path() / "key.pem";
  const auto command = fmt::format(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout {} -out {} 2>/dev/null",
      shell_quote(key.string()), shell_quote(cert.string()));
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  overrides_ = {{"TAPEDECK_REPLAYMGR_TLS_CERT", cert.string()},
                {"TAPEDECK_REPLAYMGR_TLS_KEY", key.string()},
                {"TAPEDECK_REPLAYMGR_TLS_CA", cert.string()}};
  scheme_ = "https";
  ca_file_ = cert.string();
  start_replaymgr();
  EXPECT_EQ(request("GET", "/api/sessions").status, 200);
  const auto listed = cli("session list --json");
  EXPECT_EQ(listed.exit_code, 0) << listed.err;

  // Without the CA the certificate is not trusted; plain http gets no answer.
  ca_file_.clear();
  EXPECT_THROW(request("GET", "/api/sessions"), Error);
  ca_file_ = cert.string();
  scheme_ = "http";
  EXPECT_THROW(request("GET", "/api/sessions"), Error);
}

TEST_F(ReplaymgrTest, ABodyOverSixtyFourKibibytesIsRefusedWith413) {
  start_replaymgr();
  const std::string huge = nlohmann::json{{"start", "2026-02-01T10:30:00Z"},
                                          {"end", "2026-02-01T11:00:00Z"},
                                          {"name", std::string(kMaxRequestBytes, 'x')}}
                               .dump();
  const auto refused = request("POST", "/api/sessions", huge);
  EXPECT_EQ(refused.status, 413);
  EXPECT_EQ(refused.body.value("error", ""), "request body larger than 65536 bytes")
      << refused.body.dump();
  EXPECT_EQ(rows_named(std::string(kMaxRequestBytes, 'x')), 0);
  EXPECT_EQ(create().status, 201);
}

}  // namespace
}  // namespace tapedeck::replaymgr
