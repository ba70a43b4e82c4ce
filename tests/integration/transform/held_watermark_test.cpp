// capture and transform on the stack, and a fault that really loses one publish of a
// transaction while its END is stored: the watermark holds before the transaction until
// capture's next pass stores the missing event.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "core/pg/params.hpp"
#include "transform_fixture.hpp"

namespace tapedeck::transform::testing {
namespace {

using namespace std::chrono_literals;

// Sets the stream's largest message (-1: no limit), a setting of the operator's that tapedeck
// leaves alone, through the JetStream API.
void set_max_message_size(StreamFixture& stream, std::int64_t bytes) {
  auto& connection = stream.js().connection();
  const auto info = nlohmann::json::parse(
      connection.request("$JS.API.STREAM.INFO." + stream.stream(), "", 5s).data());
  ASSERT_TRUE(info.contains("config")) << info.dump();
  auto config = info["config"];
  config["max_msg_size"] = bytes;
  const auto updated = nlohmann::json::parse(
      connection.request("$JS.API.STREAM.UPDATE." + stream.stream(), config.dump(), 5s).data());
  ASSERT_FALSE(updated.contains("error")) << updated.dump();
}

std::int64_t count(pg::Connection& store, const std::string& sql) {
  try {
    return query_int(store, sql);
  } catch (const std::exception&) {
    return -1;  // not migrated yet
  }
}

TEST(HeldWatermark, AnEventTheStreamRefusedHoldsTheWatermarkUntilCaptureStoresIt) {
  ScratchDatabase live("tdhw_live");
  ScratchDatabase store("tdhw_store");
  StreamFixture stream;
  stream.create_stream();
  // The second event of one transaction is larger than this; its BEGIN, the events around it
  // and its END are not.
  set_max_message_size(stream, 12000);
  auto env = stream.env(live.dsn(), store.dsn());
  pg::Connection connection(live.dsn());
  connection.exec("CREATE TABLE items (id int PRIMARY KEY, v text)");
  SlotGuard slot_guard{live.dsn(), env.at("TAPEDECK_CAPTURE_SLOT_NAME")};

  const std::string log = temp_file("tdhw") + ".log";
  std::printf("child logs in %s\n", log.c_str());
  ChildProcess transform({tapedeck_binary(), "transform"}, env, log);
  ChildProcess capture({tapedeck_binary(), "capture"}, env, log);
  ASSERT_TRUE(
      eventually([&] { return read_file(log).find("streaming slot") != std::string::npos; }, 60s))
      << "capture did not start streaming; see " << log;

  connection.exec("INSERT INTO items VALUES (1, 'before')");
  connection.exec(
      "BEGIN; INSERT INTO items VALUES (2, 'b'); INSERT INTO items VALUES (3, repeat('x', 20000));"
      "INSERT INTO items VALUES (4, 'd'); COMMIT");
  const std::string held_commit = query_text(
      connection, "SELECT pg_current_wal_lsn()::text");  // past the commit of the transaction
  connection.exec("INSERT INTO items VALUES (5, 'after')");

  pg::Connection store_connection(store.dsn());
  ASSERT_TRUE(eventually(
      [&] {
        return count(store_connection,
                     "SELECT count(*) FROM tapedeck.watermark_holds WHERE missing = "
                     "'{[2,3)}'::int8multirange") == 1;
      },
      60s))
      << "no hold; see " << log;
  const std::string held_at =
      query_text(store_connection, "SELECT commit_lsn::text FROM tapedeck.watermark_holds");
  EXPECT_LT(Lsn::parse(held_at)->value, Lsn::parse(held_commit)->value);
  // Rows 2 and 4 of the held transaction are stored, and row 5 after it: the watermark would
  // pass all of them without the hold.
  ASSERT_TRUE(eventually(
      [&] {
        return count(store_connection,
                     "SELECT count(*) FROM tapedeck.statements WHERE table_name = 'items'") == 4;
      },
      60s));
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(count(store_connection,
                  fmt::format("SELECT count(*) FROM tapedeck.watermarks WHERE name = '{}' AND "
                              "lsn < '{}'",
                              stream.stream(), held_at)),
            1);

  // The operator lifts the limit; capture's next pass from its slot stores the event.
  set_max_message_size(stream, -1);
  EXPECT_TRUE(eventually(
      [&] { return count(store_connection, "SELECT count(*) FROM tapedeck.watermark_holds") == 0; },
      90s))
      << "the hold stayed; see " << log;
  EXPECT_TRUE(eventually(
      [&] {
        return count(store_connection,
                     fmt::format("SELECT count(*) FROM tapedeck.watermarks WHERE name = '{}' AND "
                                 "lsn > '{}'",
                                 stream.stream(), held_at)) == 1;
      },
      60s));
  EXPECT_EQ(count(store_connection,
                  "SELECT count(*) FROM tapedeck.statements WHERE table_name = 'items'"),
            5);
  EXPECT_EQ(capture.stop(), 0);
  EXPECT_EQ(transform.stop(), 0);
  const std::string text = read_file(log);
  EXPECT_NE(text.find("without its messages at positions 2"), std::string::npos);
  EXPECT_NE(text.find("is over the stream's max_msg_size, an operator's setting"),
            std::string::npos);
  EXPECT_NE(text.find(fmt::format("the capture transaction at commit {} is complete", held_at)),
            std::string::npos);
}

}  // namespace
}  // namespace tapedeck::transform::testing
