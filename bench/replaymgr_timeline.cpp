// The cost of GET /api/timeline's store side on a recording of ~1M statements: what the route
// runs on the TransformMsg DB (recorded_span, then count_activity over the window of
// timeline_window, then timeline_json), beside a ceiling measured in the same run: the bare
// count(*) of the same rows through libpq, which any per-interval count has to match at least.
// Needs the stack env (./run stack env). Prints figures, asserts nothing.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/copy.hpp"
#include "core/pg/dsn.hpp"
#include "core/recording/activity.hpp"
#include "core/schema/store_schema.hpp"
#include "core/session.hpp"
#include "replaymgr/timeline.hpp"

using namespace tapedeck;

namespace {

double seconds_since(std::chrono::steady_clock::time_point began) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
}

// The median of `runs` timings of `what`, in milliseconds (one untimed warm-up run first, so
// both sides read a warm cache).
double median_ms(int runs, const std::function<void()>& what) {
  what();
  std::vector<double> timings;
  for (int i = 0; i < runs; ++i) {
    const auto began = std::chrono::steady_clock::now();
    what();
    timings.push_back(seconds_since(began) * 1000.0);
  }
  std::sort(timings.begin(), timings.end());
  return timings[timings.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t statements = 1'000'000;
  int runs = 7;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--statements" && i + 1 < argc) {
      statements = std::stoll(argv[++i]);
    } else if (arg == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::stoi(argv[++i]));
    } else {
      std::cerr << "usage: bench_replaymgr_timeline [--statements N] [--runs N]\n";
      return 2;
    }
  }
  const std::string base_dsn = bench::required_env("TAPEDECK_STORE_DSN");
  pg::Connection admin(base_dsn, "bench-timeline");
  std::mt19937_64 random(std::random_device{}());
  bench::ScratchDatabases scratch(admin);
  const std::string store_db =
      scratch.create(fmt::format("bench_timeline_{:08x}", random() & 0xffffffff));
  pg::Connection store(pg::with_dbname(base_dsn, store_db), "bench-timeline");
  schema::migrate_store(store);

  // --- the recording: transactions of 10 statements, one every 10 ms (~28 h for 1M) ----------
  auto began = std::chrono::steady_clock::now();
  {
    pg::CopyIn copy(store,
                    "COPY tapedeck.statements (event_id, commit_lsn, position, xid, commit_time, "
                    "schema_name, table_name, op, sql) FROM STDIN");
    std::string chunk;
    std::uint64_t lsn = 0x1000000;
    std::uint64_t xid = 1000;
    std::int64_t time_us = 1'767'261'600'000'000;  // 2026-01-01T10:00:00Z
    for (std::int64_t done = 0; done < statements;) {
      lsn += 0x100;
      ++xid;
      time_us += 10'000;
      const auto time = session::format_time(session::Time{std::chrono::microseconds{time_us}});
      for (int position = 0; position < 10 && done < statements; ++position, ++done) {
        chunk += fmt::format(
            "e{}-{}\t{:X}/{:X}\t{}\t{}\t{}\tpublic\tbench\tc\tINSERT INTO \"public\".\"bench\" "
            "(\"id\") VALUES ({})\n",
            xid, position, lsn >> 32, lsn & 0xffffffff, position, xid, time, done);
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
  store.exec("VACUUM tapedeck.statements");  // the visibility map, as on a settled recording
  std::cout << fmt::format("recorded {} statements ({:.1f} s)\n", statements, seconds_since(began));

  // --- GET /api/timeline's store side, default window and buckets -----------------------------
  replaymgr::TimelineFacts facts;
  facts.span = recording::recorded_span(store);
  const auto window = replaymgr::timeline_window(replaymgr::TimelineRequest{}, facts);
  if (!window) {
    std::cerr << "no timeline window over the recording\n";
    return 1;
  }
  std::size_t answer_bytes = 0;
  const double route_ms = median_ms(runs, [&] {
    replaymgr::TimelineFacts timed;
    timed.span = recording::recorded_span(store);
    const auto activity = recording::count_activity(store, *window);
    answer_bytes = replaymgr::timeline_json(timed, window, activity).dump().size();
  });

  // --- the ceiling: the bare aggregate over the same rows --------------------------------------
  const auto from = window->from.time_since_epoch().count();
  const auto to = window->to.time_since_epoch().count();
  const std::string bare = fmt::format(
      "SELECT count(*) FROM tapedeck.statements WHERE commit_time >= to_timestamp(0) + {} * "
      "interval '1 microsecond' AND commit_time <= to_timestamp(0) + {} * interval '1 "
      "microsecond'",
      from, to);
  std::int64_t counted = 0;
  const double bare_ms =
      median_ms(runs, [&] { counted = store.exec(bare).get<std::int64_t>(0, 0); });

  std::cout << fmt::format(
      "GET /api/timeline store side ({} buckets, {} statements, answer {} bytes): median "
      "{:.1f} ms over {} runs\n",
      window->count, statements, answer_bytes, route_ms, runs);
  std::cout << fmt::format(
      "ceiling: bare count(*) of the same {} rows via libpq: median {:.1f} ms\n", counted, bare_ms);
  std::cout << fmt::format("ratio: {:.2f}x the bare aggregate\n",
                           bare_ms > 0 ? route_ms / bare_ms : 0.0);
  return 0;
}
