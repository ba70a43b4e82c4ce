// End-to-end transform throughput: JetStream CDC stream -> committed rows in the TransformMsg DB.
// Publishes N capture-style events ({schema,payload}, 5 changes per transaction with BEGIN/END
// metadata, 70% inserts / 20% updates / 10% deletes) to a fresh stream once, then runs the
// `tapedeck transform` binary over it RUNS times, each with a fresh durable consumer and a fresh
// TransformMsg DB, timing each run from start until every statement is committed. Prints each
// run, its CPU time per event, and the median: this machine's throughput varies run to run.
// The ceiling, in the same run: a bare cnats pull consumer on the same stream that fetches
// batches of the same size and acks each message, and does nothing else; `ratio:` lines
// compare transform's median with it.
// Run: eval "$(./run stack env)" && build/bench/bench_transform_end_to_end [events] [batch]
//      [with-schemas|schemaless] [runs]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/consumer.hpp"
#include "core/nats/jetstream.hpp"
#include "core/nats/library.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/dsn.hpp"
#include "core/pg/params.hpp"
#include "core/service/cdc_stream.hpp"

namespace {

using namespace tapedeck;
using Clock = std::chrono::steady_clock;

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

struct RunResult {
  double events_per_second = 0;
  double cpu_us_per_event = 0;
  bool complete = false;
};

// One timed run of `tapedeck transform` over the stream, into a fresh TransformMsg DB.
RunResult run_transform(const std::string& admin_dsn, const std::string& live_db,
                        const std::string& stream, const std::string& prefix,
                        const std::string& run_name, int batch, int events,
                        const std::string& last_lsn, nats::JetStream& js) {
  pg::Connection admin(admin_dsn);
  const std::string store_db = "bench_store_" + run_name;
  admin.exec("CREATE DATABASE " + store_db);
  const std::string store_dsn = pg::with_dbname(admin_dsn, store_db);
  const std::string durable = "bench-" + run_name;
  const std::string log_file =
      (std::filesystem::temp_directory_path() / ("bench_transform_" + run_name + ".log")).string();

  // Publishing at twice transform's pace leaves gigabytes of dirty pages, and the previous run
  // a checkpoint, to be written back: flush both first, or their I/O lands on the timed run
  // (consecutive runs measured 47k, 38k, 36k events/s without this).
  bench::settle(admin);

  RunResult result;
  const auto start = Clock::now();
  const bench::CpuSplit machine;
  bench::TapedeckProcess transform({"transform"},
                                   {{"TAPEDECK_NATS_CDC_STREAM", stream},
                                    {"TAPEDECK_NATS_CDC_PREFIX", prefix},
                                    {"TAPEDECK_TRANSFORM_DURABLE", durable},
                                    {"TAPEDECK_TRANSFORM_BATCH_SIZE", std::to_string(batch)},
                                    {"TAPEDECK_TRANSFORM_LISTEN", "127.0.0.1:0"},
                                    {"TAPEDECK_STORE_DSN", store_dsn},
                                    {"TAPEDECK_LIVE_DSN", pg::with_dbname(admin_dsn, live_db)},
                                    {"TAPEDECK_LOG_LEVEL", "warn"}},
                                   log_file);
  // Done when the last transaction is stored (an index read, unlike count(*) on a growing
  // table, which would take CPU from the measured run).
  std::optional<pg::Connection> store;
  double seconds = 0;
  double cpu = 0;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (seconds > 600) {
      std::fprintf(stderr, "gave up after 600 s; see %s\n", log_file.c_str());
      break;
    }
    try {
      if (!store) store.emplace(store_dsn);
      cpu = bench::cpu_seconds(transform.pid());
      if (store
              ->exec_params("SELECT coalesce(max(commit_lsn) >= $1::pg_lsn, false) "
                            "FROM tapedeck.statements",
                            pg::Params::of(last_lsn))
              .get<bool>(0, 0)) {
        break;
      }
    } catch (const Error&) {
      store.reset();  // not migrated yet
    }
  }
  const std::string split = machine.summary();
  transform.stop();
  if (store) {
    const auto count =
        store->exec("SELECT count(*) FROM tapedeck.statements").get<std::int64_t>(0, 0);
    result.complete = count == events;
    result.events_per_second = static_cast<double>(count) / seconds;
    result.cpu_us_per_event = 1e6 * cpu / static_cast<double>(std::max<std::int64_t>(count, 1));
    std::printf(
        "  run %s: %lld events committed in %.2f s = %.0f events/s, transform CPU %.1f "
        "us/event\n",
        run_name.c_str(), static_cast<long long>(count), seconds, result.events_per_second,
        result.cpu_us_per_event);
    std::printf("    %s\n", split.c_str());
    std::fflush(stdout);
    store.reset();
  }
  nats::PullConsumer::remove(js, stream, durable);
  admin.exec("DROP DATABASE " + store_db + " WITH (FORCE)");
  std::filesystem::remove(log_file);
  return result;
}

// The bare pull + ack consumer: messages per second over the whole stream.
// With `ack` false the consumer's ack policy is none: what fetching costs without any ack.
double bare_consumer(nats::JetStream& js, const std::string& stream, const std::string& prefix,
                     const std::string& durable, int batch, std::uint64_t messages, bool ack) {
  nats::ConsumerConfig config;
  config.max_ack_pending = std::max(1000, 2 * batch);
  if (!ack) config.ack_policy = nats::AckPolicy::none;
  std::uint64_t received = 0;
  const auto start = Clock::now();
  const bench::CpuSplit machine;
  {
    nats::PullConsumer consumer(js, stream, durable, prefix + ".>", config);
    while (received < messages) {
      auto fetched = consumer.fetch(batch, std::chrono::seconds(5));
      if (fetched.empty()) break;
      if (ack) {
        for (auto& message : fetched) message.ack();
      }
      received += fetched.size();
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const std::string split = machine.summary();
  nats::PullConsumer::remove(js, stream, durable);
  if (received < messages) {
    std::printf("  bare consumer: only %llu of %llu messages came\n",
                static_cast<unsigned long long>(received),
                static_cast<unsigned long long>(messages));
  }
  std::printf("  bare cnats pull%s (ceiling): %llu messages in %.2f s = %.0f messages/s\n",
              ack ? " + ack" : ", no ack", static_cast<unsigned long long>(received), seconds,
              static_cast<double>(received) / seconds);
  std::printf("    %s\n", split.c_str());
  return static_cast<double>(received) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const int events = argc > 1 ? std::atoi(argv[1]) : 200'000;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 2000;
  // "schemaless": events without their Connect schema (capture.schemas_enable = false).
  const bool schemaless = argc > 3 && std::string_view(argv[3]) == "schemaless";
  const int runs = argc > 4 ? std::max(1, std::atoi(argv[4])) : 3;
  constexpr int kPerTransaction = 5;
  log::configure("warn");
  nats::LibraryGuard library;

  const std::string suffix = std::to_string(std::random_device{}() % 1'000'000'000);
  const std::string admin_dsn = bench::required_env("TAPEDECK_LIVE_DSN");
  const std::string live_db = "bench_live_" + suffix;
  const std::string stream = "BENCH_" + suffix;
  const std::string prefix = "bench" + suffix;
  pg::Connection admin(admin_dsn);
  admin.exec("CREATE DATABASE " + live_db);
  {
    pg::Connection live(pg::with_dbname(admin_dsn, live_db));
    live.exec(kTable);
  }

  nats::ConnectOptions options;
  options.url = bench::required_env("TAPEDECK_NATS_URL");
  nats::Connection connection(options);
  nats::JetStream js(connection);
  // Set up as transform expects it: the configuration's limits (what transform will see).
  auto cdc = service::CdcStreamSettings::from_config(
      config::Config::load_default(std::nullopt, config::process_environment()));
  cdc.name = stream;
  cdc.prefix = prefix;
  service::ensure_cdc_stream(js, cdc);

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
  std::printf("published %d events (%llu messages, %.1f MB, %s) in %.2f s\n", events,
              static_cast<unsigned long long>(info.messages), static_cast<double>(bytes) / 1e6,
              schemaless ? "schemaless" : "with schemas", publish_seconds);
  std::fflush(stdout);

  const int transactions = (events + kPerTransaction - 1) / kPerTransaction;
  const std::uint64_t last_commit =
      0x10000000ull + static_cast<std::uint64_t>(transactions - 1) * 0x800;
  const std::string last_lsn =
      fmt::format("{:X}/{:X}", last_commit >> 32, last_commit & 0xffffffffu);
  std::vector<double> rates;
  std::vector<double> cpu;
  bool complete = true;
  for (int run = 1; run <= runs; ++run) {
    const RunResult result =
        run_transform(admin_dsn, live_db, stream, prefix, fmt::format("{}_{}", suffix, run), batch,
                      events, last_lsn, js);
    complete = complete && result.complete;
    rates.push_back(result.events_per_second);
    cpu.push_back(result.cpu_us_per_event);
  }
  std::sort(rates.begin(), rates.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf(
      "transform: median of %d runs %.0f events/s end to end (min %.0f, max %.0f; batch %d, %s, "
      "%.2f messages per event incl. BEGIN/END), transform CPU %.1f us/event\n",
      runs, rates[rates.size() / 2], rates.front(), rates.back(), batch,
      schemaless ? "schemaless" : "with schemas",
      static_cast<double>(info.messages) / static_cast<double>(events), cpu[cpu.size() / 2]);

  const double ceiling =
      bare_consumer(js, stream, prefix, fmt::format("bare_{}", suffix), batch, info.messages, true);
  const double no_ack_ceiling = bare_consumer(
      js, stream, prefix, fmt::format("bare_noack_{}", suffix), batch, info.messages, false);
  const double events_per_message =
      static_cast<double>(events) / static_cast<double>(std::max<std::uint64_t>(info.messages, 1));
  std::printf("  ceiling in events/s: %.0f\n", ceiling * events_per_message);
  std::printf("  no-ack ceiling in events/s: %.0f\n", no_ack_ceiling * events_per_message);
  std::printf("ratio: transform / bare pull + ack %.2f\n",
              rates[rates.size() / 2] / (ceiling * events_per_message));
  std::printf("ratio: transform / bare pull, no ack %.2f\n",
              rates[rates.size() / 2] / (no_ack_ceiling * events_per_message));

  js.delete_stream(stream);
  admin.exec("DROP DATABASE " + live_db + " WITH (FORCE)");
  return complete ? 0 : 1;
}
