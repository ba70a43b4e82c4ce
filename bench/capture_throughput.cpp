// Benchmark: `tapedeck capture` end to end on the local stack: events/s from WAL to JetStream
// ack, commit-to-arrival latency at a paced 1,000 tx/s, and peak RSS for a 1M-row transaction.
// The ceiling: `pg_recvlogical` decoding the same WAL backlog through pgoutput to /dev/null,
// from a slot of its own, in the same run; a `ratio:` line compares the two.
//
// Needs the stack env (eval "$(./run stack env)") and the tapedeck binary built beside the
// bench folder (or TAPEDECK_BINARY). Runs capture as a child process against a scratch
// database on the stack's server, with its own slot, publication, stream and prefix, and drops
// them at the end (and, first, those an earlier run killed before its cleanup left). Prints
// figures; asserts nothing.
//
//   bench_capture_throughput [--single N] [--batches N] [--latency-seconds S] [--large-rows N]
// (--latency-seconds 0 and --large-rows 0 leave those phases out)

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "core/error.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/jetstream.hpp"
#include "core/nats/library.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/dsn.hpp"
#include "core/pg/params.hpp"
#include "core/sql_quote.hpp"

namespace {

using namespace std::chrono_literals;
using namespace tapedeck;
using Steady = std::chrono::steady_clock;

std::string suffix() {
  std::mt19937_64 generator(std::random_device{}());
  static constexpr char kDigits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(kDigits[generator() % 36]);
  return out;
}

long peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

struct Options {
  int single = 30'000;       // single-row transactions
  int batches = 100;         // 1000-row transactions
  int latency_seconds = 10;  // at 1,000 tx/s
  long large_rows = 1'000'000;
};

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const long value = std::stol(argv[i + 1]);
    if (flag == "--single") options.single = static_cast<int>(value);
    if (flag == "--batches") options.batches = static_cast<int>(value);
    if (flag == "--latency-seconds") options.latency_seconds = static_cast<int>(value);
    if (flag == "--large-rows") options.large_rows = value;
  }
  return options;
}

class Bench {
 public:
  Bench(const Bench&) = delete;
  Bench& operator=(const Bench&) = delete;
  Bench(Bench&&) = delete;
  Bench& operator=(Bench&&) = delete;
  explicit Bench(Options options)
      : options_(options),
        name_("capbench_" + suffix()),
        server_dsn_(bench::required_env("TAPEDECK_LIVE_DSN")),
        nats_url_(bench::required_env("TAPEDECK_NATS_URL")),
        log_file_((std::filesystem::temp_directory_path() / (name_ + ".log")).string()) {
    pg::Connection server(server_dsn_);
    sweep_earlier_runs(server);
    server.exec("CREATE DATABASE " + name_);
    dsn_ = pg::with_dbname(server_dsn_, name_);
    db_ = std::make_unique<pg::Connection>(dsn_);
    db_->exec(
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer varchar(64) NOT NULL, "
        "status text, amount numeric(12,2), created_at timestamptz, paid boolean, "
        "attributes jsonb)");
    nats::ConnectOptions connect;
    connect.url = nats_url_;
    nats_ = std::make_unique<nats::Connection>(connect);
    js_ = std::make_unique<nats::JetStream>(*nats_);
  }

  ~Bench() {
    capture_.reset();
    db_.reset();
    try {
      js_->delete_stream(stream());
      pg::Connection server(server_dsn_);
      drop_slot(server, name_);
      drop_slot(server, ceiling_slot());
      server.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& error) {
      std::cerr << "cleanup of " << name_ << ": " << error.what() << "\n";
    }
    js_.reset();
    nats_.reset();
  }

  void run() {
    std::cout << "capture benchmark: scratch database " << name_ << ", capture log " << log_file_
              << "\n";
    start_capture();  // creates publication, slot and stream
    stop_capture();
    db_->exec_params("SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
                     pg::Params::of(ceiling_slot()));

    // Throughput: the WAL is written first while capture is stopped, then capture drains it,
    // then pg_recvlogical drains the same WAL from its own slot.
    db_->exec(fmt_insert_loop(options_.single, 1));
    compare("single-row transactions", static_cast<std::uint64_t>(options_.single) * 3,
            options_.single);
    db_->exec(fmt_insert_loop(options_.batches, 1000));
    compare("1000-row transactions", static_cast<std::uint64_t>(options_.batches) * 1002,
            static_cast<std::uint64_t>(options_.batches) * 1000);

    // Either phase is left out when given 0.
    if (options_.latency_seconds > 0) latency();
    if (options_.large_rows > 0) {
      if (!capture_) start_capture();
      large_transaction();
    }
    stop_capture();
  }

 private:
  // Drops replication slot `slot` if it exists, waiting up to 10 s for the walsender using it
  // to end; throws when it does not.
  static void drop_slot(pg::Connection& server, const std::string& slot) {
    for (int attempt = 0;; ++attempt) {
      try {
        server.exec_params(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE slot_name = $1",
            pg::Params::of(slot));
        return;
      } catch (const Error&) {
        if (attempt == 100) throw;
        std::this_thread::sleep_for(100ms);
      }
    }
  }

  // A run killed before its cleanup (a timeout, ^C) leaves its scratch database and slots behind,
  // and the slots hold WAL for as long as they exist: drop those of earlier runs first. (Two
  // runs at once would measure each other anyway.)
  static void sweep_earlier_runs(pg::Connection& server) {
    const auto slots = server.exec(
        "SELECT slot_name, pg_terminate_backend(active_pid) IS NOT NULL "
        "FROM pg_replication_slots WHERE slot_name LIKE 'capbench\\_%'");
    for (int row = 0; row < slots.rows(); ++row) {
      const auto slot = slots.get<std::string>(row, 0);
      drop_slot(server, slot);
      std::cout << "dropped replication slot " << slot << " left by an earlier run\n";
    }
    const auto databases =
        server.exec("SELECT datname FROM pg_database WHERE datname LIKE 'capbench\\_%'");
    for (int row = 0; row < databases.rows(); ++row) {
      const auto database = databases.get<std::string>(row, 0);
      server.exec("DROP DATABASE " + sql::quote_identifier(database) + " WITH (FORCE)");
      std::cout << "dropped database " << database << " left by an earlier run\n";
    }
  }

  std::string stream() const { return "CAPBENCH_" + name_.substr(9); }
  std::string ceiling_slot() const { return name_ + "_ceiling"; }

  void compare(const std::string& label, std::uint64_t events, std::uint64_t rows) {
    const std::string end_lsn(db_->exec("SELECT pg_current_wal_lsn()::text").text(0, 0));
    const double capture_rows = throughput(label, events, rows);
    const double ceiling_rows = recvlogical(label, end_lsn, rows);
    std::printf("ratio: capture / pg_recvlogical, %s %.2f\n", label.c_str(),
                ceiling_rows > 0 ? capture_rows / ceiling_rows : 0.0);
  }

  // pg_recvlogical from the ceiling slot up to `end_lsn`, pgoutput to /dev/null; rows/s.
  double recvlogical(const std::string& label, const std::string& end_lsn, std::uint64_t rows) {
    const std::string command = fmt::format(
        "pg_recvlogical -d '{}' -S {} --start -E {} -o proto_version=1 -o publication_names={} "
        "-f /dev/null --no-loop >> '{}' 2>&1",
        dsn_, ceiling_slot(), end_lsn, name_, log_file_);
    const auto start = Steady::now();
    const bench::CpuSplit cpu;
    const int status = std::system(command.c_str());
    const double seconds = std::chrono::duration<double>(Steady::now() - start).count();
    const std::string split = cpu.summary();
    if (status != 0) {
      std::printf("pg_recvlogical failed (status %d); see %s\n", status, log_file_.c_str());
      return 0;
    }
    std::printf("%-26s pg_recvlogical (ceiling): %9.0f rows/s (%.2f s)\n", label.c_str(),
                static_cast<double>(rows) / seconds, seconds);
    std::printf("%-26s   %s\n", "", split.c_str());
    return static_cast<double>(rows) / seconds;
  }
  std::string prefix() const { return name_; }

  void start_capture() {
    capture_ =
        std::make_unique<bench::TapedeckProcess>(std::vector<std::string>{"capture"},
                                                 std::map<std::string, std::string>{
                                                     {"TAPEDECK_LIVE_DSN", dsn_},
                                                     {"TAPEDECK_CAPTURE_SLOT_NAME", name_},
                                                     {"TAPEDECK_CAPTURE_PUBLICATION", name_},
                                                     {"TAPEDECK_NATS_CDC_STREAM", stream()},
                                                     {"TAPEDECK_NATS_CDC_PREFIX", prefix()},
                                                     {"TAPEDECK_CAPTURE_CONFIRM_MODE", "puback"},
                                                     {"TAPEDECK_CAPTURE_LISTEN", "127.0.0.1:0"},
                                                 },
                                                 log_file_);
    for (int i = 0; i < 600; ++i) {
      const auto result = db_->exec_params(
          "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND active "
          "AND confirmed_flush_lsn IS NOT NULL",
          pg::Params::of(name_));
      if (result.text(0, 0) == "1") return;
      std::this_thread::sleep_for(50ms);
    }
    throw std::runtime_error("capture did not start streaming; see " + log_file_);
  }
  void stop_capture() { capture_.reset(); }

  std::uint64_t stored() { return js_->stream_info(stream()).messages; }

  // A DO block that commits `transactions` transactions of `rows` rows each.
  std::string fmt_insert_loop(int transactions, int rows) {
    const long first = next_id_;
    next_id_ += static_cast<long>(transactions) * rows;
    std::ostringstream sql;
    sql << "DO $$ BEGIN FOR t IN 0.." << transactions - 1 << " LOOP "
        << "INSERT INTO orders SELECT g, 'customer ' || g, 'new', g % 100000 / 100.0, "
           "now(), g % 2 = 0, jsonb_build_object('n', g, 'tag', 'x') FROM generate_series("
        << first << " + t * " << rows << ", " << first << " + t * " << rows << " + " << rows - 1
        << ") g; COMMIT; END LOOP; END $$";
    return sql.str();
  }

  // Starts capture on a WAL backlog and times how fast the stream fills: from the first
  // stored event to the last, polled every 10 ms.
  // Returns rows/s.
  double throughput(const std::string& label, std::uint64_t events, std::uint64_t rows) {
    const std::uint64_t before = stored();
    const std::uint64_t target = before + events;
    const bench::CpuSplit cpu;
    start_capture();
    Steady::time_point first_seen;
    std::uint64_t at_first = 0;
    const auto deadline = Steady::now() + 600s;
    while (Steady::now() < deadline) {
      const std::uint64_t now_stored = stored();
      if (at_first == 0 && now_stored > before) {
        first_seen = Steady::now();
        at_first = now_stored;
      }
      if (now_stored >= target) break;
      std::this_thread::sleep_for(10ms);
    }
    const double seconds = std::chrono::duration<double>(Steady::now() - first_seen).count();
    const std::string split = cpu.summary();
    const auto counted = static_cast<double>(stored() - at_first);
    const double rows_per_second =
        static_cast<double>(rows) * counted / static_cast<double>(events) / seconds;
    std::printf("%-26s %8llu events (%llu rows): %9.0f events/s, %9.0f rows/s (%.2f s)\n",
                label.c_str(), static_cast<unsigned long long>(events),
                static_cast<unsigned long long>(rows), counted / seconds, rows_per_second, seconds);
    std::printf("%-26s   %s\n", "", split.c_str());
    stop_capture();
    return rows_per_second;
  }

  // Commits single-row transactions at 1,000 tx/s for a while; a subscriber on the table's
  // subject notes when each event arrives. Latency = arrival - the client's commit return.
  void latency() {
    start_capture();
    // A restarted capture first decodes again what its slot had not confirmed (its events are
    // dropped as duplicates by the stream); the paced run starts once a warm-up row is through.
    const std::uint64_t before_warm_up = stored();
    db_->exec_params("INSERT INTO orders VALUES ($1, 'warm-up', 'new', 0, now(), true, '{}')",
                     pg::Params::of(next_id_++));
    const auto warm_up_deadline = Steady::now() + 120s;
    while (stored() < before_warm_up + 3 && Steady::now() < warm_up_deadline) {
      std::this_thread::sleep_for(10ms);
    }
    const int total = options_.latency_seconds * 1000;
    const long first_id = next_id_;
    next_id_ += total;
    std::vector<std::int64_t> committed(static_cast<std::size_t>(total), 0);
    std::vector<std::int64_t> arrived(static_cast<std::size_t>(total), 0);
    std::atomic<bool> done{false};
    auto since = [](Steady::time_point origin) {
      return std::chrono::duration_cast<std::chrono::microseconds>(Steady::now() - origin).count();
    };
    const auto origin = Steady::now();
    nats::Subscription subscription = nats_->subscribe(prefix() + ".public.orders");
    nats_->flush(5s);
    std::thread reader([&] {
      static constexpr std::string_view kAfterId = "\"after\":{\"id\":";
      int received = 0;
      while (received < total && !done.load()) {
        auto message = subscription.next(200ms);
        if (!message) continue;
        const std::int64_t at = since(origin);
        const std::string_view data = message->data();
        const auto pos = data.find(kAfterId);
        if (pos == std::string_view::npos) continue;
        const long id = std::strtol(data.data() + pos + kAfterId.size(), nullptr, 10);
        const long index = id - first_id;
        if (index < 0 || index >= total) continue;
        if (arrived[static_cast<std::size_t>(index)] == 0) ++received;
        arrived[static_cast<std::size_t>(index)] = at;
      }
    });
    db_->prepare("lat",
                 "INSERT INTO orders VALUES ($1, 'customer', 'new', 12.34, now(), true, "
                 "'{\"n\": 1}')");
    const auto start = Steady::now();
    for (int i = 0; i < total; ++i) {
      std::this_thread::sleep_until(start + std::chrono::microseconds(1000L * i));
      db_->exec_prepared("lat", pg::Params::of(first_id + i));
      committed[static_cast<std::size_t>(i)] = since(origin);
    }
    const double write_seconds = std::chrono::duration<double>(Steady::now() - start).count();
    const auto wait_until = Steady::now() + 60s;
    while (Steady::now() < wait_until && std::count(arrived.begin(), arrived.end(), 0) > 0) {
      std::this_thread::sleep_for(50ms);
    }
    done = true;
    reader.join();
    std::vector<double> latencies;
    for (int i = 0; i < total; ++i) {
      if (arrived[i] > 0) {
        latencies.push_back(static_cast<double>(arrived[i] - committed[i]) / 1000.0);
      }
    }
    std::sort(latencies.begin(), latencies.end());
    auto pct = [&](double p) {
      return latencies.empty()
                 ? 0.0
                 : latencies[std::min(
                       latencies.size() - 1,
                       static_cast<std::size_t>(p * static_cast<double>(latencies.size())))];
    };
    std::printf(
        "latency at %.0f tx/s (%d tx, %zu arrived): p50 %.2f ms, p99 %.2f ms, max %.2f ms "
        "(commit returned -> event at a subscriber of the stream's subject)\n",
        total / write_seconds, total, latencies.size(), pct(0.50), pct(0.99),
        latencies.empty() ? 0.0 : latencies.back());
  }

  // One transaction of large_rows rows through a running capture; its peak RSS before/after.
  void large_transaction() {
    const long rss_before = peak_rss_kib(capture_->pid());
    const std::uint64_t before = stored();
    const std::uint64_t target = before + static_cast<std::uint64_t>(options_.large_rows) + 2;
    const long first = next_id_;
    next_id_ += options_.large_rows;
    const bench::CpuSplit cpu;
    const auto start = Steady::now();
    db_->exec_params(
        "INSERT INTO orders SELECT g, 'customer ' || g, 'new', g % 100000 / 100.0, now(), "
        "g % 2 = 0, jsonb_build_object('n', g) FROM generate_series($1::bigint, $2::bigint) g",
        pg::Params::of(first, first + options_.large_rows - 1));
    const double commit_seconds = std::chrono::duration<double>(Steady::now() - start).count();
    const auto deadline = Steady::now() + 900s;
    while (Steady::now() < deadline && stored() < target) std::this_thread::sleep_for(50ms);
    const double seconds = std::chrono::duration<double>(Steady::now() - start).count();
    const std::string split = cpu.summary();
    const long rss_after = peak_rss_kib(capture_->pid());
    std::printf(
        "%ld-row transaction: committed in %.1f s, all %llu events stored %.1f s after the "
        "INSERT began; capture peak RSS %ld KiB before, %ld KiB after\n",
        options_.large_rows, commit_seconds, static_cast<unsigned long long>(target - before),
        seconds, rss_before, rss_after);
    std::printf("%-26s   %s\n", "", split.c_str());
  }

  Options options_;
  nats::LibraryGuard library_;
  std::string name_;
  std::string server_dsn_;
  std::string nats_url_;
  std::string log_file_;
  std::string dsn_;
  long next_id_ = 1;
  std::unique_ptr<pg::Connection> db_;
  std::unique_ptr<nats::Connection> nats_;
  std::unique_ptr<nats::JetStream> js_;
  std::unique_ptr<bench::TapedeckProcess> capture_;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    Bench bench(parse_options(argc, argv));
    bench.run();
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "bench_capture_throughput: " << error.what() << "\n";
    return 1;
  }
}
