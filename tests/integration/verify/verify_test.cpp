// `tapedeck verify` on the real stack: `tapedeck run` records the Live DB, two backups are taken
// around a stretch of changes, and verify passes on the untouched recording and finds the
// divergence a statement deleted from it leaves, naming the table and its first differing key.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <thread>

#include "core/pg/connection.hpp"
#include "core/session.hpp"
#include "support/process.hpp"
#include "support/product_fixture.hpp"

namespace tapedeck {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // standard output only: the JSON
};

CommandResult run_tapedeck(const std::string& arguments) {
  const auto command = fmt::format("'{}' {}", testing::tapedeck_binary(), arguments);
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (const auto read = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    result.output.append(buffer.data(), read);
  }
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// A table with a primary key, one without, and one whose rows only change between the backups;
// what a catch-up must not do twice (a cascading delete, a touch trigger); money in a database
// whose own locale writes it as "1.000,00 €".
constexpr std::string_view kSchema = R"(
CREATE TABLE public.items (id integer PRIMARY KEY, label text, amount numeric, seen timestamptz);
CREATE TABLE public.ledger (entry text, amount numeric);
ALTER TABLE public.ledger REPLICA IDENTITY FULL;
INSERT INTO public.items SELECT g, 'item ' || g, g * 1.5, now() FROM generate_series(1, 50) g;
INSERT INTO public.ledger VALUES ('opening', 100);
CREATE TABLE public.orders (id integer PRIMARY KEY, total money, touched timestamptz);
CREATE TABLE public.order_lines (order_id integer REFERENCES public.orders ON DELETE CASCADE,
                                 line integer, PRIMARY KEY (order_id, line));
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN NEW.touched := clock_timestamp(); RETURN NEW; END$$;
CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON public.orders
  FOR EACH ROW EXECUTE FUNCTION public.touch();
INSERT INTO public.orders (id, total) SELECT g, g * 1000.5 FROM generate_series(1, 5) g;
INSERT INTO public.order_lines SELECT o, l FROM generate_series(1, 5) o, generate_series(1, 3) l;
DO $$BEGIN
  EXECUTE format('ALTER DATABASE %I SET lc_monetary = %L', current_database(), 'de_DE.UTF-8');
END$$;
)";

class VerifyTest : public testing::ProductFixture {
 protected:
  VerifyTest() : ProductFixture("verify") {}

  std::map<std::string, std::string> extra_settings() const override {
    return {{"TAPEDECK_REPLAYMGR_API_TOKEN", "verify-test-token-" + suffix_}};
  }

  void SetUp() override {
    ProductFixture::SetUp();
    live().exec(kSchema);
  }

  void wait_until_recording() {
    ASSERT_NO_FATAL_FAILURE(wait_until_capture_streams());
    // Exact catch-up from a backup needs a recorded commit at or before it (msgop's
    // recording_gap): a change, stored, before the first backup.
    pg::Connection store(store_dsn(), "verify-test");
    int written = 0;
    ASSERT_TRUE(eventually(
        [&] {
          live().exec(
              fmt::format("INSERT INTO public.ledger VALUES ('recording {}', 0)", ++written));
          std::this_thread::sleep_for(1s);
          try {
            return store
                       .exec(
                           "SELECT count(*) FROM tapedeck.statements WHERE sql LIKE "
                           "'%''recording %'")
                       .get<std::int64_t>(0, 0) > 0;
          } catch (const std::exception&) {
            return false;  // transform has not created its tables yet
          }
        },
        60s))
        << "no change was recorded; see " << run_log();
  }

  // The id of a backup taken now.
  std::int64_t take_backup() {
    const auto result = run_tapedeck("backup run");
    EXPECT_EQ(result.exit_code, 0) << result.output;
    std::smatch match;
    EXPECT_TRUE(std::regex_search(result.output, match, std::regex("backup (\\d+) stored")))
        << result.output;
    return match.empty() ? 0 : std::stoll(match[1]);
  }

  // Runs `tapedeck verify` and returns its exit code and JSON verdict.
  std::pair<int, nlohmann::json> verify(const std::string& arguments) {
    const auto result = run_tapedeck("verify --json " + arguments);
    nlohmann::json verdict;
    try {
      verdict = nlohmann::json::parse(result.output);
    } catch (const std::exception&) {
      ADD_FAILURE() << "verify printed no JSON:\n" << result.output;
    }
    return {result.exit_code, verdict};
  }

  // What replaymgr answers on `path`, with the API token.
  std::string api_get(const std::string& path) {
    std::string output;
    const auto command =
        fmt::format("curl -fsS -H 'Authorization: Bearer verify-test-token-{}' '{}{}'", suffix_,
                    api_url_, path);
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return output;
    std::array<char, 4096> buffer{};
    while (const auto read = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
      output.append(buffer.data(), read);
    }
    ::pclose(pipe);
    return output;
  }
};

TEST_F(VerifyTest, PassesOnTheRecordingAndFindsAStatementDeletedFromIt) {
  start_run();
  ASSERT_NO_FATAL_FAILURE(wait_until_recording());

  const auto older = take_backup();
  // Changes between the backups, one of them open across the newer backup's snapshot.
  live().exec("UPDATE public.items SET amount = amount * 2 WHERE id % 3 = 0");
  live().exec("DELETE FROM public.items WHERE id IN (4, 5)");
  live().exec("INSERT INTO public.items VALUES (51, 'it''s new', 7.25, now())");
  live().exec("UPDATE public.items SET label = 'planted' WHERE id = 17");
  live().exec("INSERT INTO public.ledger VALUES ('sale', 12.5), ('sale', 12.5)");
  live().exec("DELETE FROM public.orders WHERE id = 2");  // and its three lines
  live().exec("UPDATE public.orders SET total = total * 2 WHERE id = 3");
  live().exec("INSERT INTO public.orders (id, total) VALUES (6, 1234.56)");
  pg::Connection straddling(live_dsn(), "verify-straddling");
  straddling.exec("BEGIN; UPDATE public.items SET label = 'straddles' WHERE id = 20");
  const auto newer = take_backup();
  straddling.exec("COMMIT");
  live().exec("UPDATE public.items SET label = 'after the newer backup' WHERE id = 30");

  const auto [ok_exit, ok] = verify(fmt::format("--older {} --newer {}", older, newer));
  EXPECT_EQ(ok_exit, 0) << ok.dump(2);
  EXPECT_EQ(ok.value("result", ""), "ok") << ok.dump(2);
  EXPECT_GT(ok.value("statements", 0), 0);

  // A session starting inside the verified window shows it (replaymgr re-reads every second).
  const std::string start = ok.value("covers_until", "");
  const auto end = session::format_time(*session::parse_time(start) + 1s);
  CommandResult created;
  ASSERT_TRUE(eventually(
      [&] {
        created = run_tapedeck(fmt::format(
            "session init --start {} --end {} --speed max --name verified --json", start, end));
        return created.exit_code == 0;
      },
      60s))
      << created.output;
  const std::string id = nlohmann::json::parse(created.output).at("id");
  nlohmann::json shown;
  EXPECT_TRUE(eventually(
      [&] {
        shown =
            nlohmann::json::parse(run_tapedeck(fmt::format("session show {} --json", id)).output);
        return shown.value("verified", false);
      },
      10s))
      << shown.dump(2);
  run_tapedeck(fmt::format("session end {}", id));

  // A statement lost from the recording: the row it changed differs after the catch-up.
  pg::Connection store(store_dsn(), "verify-test");
  const auto deleted =
      store.exec("DELETE FROM tapedeck.statements WHERE sql LIKE '%planted%' RETURNING sql");
  ASSERT_EQ(deleted.rows(), 1);

  const auto [bad_exit, bad] = verify(fmt::format("--older {} --newer {}", older, newer));
  EXPECT_EQ(bad_exit, 3) << bad.dump(2);
  EXPECT_EQ(bad.value("result", ""), "diverged") << bad.dump(2);
  ASSERT_EQ(bad.at("tables").size(), 1u) << bad.dump(2);
  EXPECT_EQ(bad.at("tables")[0].value("table", ""), "items");
  EXPECT_EQ(bad.at("tables")[0].value("first_difference", ""), "id=17: differs");

  // Both verdicts are stored, latest first; the scratch databases are gone.
  const auto listed = run_tapedeck("verify list --json");
  const auto verdicts = nlohmann::json::parse(listed.output);
  ASSERT_EQ(verdicts.size(), 2u) << listed.output;
  EXPECT_EQ(verdicts[0].value("result", ""), "diverged");
  EXPECT_EQ(verdicts[1].value("result", ""), "ok");
  // replaymgr: the verdicts, latest first, and the latest one's gauges.
  const auto api = nlohmann::json::parse(api_get("/api/verifications"));
  ASSERT_EQ(api.size(), 2u) << api.dump(2);
  EXPECT_EQ(api[0].value("result", ""), "diverged");
  EXPECT_EQ(api[0].at("tables")[0].value("first_difference", ""), "id=17: differs");
  std::string metrics;
  EXPECT_TRUE(eventually(
      [&] {
        metrics = api_get("/metrics");
        return metrics.find("tapedeck_verification_last_ok 0") != std::string::npos &&
               metrics.find("tapedeck_verification_last_diverged_tables 1") != std::string::npos;
      },
      10s))
      << metrics;

  EXPECT_EQ(admin()
                .exec("SELECT count(*) FROM pg_database WHERE datname LIKE 'tapedeck_verify_%'")
                .get<std::int64_t>(0, 0),
            0);
}

}  // namespace
}  // namespace tapedeck
