// `tapedeck session show`'s text: the fidelity verdict and the phase progress.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "replaymgr/api_client.hpp"

namespace tapedeck::replaymgr {
namespace {

// The value of row `label` in describe_session's text ("" when absent).
std::string row_of(const std::string& text, const std::string& label) {
  const auto at = text.find(label + " ");
  if (at == std::string::npos || (at > 0 && text[at - 1] != '\n')) return "";
  const auto value = text.find_first_not_of(' ', at + label.size());
  return text.substr(value, text.find('\n', value) - value);
}

TEST(DescribeSession, SaysWhetherTheStartIsVerified) {
  nlohmann::json session = {{"id", "s1"}, {"state", "ready"}, {"verified", true}};
  EXPECT_EQ(row_of(describe_session(session), "verified").rfind("yes", 0), 0u)
      << describe_session(session);
  session["verified"] = false;
  EXPECT_EQ(row_of(describe_session(session), "verified").rfind("no", 0), 0u);
  session.erase("verified");
  EXPECT_EQ(row_of(describe_session(session), "verified").rfind("no", 0), 0u);
}

TEST(DescribeSession, ShowsAWaitingSessionsPlaceInTheRestoreQueueAndOnlyThen) {
  nlohmann::json session = {
      {"id", "s1"}, {"state", "initializing"}, {"queue", {{"position", 3}, {"restoring", 2}}}};
  EXPECT_EQ(row_of(describe_session(session), "queue"),
            "waiting for a restore: 3 in line, 2 restore(s) under way (dbop.max_restores per "
            "dbop)");
  EXPECT_NE(phase_line(session, 20).find("3 in line"), std::string::npos)
      << phase_line(session, 20);
  session["queue"] = nullptr;
  EXPECT_EQ(row_of(describe_session(session), "queue"), "");
}

TEST(DescribeSession, ShowsThePhaseDoneTotalAndEta) {
  const nlohmann::json session = {{"id", "s1"},
                                  {"state", "restoring"},
                                  {"progress",
                                   {{"phase", "restoring"},
                                    {"done", 40},
                                    {"total", 100},
                                    {"unit", "items"},
                                    {"rate_per_second", 10},
                                    {"eta_seconds", 6},
                                    {"percent", 40}}}};
  const std::string progress = row_of(describe_session(session), "progress");
  EXPECT_NE(progress.find("restoring"), std::string::npos) << progress;
  EXPECT_NE(progress.find("40/100 items"), std::string::npos) << progress;
  EXPECT_NE(progress.find("ETA 6s"), std::string::npos) << progress;
}

TEST(DescribeSession, ShowsADashWithoutProgress) {
  const nlohmann::json session = {{"id", "s1"}, {"state", "initializing"}, {"progress", nullptr}};
  EXPECT_EQ(row_of(describe_session(session), "progress"), "-");
}

}  // namespace
}  // namespace tapedeck::replaymgr
