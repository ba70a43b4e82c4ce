// The recorder is tapedeck's own server, exercised over loopback with a plain HTTP client.
#include "rtus/recorder.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>

namespace tapedeck::rtus {
namespace {

TEST(Recorder, RecordsMethodPathHeadersBodyAndTime) {
  Recorder recorder("127.0.0.1:0", std::nullopt);
  recorder.start();
  httplib::Client client("127.0.0.1", recorder.port());
  const auto before = std::chrono::system_clock::now();
  auto response =
      client.Post("/time?zone=utc", {{"X-Tick", "7"}}, R"({"t":1})", "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);

  const auto calls = recorder.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, "POST");
  EXPECT_EQ(calls[0].path, "/time");
  EXPECT_EQ(calls[0].body, R"({"t":1})");
  EXPECT_GE(calls[0].received_at, before);
  const auto json = to_json(calls[0]);
  EXPECT_EQ(json["headers"]["X-Tick"], "7");
  EXPECT_EQ(json["query"]["zone"], "utc");
}

TEST(Recorder, ListsCallsInArrivalOrderAndFiltersByPathPrefix) {
  Recorder recorder("127.0.0.1:0", std::nullopt);
  recorder.start();
  httplib::Client client("127.0.0.1", recorder.port());
  ASSERT_TRUE(client.Put("/playback/a", "1", "text/plain"));
  ASSERT_TRUE(client.Delete("/live/b"));
  ASSERT_TRUE(client.Patch("/playback/c", "3", "text/plain"));

  auto all = client.Get("/calls");
  ASSERT_TRUE(all);
  const auto listed = nlohmann::json::parse(all->body);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0]["path"], "/playback/a");
  EXPECT_EQ(listed[1]["method"], "DELETE");

  auto filtered = client.Get("/calls?path_prefix=/playback");
  ASSERT_TRUE(filtered);
  const auto playback = nlohmann::json::parse(filtered->body);
  ASSERT_EQ(playback.size(), 2u);
  EXPECT_EQ(playback[1]["body"], "3");

  ASSERT_TRUE(client.Delete("/calls"));
  EXPECT_TRUE(recorder.calls().empty());
}

TEST(Recorder, AppendsOneJsonLinePerCallToItsJournal) {
  const auto journal = std::filesystem::temp_directory_path() /
                       ("rtus-journal-" + std::to_string(::getpid()) + ".jsonl");
  std::filesystem::remove(journal);
  {
    Recorder recorder("127.0.0.1:0", journal.string());
    recorder.start();
    httplib::Client client("127.0.0.1", recorder.port());
    ASSERT_TRUE(client.Post("/one", "a", "text/plain"));
    ASSERT_TRUE(client.Post("/two", "b", "text/plain"));
  }
  std::ifstream in(journal);
  std::string line;
  std::vector<std::string> paths;
  while (std::getline(in, line)) paths.push_back(nlohmann::json::parse(line)["path"]);
  EXPECT_EQ(paths, (std::vector<std::string>{"/one", "/two"}));
  std::filesystem::remove(journal);
}

TEST(Recorder, RefusesAJournalItCannotWrite) {
  EXPECT_THROW(Recorder("127.0.0.1:0", "/nonexistent-folder/calls.jsonl"), std::exception);
}

}  // namespace
}  // namespace tapedeck::rtus
