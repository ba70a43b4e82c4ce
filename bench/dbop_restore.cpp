// dbop restore throughput: a real backup of a scratch Live DB (rows given as argv[1], default
// 200000) restored by restore_snapshot into a scratch database on the playback server, timed
// as a whole (choose, download with SHA-256 to a temp folder, CREATE DATABASE, pg_restore -j).
// The ceiling, in the same run: `pg_restore -j` alone of the same dump file into an empty
// database; a `ratio:` line compares the two.
// Needs the stack env (`eval "$(./run stack env)"`). Prints figures; asserts nothing.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "bench_support.hpp"
#include "core/error.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/dsn.hpp"
#include "core/session.hpp"
#include "dbop/restore.hpp"
#include "scheduler/backup_job.hpp"

namespace fs = std::filesystem;
using namespace tapedeck;

int main(int argc, char** argv) {
  const long rows = argc > 1 ? std::stol(argv[1]) : 200000;
  std::mt19937_64 random(std::random_device{}());
  const std::string suffix = fmt::format("{:08x}", random() & 0xffffffff);
  const std::string live_admin = bench::required_env("TAPEDECK_LIVE_DSN");
  const std::string playback = bench::required_env("TAPEDECK_PLAYBACK_DSN");
  const std::string live_name = "tdk_bench_dbop_live_" + suffix;
  const std::string target = "tdk_bench_dbop_" + suffix;
  const std::string ceiling = "tdk_bench_dbop_ceiling_" + suffix;
  const fs::path dir = fs::temp_directory_path() / ("tapedeck-bench-dbop-" + suffix);
  int status = 0;
  try {
    pg::Connection(live_admin, "bench-dbop").exec("CREATE DATABASE " + live_name);
    const std::string live_dsn = pg::with_dbname(live_admin, live_name);
    {
      pg::Connection live(live_dsn, "bench-dbop");
      live.exec(fmt::format(
          "CREATE TABLE orders (id bigint PRIMARY KEY, customer text, amount numeric(12,2), "
          "placed timestamptz, note text); "
          "INSERT INTO orders SELECT g, 'customer ' || (g % 1000), g * 0.01, "
          "now() - g * interval '1 second', repeat(md5(g::text), 2) "
          "FROM generate_series(1, {}) g; "
          "CREATE INDEX orders_by_customer ON orders (customer)",
          rows));
    }
    scheduler::BackupSettings backup_settings;
    backup_settings.live_dsn = live_dsn;
    backup_settings.store.url = "file://" + (dir / "store").string();
    const auto backup = scheduler::run_backup(backup_settings);

    dbop::RestoreSettings settings;
    settings.live_dsn = live_dsn;
    settings.playback_dsn = playback;
    settings.work_dir = dir / "work";
    settings.restore_jobs = 2;
    settings.store.url = backup_settings.store.url;
    const auto start = *session::parse_time(backup.created_at);
    const auto began = std::chrono::steady_clock::now();
    const auto restored = dbop::restore_snapshot(settings, target, start, [] {});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    std::printf(
        "dbop restore: %ld rows, snapshot %.1f MiB, restored in %.2f s (%.1f MiB/s of snapshot, "
        "%.0f rows/s), pg_restore -j %d\n",
        rows, static_cast<double>(restored.bytes) / (1024.0 * 1024.0), seconds,
        static_cast<double>(restored.bytes) / (1024.0 * 1024.0) / seconds,
        static_cast<double>(rows) / seconds, settings.restore_jobs);

    // The dump file as the folder store keeps it: the largest file under it.
    fs::path dump;
    for (const auto& entry : fs::recursive_directory_iterator(dir / "store")) {
      if (entry.is_regular_file() && (dump.empty() || entry.file_size() > fs::file_size(dump))) {
        dump = entry.path();
      }
    }
    pg::Connection(playback, "bench-dbop").exec("CREATE DATABASE " + ceiling);
    const auto ceiling_began = std::chrono::steady_clock::now();
    const int restored_alone = std::system(
        fmt::format("pg_restore --no-owner --no-acl --exit-on-error --jobs={} --dbname='{}' '{}'",
                    settings.restore_jobs, pg::with_dbname(playback, ceiling), dump.string())
            .c_str());
    const double ceiling_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - ceiling_began).count();
    if (restored_alone != 0) {
      std::printf("pg_restore alone failed (status %d)\n", restored_alone);
    } else {
      std::printf("pg_restore -j %d alone (ceiling): %.2f s (%.0f rows/s)\n", settings.restore_jobs,
                  ceiling_seconds, static_cast<double>(rows) / ceiling_seconds);
      std::printf("ratio: dbop restore / pg_restore alone %.2f\n", ceiling_seconds / seconds);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_dbop_restore: %s\n", error.what());
    status = 1;
  }
  try {
    for (const auto& name : {target, ceiling}) {
      pg::Connection(playback, "bench-dbop")
          .exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
    pg::Connection(live_admin, "bench-dbop")
        .exec("DROP DATABASE IF EXISTS " + live_name + " WITH (FORCE)");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_dbop_restore: cleanup: %s\n", error.what());
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return status;
}
