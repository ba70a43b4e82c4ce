// End-to-end transform throughput: JetStream CDC stream -> committed rows in the TransformMsg DB.
// Publishes N capture-style events ({schema,payload}, 5 changes per transaction with BEGIN/END
// metadata, 70% inserts / 20% updates / 10% deletes) to a fresh stream, then runs the transform
// service in this process and times it until every statement is committed.
// Run: eval "$(./run stack env)" && build/bench/bench_transform_end_to_end [events] [batch]
//      [schemaless]
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "core/log.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/jetstream.hpp"
#include "core/nats/library.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/dsn.hpp"
#include "core/stop.hpp"
#include "transform/transform_service.hpp"

namespace {

using namespace tapedeck;
using Clock = std::chrono::steady_clock;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    std::fprintf(stderr, "%s is not set: run eval \"$(./run stack env)\" first\n", name);
    std::exit(2);
  }
  return value;
}

constexpr const char* kTable =
    "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, quantity integer, "
    "price numeric(10,2), status text, created timestamptz, updated timestamp, paid boolean, "
    "note text)";

// The Connect schema of one row of `orders`, as capture sends it.
constexpr const char* kRowFields =
    R"([{"type":"int64","optional":false,"field":"id"},)"
    R"({"type":"string","optional":false,"field":"customer"},)"
    R"({"type":"int32","optional":true,"field":"quantity"},)"
    R"({"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,)"
    R"("parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"price"},)"
    R"({"type":"string","optional":true,"field":"status"},)"
    R"({"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,)"
    R"("field":"created"},)"
    R"({"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,)"
    R"("field":"updated"},)"
    R"({"type":"boolean","optional":true,"field":"paid"},)"
    R"({"type":"string","optional":true,"field":"note"}])";

std::string schema_text(const std::string& prefix) {
  return fmt::format(
      R"({{"type":"struct","fields":[)"
      R"({{"type":"struct","fields":{0},"optional":true,"name":"{1}.public.orders.Value","field":"before"}},)"
      R"({{"type":"struct","fields":{0},"optional":true,"name":"{1}.public.orders.Value","field":"after"}},)"
      R"({{"type":"struct","fields":[{{"type":"string","optional":false,"field":"version"}},)"
      R"({{"type":"string","optional":false,"field":"connector"}},{{"type":"string","optional":false,"field":"name"}},)"
      R"({{"type":"int64","optional":false,"field":"ts_ms"}},{{"type":"string","optional":false,"field":"db"}},)"
      R"({{"type":"string","optional":false,"field":"schema"}},{{"type":"string","optional":false,"field":"table"}},)"
      R"({{"type":"int64","optional":true,"field":"txId"}},{{"type":"int64","optional":true,"field":"lsn"}}],)"
      R"("optional":false,"name":"io.debezium.connector.postgresql.Source","field":"source"}},)"
      R"({{"type":"string","optional":false,"field":"op"}},{{"type":"int64","optional":true,"field":"ts_ms"}}],)"
      R"("optional":false,"name":"{1}.public.orders.Envelope","version":1}})",
      kRowFields, prefix);
}

std::string base64_price(std::int64_t cents) {
  // Big-endian two's complement of the unscaled value, minimal length, base64.
  unsigned char bytes[8];
  int length = 0;
  for (int i = 7; i >= 0; --i) bytes[7 - i] = static_cast<unsigned char>(cents >> (i * 8));
  int start = 0;
  while (start < 7 && ((bytes[start] == 0 && !(bytes[start + 1] & 0x80)) ||
                       (bytes[start] == 0xff && (bytes[start + 1] & 0x80)))) {
    ++start;
  }
  length = 8 - start;
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (int i = 0; i < length; i += 3) {
    const unsigned value = (bytes[start + i] << 16) |
                           (i + 1 < length ? bytes[start + i + 1] << 8 : 0) |
                           (i + 2 < length ? bytes[start + i + 2] : 0);
    out.push_back(kAlphabet[(value >> 18) & 63]);
    out.push_back(kAlphabet[(value >> 12) & 63]);
    out.push_back(i + 1 < length ? kAlphabet[(value >> 6) & 63] : '=');
    out.push_back(i + 2 < length ? kAlphabet[value & 63] : '=');
  }
  return out;
}

std::string row(std::mt19937& random, std::int64_t id) {
  std::uniform_int_distribution<int> any(0, 1'000'000);
  return fmt::format(
      R"({{"id":{},"customer":"customer {}","quantity":{},"price":"{}","status":"{}",)"
      R"("created":"2024-05-{:02}T10:{:02}:{:02}.{:06}Z","updated":{},"paid":{},)"
      R"x("note":"deliver to the back door, ring twice; it's fragile ({})"}})x",
      id, any(random) % 5000, any(random) % 50, base64_price(any(random)),
      any(random) % 2 ? "shipped" : "new", 1 + any(random) % 28, any(random) % 60, any(random) % 60,
      any(random), 1'715'000'000'000'000LL + any(random), any(random) % 2 ? "true" : "false",
      any(random));
}

}  // namespace

int main(int argc, char** argv) {
  const int events = argc > 1 ? std::atoi(argv[1]) : 200'000;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 2000;
  // "schemaless": events without their Connect schema (capture.schemas_enable = false).
  const bool schemaless = argc > 3 && std::string_view(argv[3]) == "schemaless";
  constexpr int kPerTransaction = 5;
  log::configure("warn");
  nats::LibraryGuard library;

  const std::string suffix = std::to_string(std::random_device{}() % 1'000'000'000);
  const std::string admin_dsn = env("TAPEDECK_LIVE_DSN");
  const std::string live_db = "bench_live_" + suffix;
  const std::string store_db = "bench_store_" + suffix;
  const std::string stream = "BENCH_" + suffix;
  const std::string prefix = "bench" + suffix;
  pg::Connection admin(admin_dsn);
  admin.exec("CREATE DATABASE " + live_db);
  admin.exec("CREATE DATABASE " + store_db);
  {
    pg::Connection live(pg::with_dbname(admin_dsn, live_db));
    live.exec(kTable);
  }

  nats::ConnectOptions options;
  options.url = env("TAPEDECK_NATS_URL");
  nats::Connection connection(options);
  nats::JetStream js(connection);
  nats::StreamConfig config;
  config.name = stream;
  config.subjects = {prefix + ".>"};
  js.ensure_stream(config);

  // Publish everything first: the measured part is transform alone.
  const auto publish_start = Clock::now();
  std::size_t bytes = 0;
  {
    nats::AsyncPublisher publisher(connection, {20'000, std::chrono::milliseconds(30'000)});
    std::mt19937 random(42);
    const std::string schema = schema_text(prefix);
    const std::string subject = prefix + ".public.orders";
    std::int64_t next_id = 1;
    for (int tx = 0; tx * kPerTransaction < events; ++tx) {
      const std::uint64_t commit = 0x10000000ull + static_cast<std::uint64_t>(tx) * 0x800;
      const std::string lsn = fmt::format("{:X}/{:X}", commit >> 32, commit & 0xffffffffu);
      const std::int64_t xid = 5000 + tx;
      const std::int64_t ts_ms = 1'715'000'000'000 + tx;
      const nats::Headers headers = {{"Tapedeck-Commit-Lsn", lsn}};
      publisher.publish(
          prefix + ".transaction",
          fmt::format(R"({{"status":"BEGIN","id":"{}:{}","ts_ms":{}}})", xid, commit, ts_ms),
          headers, lsn + ":0");
      for (int position = 1; position <= kPerTransaction; ++position) {
        const int kind = static_cast<int>(random() % 10);
        std::string payload;
        const std::string source = fmt::format(
            R"({{"version":"2.5.0.Final","connector":"postgresql","name":"{}","ts_ms":{},)"
            R"("db":"live","schema":"public","table":"orders","txId":{},"lsn":{}}})",
            prefix, ts_ms, xid, commit - 0x100 + static_cast<std::uint64_t>(position));
        if (kind < 7 || next_id < 100) {
          payload = fmt::format(R"({{"before":null,"after":{},"source":{},"op":"c","ts_ms":{}}})",
                                row(random, next_id++), source, ts_ms);
        } else if (kind < 9) {
          payload = fmt::format(R"({{"before":null,"after":{},"source":{},"op":"u","ts_ms":{}}})",
                                row(random, 1 + static_cast<std::int64_t>(random() % next_id)),
                                source, ts_ms);
        } else {
          payload = fmt::format(
              R"({{"before":{{"id":{},"customer":"","quantity":null,"price":null,"status":null,)"
              R"("created":null,"updated":null,"paid":null,"note":null}},"after":null,)"
              R"("source":{},"op":"d","ts_ms":{}}})",
              1 + static_cast<std::int64_t>(random() % next_id), source, ts_ms);
        }
        const std::string data =
            schemaless ? payload : fmt::format(R"({{"schema":{},"payload":{}}})", schema, payload);
        bytes += data.size();
        publisher.publish(subject, data, headers, fmt::format("{}:{}", lsn, position));
      }
      publisher.publish(
          prefix + ".transaction",
          fmt::format(
              R"({{"status":"END","id":"{}:{}","ts_ms":{},"event_count":{},)"
              R"("data_collections":[{{"data_collection":"public.orders","event_count":{}}}]}})",
              xid, commit, ts_ms, kPerTransaction, kPerTransaction),
          headers, fmt::format("{}:{}", lsn, kPerTransaction + 1));
    }
    if (!publisher.wait_all(std::chrono::seconds(300)).empty()) {
      std::fprintf(stderr, "publishing failed\n");
      return 1;
    }
  }
  const double publish_seconds =
      std::chrono::duration<double>(Clock::now() - publish_start).count();
  const auto info = js.stream_info(stream);
  std::printf("published %d events (%llu messages, %.1f MB) in %.2f s\n", events,
              static_cast<unsigned long long>(info.messages), static_cast<double>(bytes) / 1e6,
              publish_seconds);

  // Publishing at twice transform's pace leaves gigabytes of dirty pages, and the previous run
  // a checkpoint, to be written back: flush both first, or their I/O lands on the timed run
  // (consecutive runs measured 47k, 38k, 36k events/s without this).
  const auto flush_start = Clock::now();
  admin.exec("CHECKPOINT");
  ::sync();
  std::printf("flushed the page cache in %.2f s\n",
              std::chrono::duration<double>(Clock::now() - flush_start).count());

  transform::TransformSettings settings;
  settings.nats_url = options.url;
  settings.stream = stream;
  settings.prefix = prefix;
  settings.durable = "bench-" + suffix;
  settings.batch_size = batch;
  settings.listen = "127.0.0.1:0";
  settings.store_dsn = pg::with_dbname(admin_dsn, store_db);
  settings.live_dsn = pg::with_dbname(admin_dsn, live_db);
  transform::TransformService service(settings);
  const auto start = Clock::now();
  std::thread runner([&service] { service.run(); });
  // Done when the last transaction is stored (an index read, unlike count(*) on a growing
  // table, which would take CPU from the measured run).
  const int transactions = (events + kPerTransaction - 1) / kPerTransaction;
  const std::uint64_t last_commit =
      0x10000000ull + static_cast<std::uint64_t>(transactions - 1) * 0x800;
  const std::string last_lsn =
      fmt::format("{:X}/{:X}", last_commit >> 32, last_commit & 0xffffffffu);
  pg::Connection store(settings.store_dsn);
  bool done = false;
  while (!done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    try {
      done = store
                 .exec_params(
                     "SELECT coalesce(max(commit_lsn) >= $1::pg_lsn, false) "
                     "FROM tapedeck.statements",
                     pg::Params::of(last_lsn))
                 .get<bool>(0, 0);
    } catch (const Error&) {
      // not migrated yet
    }
    if (std::chrono::duration<double>(Clock::now() - start).count() > 600) {
      std::fprintf(stderr, "gave up after 600 s\n");
      break;
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const std::int64_t count =
      store.exec("SELECT count(*) FROM tapedeck.statements").get<std::int64_t>(0, 0);
  stop::request();
  runner.join();
  std::printf(
      "transform: %lld events committed in %.2f s = %.0f events/s end to end "
      "(batch %d, %s, %.0f messages/s incl. BEGIN/END)\n",
      static_cast<long long>(count), seconds, static_cast<double>(count) / seconds, batch,
      schemaless ? "schemaless" : "with schemas", static_cast<double>(info.messages) / seconds);

  js.delete_stream(stream);
  admin.exec("DROP DATABASE " + live_db + " WITH (FORCE)");
  admin.exec("DROP DATABASE " + store_db + " WITH (FORCE)");
  return count == events ? 0 : 1;
}
