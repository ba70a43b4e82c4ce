// Catch-up throughput against, on the same recorded changes in the same run, `psql -1 -f`, one
// multi-statement query, a pipelined group-commit apply (libpq pipeline mode, 1000 statements
// per commit, statements already in memory) and the same with each statement prepared by its
// shape (taken apart before the clock starts: the ceiling catch-up aims at), and
// paced-replay timing error at 1,000 tx/s times --speed. Needs the stack env (./run stack env).
// Figures only.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/http/client.hpp"
#include "core/metrics.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/jetstream.hpp"
#include "core/nats/library.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/copy.hpp"
#include "core/pg/dsn.hpp"
#include "core/schema/store_schema.hpp"
#include "core/session.hpp"
#include "core/sessions/session_events.hpp"
#include "core/sessions/session_store.hpp"
#include "core/txid_snapshot.hpp"
#include "msgop/catch_up.hpp"
#include "msgop/recording_reader.hpp"
#include "msgop/session_runner.hpp"

using namespace tapedeck;
using namespace std::chrono_literals;

namespace {

double seconds_since(std::chrono::steady_clock::time_point began) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
}

// COPY text format: escape backslash, tab, newline, carriage return.
void append_copy_field(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

struct Workload {
  std::vector<std::vector<std::string>> transactions;
  std::int64_t statements = 0;
};

// Seeded mix in transactions of 1..100 rows: inserts (`insert_percent`), the rest 70% updates
// and 30% deletes (by default 50%, 35%, 15%).
Workload make_workload(std::int64_t changes, std::uint64_t seed, int insert_percent) {
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<int> size(1, 100);
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<std::int64_t> live;
  std::int64_t next_id = 1;
  Workload workload;
  while (workload.statements < changes) {
    const int rows =
        static_cast<int>(std::min<std::int64_t>(size(random), changes - workload.statements));
    std::vector<std::string> tx;
    for (int i = 0; i < rows; ++i) {
      const int dice = pick(random);
      if (live.empty() || dice < insert_percent) {
        const std::int64_t id = next_id++;
        live.push_back(id);
        tx.push_back(fmt::format(
            "INSERT INTO \"public\".\"bench\" (\"id\", \"n\", \"label\", \"at\", \"ok\") VALUES "
            "({}, {}, 'device-{}-\"x\"''s', '2026-01-01 10:00:{:02}.{:06}+00', {})",
            id, static_cast<int>(random() % 100000), id, id % 60, id % 1000000,
            id % 2 == 0 ? "true" : "false"));
      } else {
        const std::size_t at = random() % live.size();
        const std::int64_t id = live[at];
        if (dice < insert_percent + (100 - insert_percent) * 7 / 10) {
          tx.push_back(
              fmt::format("UPDATE \"public\".\"bench\" SET \"n\" = {}, \"label\" = 'updated {}' "
                          "WHERE \"id\" = {}",
                          static_cast<int>(random() % 100000), id, id));
        } else {
          tx.push_back(fmt::format("DELETE FROM \"public\".\"bench\" WHERE \"id\" = {}", id));
          live[at] = live.back();
          live.pop_back();
        }
      }
    }
    workload.statements += rows;
    workload.transactions.push_back(std::move(tx));
  }
  return workload;
}

constexpr const char* kBenchTable =
    "CREATE TABLE bench (id bigint PRIMARY KEY, n int NOT NULL, label text NOT NULL, "
    "at timestamptz NOT NULL, ok boolean NOT NULL)";

std::string table_checksum(const std::string& dsn) {
  pg::Connection db(dsn);
  return db
      .exec(
          "SELECT count(*)::text || ':' || coalesce(md5(string_agg(bench::text, ',' ORDER BY id)), "
          "'') FROM bench")
      .get<std::string>(0, 0);
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index =
      static_cast<std::size_t>(std::lround(p * static_cast<double>(values.size() - 1)));
  return values[std::min(index, values.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t changes = 1'000'000;
  int paced_transactions = 3000;
  std::int64_t retained = 0;  // statements recorded before and after the paced window
  int insert_percent = 50;
  std::string speed_text = "1";  // paced replay's speed: the recording is at 1,000 tx/s
  int batch_statements = msgop::CatchUpOptions{}.batch_statements;  // msgop.batch_statements
  // --apply-overwritten: every UPDATE applied, as with a trigger that fires (for an A/B run).
  msgop::Overwritten overwritten_mode = msgop::CatchUpOptions{}.overwritten;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--changes" && i + 1 < argc) {
      changes = std::stoll(argv[++i]);
    } else if (arg == "--paced" && i + 1 < argc) {
      paced_transactions = std::stoi(argv[++i]);
    } else if (arg == "--retained" && i + 1 < argc) {
      retained = std::stoll(argv[++i]);
    } else if (arg == "--inserts" && i + 1 < argc) {
      insert_percent = std::clamp(std::stoi(argv[++i]), 0, 100);
    } else if (arg == "--speed" && i + 1 < argc) {
      speed_text = argv[++i];
    } else if (arg == "--batch" && i + 1 < argc) {
      batch_statements = std::max(1, std::stoi(argv[++i]));
    } else if (arg == "--apply-overwritten") {
      overwritten_mode = msgop::Overwritten::applied;
    } else {
      std::cerr << "usage: bench_msgop_catch_up [--changes N] [--paced TRANSACTIONS] "
                   "[--retained STATEMENTS] [--inserts PERCENT] [--speed FACTOR] "
                   "[--batch STATEMENTS] [--apply-overwritten]\n";
      return 2;
    }
  }
  const session::Speed speed = session::Speed::parse(speed_text);
  if (speed.is_max()) {
    std::cerr << "--speed takes a factor: paced replay at max speed has no schedule to keep\n";
    return 2;
  }
  const double factor = static_cast<double>(speed.millionths()) / session::Speed::one;
  nats::LibraryGuard library;
  http::CurlGlobal curl;
  const std::string base_dsn = bench::required_env("TAPEDECK_STORE_DSN");
  const std::string playback_dsn = bench::required_env("TAPEDECK_PLAYBACK_DSN");
  pg::Connection admin(base_dsn, "bench-msgop");
  bench::ScratchDatabases scratch(admin);
  std::mt19937_64 names(std::random_device{}());
  const std::string suffix = fmt::format("{:08x}", names() & 0xffffffff);

  // --- the recording ---------------------------------------------------------------------------
  auto began = std::chrono::steady_clock::now();
  const Workload workload = make_workload(changes, 20261124, insert_percent);
  const std::string store_dsn = pg::with_dbname(base_dsn, scratch.create("bench_store_" + suffix));
  pg::Connection store(store_dsn, "bench-msgop");
  schema::migrate_store(store);
  const std::string sql_file = fmt::format("/tmp/bench_msgop_{}.sql", suffix);
  {
    std::ofstream file(sql_file);
    pg::CopyIn copy(store,
                    "COPY tapedeck.statements (event_id, commit_lsn, position, xid, commit_time, "
                    "schema_name, table_name, op, sql) FROM STDIN");
    std::string chunk;
    std::uint64_t lsn = 0x1000000;
    std::uint64_t xid = 1000;
    std::int64_t time_us = 1'767'261'600'000'000;  // 2026-01-01T10:00:00Z
    for (const auto& tx : workload.transactions) {
      lsn += 0x100;
      ++xid;
      time_us += 1000;
      for (std::size_t position = 0; position < tx.size(); ++position) {
        const auto& statement = tx[position];
        chunk += fmt::format(
            "e{}-{}\t{:X}/{:X}\t{}\t{}\t{}\t", xid, position, lsn >> 32, lsn & 0xffffffff, position,
            xid, session::format_time(session::Time{std::chrono::microseconds{time_us}}));
        chunk += "public\tbench\t";
        chunk += statement.starts_with("INSERT")   ? 'c'
                 : statement.starts_with("UPDATE") ? 'u'
                                                   : 'd';
        chunk += '\t';
        append_copy_field(chunk, statement);
        chunk += '\n';
        file << statement << ";\n";
        if (chunk.size() > (1u << 20)) {
          copy.write(chunk);
          chunk.clear();
        }
      }
    }
    copy.write(chunk);
    copy.finish();
  }
  store.exec("ANALYZE tapedeck.statements");
  std::cout << fmt::format("recorded {} changes in {} transactions ({:.1f} s)\n",
                           workload.statements, workload.transactions.size(), seconds_since(began));

  const std::string base_db = scratch.create("bench_base_" + suffix);
  pg::Connection(pg::with_dbname(playback_dsn, base_db)).exec(kBenchTable);

  // --- 1: msgop catch-up -----------------------------------------------------------------------
  const std::string msgop_dsn =
      pg::with_dbname(playback_dsn, scratch.create("bench_msgop_" + suffix, base_db));
  double msgop_seconds = 0;
  std::int64_t overwritten = 0;
  std::string msgop_cpu;
  {
    pg::Connection target(msgop_dsn, "bench-msgop");
    msgop::CatchUpOptions options;
    options.batch_statements = batch_statements;
    options.overwritten = overwritten_mode;
    bench::settle(admin);  // the recording's writes are not catch-up's
    const bench::CpuSplit cpu;
    began = std::chrono::steady_clock::now();
    const auto result =
        msgop::catch_up(store, target,
                        msgop::TransactionFilter::catch_up(
                            TxidSnapshot::parse("1000:1000:"),
                            msgop::Instant{std::chrono::microseconds{4'000'000'000'000'000}}),
                        options);
    msgop_seconds = seconds_since(began);
    msgop_cpu = cpu.summary();
    overwritten = result.overwritten;
    if (result.statements != workload.statements) {
      std::cerr << "catch-up applied " << result.statements << " statements, expected "
                << workload.statements << "\n";
      return 1;
    }
  }

  // --- 2: psql -1 -f ---------------------------------------------------------------------------
  const std::string psql_dsn =
      pg::with_dbname(playback_dsn, scratch.create("bench_psql_" + suffix, base_db));
  began = std::chrono::steady_clock::now();
  const std::string command =
      fmt::format("psql -X -q -1 -v ON_ERROR_STOP=1 -f {} '{}' >/dev/null", sql_file, psql_dsn);
  if (std::system(command.c_str()) != 0) {
    std::cerr << "psql failed: " << command << "\n";
    return 1;
  }
  const double psql_seconds = seconds_since(began);

  // --- 3: one multi-statement query -----------------------------------------------------------
  const std::string query_dsn =
      pg::with_dbname(playback_dsn, scratch.create("bench_query_" + suffix, base_db));
  double query_seconds = 0;
  {
    std::string all;
    {
      std::ifstream file(sql_file);
      all.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    }
    pg::Connection target(query_dsn, "bench-msgop");
    began = std::chrono::steady_clock::now();
    target.exec(all);
    query_seconds = seconds_since(began);
  }
  std::remove(sql_file.c_str());
  // --- 4: pipelined group commit (the ceiling) -------------------------------------------------
  const std::string pipeline_dsn =
      pg::with_dbname(playback_dsn, scratch.create("bench_pipe_" + suffix, base_db));
  double pipeline_seconds = 0;
  {
    pg::Connection target(pipeline_dsn, "bench-msgop");
    bench::settle(admin);
    pipeline_seconds = bench::apply_pipelined(target, workload.transactions, bench::Sent::as_text,
                                              batch_statements);
  }
  // --- 5: the same, each statement prepared by its shape (the ceiling msgop now aims at) ----
  const std::string prepared_dsn =
      pg::with_dbname(playback_dsn, scratch.create("bench_prep_" + suffix, base_db));
  double prepared_seconds = 0;
  std::string prepared_cpu;
  {
    pg::Connection target(prepared_dsn, "bench-msgop");
    bench::settle(admin);
    const bench::CpuSplit cpu;
    prepared_seconds = bench::apply_pipelined(target, workload.transactions,
                                              bench::Sent::prepared_by_shape, batch_statements);
    prepared_cpu = cpu.summary();
  }
  const std::string expected = table_checksum(query_dsn);
  const bool same = table_checksum(msgop_dsn) == expected && table_checksum(psql_dsn) == expected &&
                    table_checksum(pipeline_dsn) == expected &&
                    table_checksum(prepared_dsn) == expected;
  const double n = static_cast<double>(workload.statements);
  std::cout << fmt::format(
      "msgop catch-up:            {:>10.0f} statements/s ({:.2f} s; {} updates made void later "
      "in their group left out)\n  {}\n",
      n / msgop_seconds, msgop_seconds, overwritten, msgop_cpu);
  std::cout << fmt::format("psql -1 -f:                {:>10.0f} statements/s ({:.2f} s)\n",
                           n / psql_seconds, psql_seconds);
  std::cout << fmt::format("one multi-statement query: {:>10.0f} statements/s ({:.2f} s)\n",
                           n / query_seconds, query_seconds);
  std::cout << fmt::format("pipelined group commit:    {:>10.0f} statements/s ({:.2f} s)\n",
                           n / pipeline_seconds, pipeline_seconds);
  std::cout << fmt::format("  the same, prepared:      {:>10.0f} statements/s ({:.2f} s)\n  {}\n",
                           n / prepared_seconds, prepared_seconds, prepared_cpu);
  // One line per pair: how many times the second's time msgop's rate is.
  std::cout << fmt::format("ratio: msgop/psql {:.2f}\n", psql_seconds / msgop_seconds);
  std::cout << fmt::format("ratio: msgop/one_query {:.2f}\n", query_seconds / msgop_seconds);
  std::cout << fmt::format("ratio: msgop/pipelined_group_commit {:.2f}\n",
                           pipeline_seconds / msgop_seconds);
  std::cout << fmt::format("ratio: msgop/pipelined_prepared {:.2f} (target >= 0.70)\n",
                           prepared_seconds / msgop_seconds);
  std::cout << "resulting tables identical: " << (same ? "yes" : "NO") << "\n";
  // --- paced replay at 1,000 tx/s --------------------------------------------------------------
  if (paced_transactions > 0) {
    const std::string paced_store_dsn =
        pg::with_dbname(base_dsn, scratch.create("bench_pstore_" + suffix));
    pg::Connection paced_store(paced_store_dsn, "bench-msgop");
    schema::migrate_store(paced_store);
    const auto start = *session::parse_time("2026-01-01T10:00:00Z");
    {
      pg::CopyIn copy(paced_store,
                      "COPY tapedeck.statements (event_id, commit_lsn, position, xid, commit_time, "
                      "schema_name, table_name, op, sql) FROM STDIN");
      std::string chunk = fmt::format("p0\t0/100\t0\t10\t{}\tpublic\tpaced\tc\tSELECT 1\n",
                                      session::format_time(start - 1h));
      for (int i = 1; i <= paced_transactions; ++i) {
        chunk += fmt::format(
            "p{}\t0/{:X}\t0\t{}\t{}\tpublic\tpaced\tc\tINSERT INTO paced VALUES ({}, "
            "clock_timestamp())\n",
            i, 0x1000 + i * 16, 100 + i, session::format_time(start + i * 1ms), i);
      }
      // Transform's proof that the recording is stored past the window: a watermark at or
      // above a transaction committed after the session's end.
      chunk += fmt::format(
          "pseal\t0/{:X}\t0\t1\t{}\tpublic\tpaced\tc\tSELECT 1\n",
          0x1000 + (paced_transactions + 1) * 16,
          session::format_time(start + std::chrono::milliseconds(paced_transactions + 1000)));
      copy.write(chunk);
      // What else a store keeps (a week of statements, say): half recorded before the backup
      // (seen by its snapshot: xids below 50, LSNs below 0/100), half after the window, from
      // two minutes after it on, 1,000 a second.
      chunk.clear();
      const auto flush = [&] {
        if (chunk.size() > (1u << 20)) {
          copy.write(chunk);
          chunk.clear();
        }
      };
      for (std::int64_t i = 0; i < retained / 2; ++i) {
        chunk += fmt::format(
            "rb{}\t0/{:X}\t{}\t{}\t{}\tpublic\tpaced\tc\tINSERT INTO paced VALUES ({}, now())\n", i,
            0x10 + (i % 15) * 16, i, 20 + i % 15, session::format_time(start - 2h + i * 1us), -i);
        flush();
      }
      for (std::int64_t i = 0; i < retained - retained / 2; ++i) {
        chunk += fmt::format(
            "ra{}\tFFFFFFF0/{:X}\t0\t{}\t{}\tpublic\tpaced\tc\tINSERT INTO paced VALUES ({}, "
            "now())\n",
            i, 16 * (i + 1), 1'000'000 + i,
            session::format_time(start + std::chrono::milliseconds(paced_transactions) + 2min +
                                 i * 1ms),
            -i);
        flush();
      }
      copy.write(chunk);
      copy.finish();
    }
    if (retained > 0) paced_store.exec("VACUUM ANALYZE tapedeck.statements");
    {
      // A session's start-up reads what its catch-up needs only, however much was recorded
      // after its start: here nothing to apply, and retained / 2 statements after the window.
      // Three times: the first one also pays for cold caches and planning.
      paced_store.exec("SET jit = off");  // as msgop's store connections do
      std::string took;
      msgop::CatchUpExtent extent;
      for (int attempt = 0; attempt < 3; ++attempt) {
        const auto measuring = std::chrono::steady_clock::now();
        extent = msgop::measure_catch_up(paced_store, TxidSnapshot::parse("50:50:"),
                                         *Lsn::parse("0/100"), start);
        took += fmt::format("{}{:.1f}", attempt == 0 ? "" : " / ", seconds_since(measuring) * 1000);
      }
      std::cout << fmt::format(
          "session start-up: measuring its catch-up took {} ms ({} statements to apply; {} "
          "recorded after its start)\n",
          took, extent.statements, paced_transactions + 1 + (retained - retained / 2));
    }
    paced_store.exec(
        "INSERT INTO tapedeck.watermarks (name, lsn) VALUES ('TAPEDECK_CDC', 'FFFFFFFF/0')");
    session::Store sessions(paced_store);
    session::NewSession created;
    created.start = start;
    created.end = start + std::chrono::milliseconds(paced_transactions + 100);
    created.speed = speed;
    created.database_template = "bench_paced_<id>";
    const auto record = sessions.create(created);
    sessions.transition(record.id, session::Transition::restore_begin);
    sessions.transition(record.id, session::Transition::restore_ok,
                        session::TransitionDetails::restored({1, "0/100", "50:50:"}));
    scratch.create(record.database_name);
    const std::string paced_dsn = pg::with_dbname(playback_dsn, record.database_name);
    pg::Connection(paced_dsn).exec(
        "CREATE TABLE paced (seq int PRIMARY KEY, applied_at timestamptz)");

    nats::ConnectOptions options;
    options.url = bench::required_env("TAPEDECK_NATS_URL");
    nats::Connection nats(options);
    {
      nats::JetStream jetstream(nats);
      session::ensure_events_stream(jetstream, config::Config::load(std::nullopt, {}));
    }
    msgop::RunnerSettings settings;
    settings.store_dsn = paced_store_dsn;
    settings.playback_dsn = playback_dsn;
    settings.drop_on_end = false;
    settings.worker = "bench-msgop";
    SystemClock clock;
    Metrics registry;
    msgop::MsgopMetrics metrics(registry);
    auto claim = msgop::claim_session(settings, record.id);
    msgop::SessionRunner runner(settings, record.id, std::move(*claim), nats, clock, metrics);
    std::thread thread([&] { runner.run(); });
    while (sessions.get(record.id).state == session::State::catching_up)
      std::this_thread::sleep_for(50ms);
    sessions.transition(record.id, session::Transition::start);
    while (!session::is_terminal(sessions.get(record.id).state)) std::this_thread::sleep_for(200ms);
    thread.join();
    const auto final_record = sessions.get(record.id);

    pg::Connection paced(paced_dsn);
    const auto rows = paced.exec(
        "SELECT seq, (extract(epoch FROM applied_at) * 1000000)::int8 FROM paced ORDER BY seq");
    // Lateness of each transaction against its schedule, relative to the least late one (t0 is
    // msgop's; the schedule's offsets are the recorded 1 ms steps divided by the speed). A
    // replay that falls behind shows as a lateness that grows to the end: the max.
    std::vector<double> offsets;
    offsets.reserve(static_cast<std::size_t>(rows.rows()));
    for (int row = 0; row < rows.rows(); ++row) {
      offsets.push_back(static_cast<double>(rows.get<std::int64_t>(row, 1)) / 1000.0 -
                        rows.get<int>(row, 0) / factor);
    }
    const double least = offsets.empty() ? 0 : *std::min_element(offsets.begin(), offsets.end());
    for (auto& value : offsets) value -= least;
    const double last = offsets.empty() ? 0 : offsets.back();
    std::cout << fmt::format(
        "paced replay at {:.0f} tx/s (speed {}, {} transactions, {} other statements retained, "
        "state {}): timing error p50 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms, last {:.3f} ms\n",
        1000 * factor, speed.str(), rows.rows(), retained, session::to_string(final_record.state),
        percentile(offsets, 0.5), percentile(offsets, 0.99), percentile(offsets, 1.0), last);
  }
  return 0;
}
