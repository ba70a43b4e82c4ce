// Backup memory: the backup job's peak resident memory while it streams the dump of a large
// Live DB (argv[1] MB of table data, default 1024) to the folder store and to s3rver. pg_dump
// runs in its own process; the figure is this process's, which holds the upload path (pipe
// reads, SHA-256, S3 multipart parts). Needs the stack env (`eval "$(./run stack env)"`).
// Prints figures; asserts nothing.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "bench_support.hpp"
#include "core/error.hpp"
#include "core/http/client.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/dsn.hpp"
#include "core/storage/object_store.hpp"
#include "scheduler/backup_job.hpp"

namespace fs = std::filesystem;
using namespace tapedeck;

namespace {

// Peak and current resident set of this process, in MiB (VmHWM, VmRSS).
std::pair<double, double> resident_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  double peak = 0;
  double now = 0;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) peak = std::stod(line.substr(6)) / 1024;
    if (line.rfind("VmRSS:", 0) == 0) now = std::stod(line.substr(6)) / 1024;
  }
  return {peak, now};
}

// Resets VmHWM to the current RSS (Linux >= 4.0), so each run's peak is its own.
void reset_peak() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

void measure(const char* label, scheduler::BackupSettings settings) {
  reset_peak();
  const double before = resident_mib().second;
  const auto start = std::chrono::steady_clock::now();
  const auto record = scheduler::run_backup(settings);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double peak = resident_mib().first;
  std::printf(
      "%-7s dump %.0f MiB in %.1f s (%.0f MiB/s); resident before %.0f MiB, peak %.0f MiB "
      "(+%.0f MiB)\n",
      label, static_cast<double>(record.size_bytes) / 1048576.0, seconds,
      static_cast<double>(record.size_bytes) / 1048576.0 / seconds, before, peak, peak - before);
  std::fflush(stdout);
  storage::open_store(settings.store)->remove(storage::ObjectKey(record.object_key));
}

}  // namespace

int main(int argc, char** argv) {
  const long megabytes = argc > 1 ? std::stol(argv[1]) : 1024;
  http::CurlGlobal curl;
  std::mt19937_64 random(std::random_device{}());
  const std::string suffix = fmt::format("{:08x}", random() & 0xffffffff);
  const std::string admin = bench::required_env("TAPEDECK_LIVE_DSN");
  const std::string live_name = "tdk_bench_backup_" + suffix;
  const fs::path folder = fs::temp_directory_path() / ("tapedeck-bench-backup-" + suffix);
  int status = 0;
  try {
    pg::Connection(admin, "bench-backup").exec("CREATE DATABASE " + live_name);
    const std::string live_dsn = pg::with_dbname(admin, live_name);
    {
      // Rows of 1 KiB of hex from random(): little for pg_dump's compression to squeeze.
      pg::Connection live(live_dsn, "bench-backup");
      live.exec(fmt::format(
          "CREATE TABLE blobs (id bigint PRIMARY KEY, payload text); "
          "INSERT INTO blobs SELECT g, (SELECT string_agg(md5(random()::text || g || k), '') "
          "FROM generate_series(1, 32) k) FROM generate_series(1, {}) g",
          megabytes * 1024));
      const auto size = live.exec("SELECT pg_database_size(current_database())");
      std::printf("Live DB %s: %.0f MiB\n", live_name.c_str(),
                  std::stod(std::string(size.text(0, 0))) / 1048576.0);
    }
    scheduler::BackupSettings settings;
    settings.live_dsn = live_dsn;
    settings.store.url = "file://" + folder.string();
    measure("folder", settings);

    settings.store.url =
        "s3://" + bench::required_env("TAPEDECK_STACK_S3_BUCKET") + "/bench-" + suffix;
    settings.store.s3.endpoint = bench::required_env("TAPEDECK_S3_ENDPOINT");
    settings.store.s3.access_key = "S3RVER";
    settings.store.s3.secret_key = "S3RVER";
    settings.store.s3.path_style = true;
    measure("s3rver", settings);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_backup_memory: %s\n", error.what());
    status = 1;
  }
  std::error_code ignored;
  fs::remove_all(folder, ignored);
  try {
    pg::Connection(admin, "bench-backup")
        .exec("DROP DATABASE IF EXISTS " + live_name + " WITH (FORCE)");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_backup_memory: dropping %s: %s\n", live_name.c_str(), error.what());
  }
  return status;
}
