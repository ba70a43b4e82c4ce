// Restoring a session's snapshot into its own database.
#include "dbop/restore.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <fstream>
#include <iterator>
#include <ostream>
#include <streambuf>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/pg/client_programs.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/dsn.hpp"
#include "core/sessions/session_database.hpp"
#include "core/storage/sha256.hpp"
#include "dbop/backup_choice.hpp"
#include "dbop/pg_restore.hpp"

namespace tapedeck::dbop {

namespace {

// Writes through to a file while hashing and counting, and calls `tick` when `interval` has
// passed since the last call. Owns the file stream; one thread.
class HashingFileBuffer : public std::streambuf {
 public:
  HashingFileBuffer(const std::filesystem::path& path, const std::function<void()>& tick,
                    std::chrono::milliseconds interval)
      : file_(path, std::ios::binary | std::ios::trunc),
        tick_(tick),
        interval_(interval),
        last_tick_(std::chrono::steady_clock::now()) {
    if (!file_) {
      throw Error(ErrorSource::internal, Recovery::fail,
                  fmt::format("cannot create {}; check dbop.work_dir", path.string()));
    }
  }

  std::uint64_t size() const { return size_; }
  // An exception `tick` threw: the stream only saw a failed write, so it is thrown from here.
  void rethrow_pending() {
    if (pending_) std::rethrow_exception(std::exchange(pending_, nullptr));
  }
  std::string finish(const std::filesystem::path& path) {
    file_.flush();
    file_.close();
    if (!file_) {
      throw Error(
          ErrorSource::internal, Recovery::fail,
          fmt::format("writing {} failed; check the space in dbop.work_dir", path.string()));
    }
    return hash_.finish_hex();
  }

 protected:
  std::streamsize xsputn(const char* data, std::streamsize count) override {
    file_.write(data, count);
    if (!file_) return 0;
    hash_.update(std::string_view(data, static_cast<std::size_t>(count)));
    size_ += static_cast<std::uint64_t>(count);
    return tick_failed() ? 0 : count;
  }
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    const char c = traits_type::to_char_type(ch);
    return xsputn(&c, 1) == 1 ? ch : traits_type::eof();
  }

 private:
  void maybe_tick() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_tick_ < interval_) return;
    last_tick_ = now;
    tick_();
  }
  bool tick_failed() {
    try {
      maybe_tick();
      return false;
    } catch (...) {
      pending_ = std::current_exception();
      return true;
    }
  }

  std::ofstream file_;
  storage::Sha256 hash_;
  std::uint64_t size_ = 0;
  const std::function<void()>& tick_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_tick_;
  std::exception_ptr pending_;
};

// Removes a file when it goes out of scope unless released; never throws.
class FileRemover {
 public:
  explicit FileRemover(std::filesystem::path path) : path_(std::move(path)) {}
  FileRemover(const FileRemover&) = delete;
  FileRemover& operator=(const FileRemover&) = delete;
  ~FileRemover() {
    if (released_) return;
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  void release() { released_ = true; }

 private:
  std::filesystem::path path_;
  bool released_ = false;
};

}  // namespace

std::string store_url_of(const backups::BackupRecord& backup, const std::string& fallback) {
  const std::string suffix = "/" + backup.object_key;
  const std::string& url = backup.storage_url;
  if (url.size() > suffix.size() && url.ends_with(suffix)) {
    return url.substr(0, url.size() - suffix.size());
  }
  return fallback;
}

void download_verified(storage::ObjectStore& store, const backups::BackupRecord& backup,
                       const std::filesystem::path& path, const std::function<void()>& tick,
                       std::chrono::milliseconds tick_interval) {
  FileRemover remover_on_failure(path);
  HashingFileBuffer buffer(path, tick, tick_interval);
  std::ostream out(&buffer);
  try {
    store.get(storage::ObjectKey(backup.object_key), out);
  } catch (...) {
    buffer.rethrow_pending();
    throw;
  }
  buffer.rethrow_pending();
  out.flush();
  if (!out) {
    throw Error(ErrorSource::internal, Recovery::fail,
                fmt::format("writing {} failed; check the space in dbop.work_dir", path.string()));
  }
  const std::string sha256 = buffer.finish(path);
  const auto size = static_cast<std::int64_t>(buffer.size());
  if (size != backup.size_bytes) {
    throw Error(ErrorSource::storage, Recovery::fail,
                fmt::format("size mismatch: expected {} bytes got {} for {}", backup.size_bytes,
                            size, backup.storage_url))
        .with_kind(ErrorKind::content_mismatch);
  }
  if (sha256 != backup.sha256) {
    throw Error(ErrorSource::storage, Recovery::fail,
                fmt::format("checksum mismatch: expected {} got {} for {}", backup.sha256, sha256,
                            backup.storage_url))
        .with_kind(ErrorKind::content_mismatch);
  }
  remover_on_failure.release();  // verified: the caller uses the file
}

void drop_database(const std::string& playback_dsn, const std::string& database) {
  pg::Connection admin(playback_dsn, "tapedeck-dbop");
  session::drop_database_if_exists(admin, database);
}

Restored restore_snapshot(const RestoreSettings& settings, const std::string& database_name,
                          session::Time start, const std::function<void()>& tick,
                          const RestoreBytes& on_bytes, const RestoreItems& on_items) {
  std::optional<backups::BackupRecord> chosen;
  {
    pg::Connection live(settings.live_dsn, "tapedeck-dbop");
    chosen = choose_backup(backups::list_backups(live), start);
  }
  if (!chosen) throw Error(ErrorSource::input, Recovery::not_found, no_backup_reason(start));
  return restore_backup(settings, database_name, *chosen, tick, on_bytes, on_items);
}

Restored restore_backup(const RestoreSettings& settings, const std::string& database_name,
                        const backups::BackupRecord& backup, const std::function<void()>& tick,
                        const RestoreBytes& on_bytes, const RestoreItems& on_items) {
  auto logger = log::get("dbop");
  logger->info("restoring backup {} ({}, created {}, lsn {}) into {}", backup.id,
               backup.storage_url, backup.created_at, backup.lsn.str(), database_name);
  tick();

  // Download and verify.
  storage::StoreConfig store_config = settings.store;
  store_config.url = store_url_of(backup, settings.store.url);
  const auto store = storage::open_store(store_config);
  std::filesystem::create_directories(settings.work_dir);
  const auto file =
      settings.work_dir / fmt::format("tapedeck-dbop-{}-{}.dump", database_name, backup.id);
  FileRemover remove_file(file);
  const auto total = static_cast<std::uint64_t>(backup.size_bytes);
  // The file on disk is the download's progress (what is buffered is at most a buffer behind).
  const std::function<void()> download_tick = [&] {
    if (on_bytes) {
      std::error_code unknown;
      const auto size = std::filesystem::file_size(file, unknown);
      on_bytes(unknown ? 0 : std::min<std::uint64_t>(size, total), total);
    }
    tick();
  };
  const std::function<void()> restore_tick = [&] {
    if (on_bytes) on_bytes(total, total);
    tick();
  };
  try {
    download_verified(*store, backup, file, download_tick, settings.tick_interval);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::content_mismatch) throw;
    throw Error(error.source(), error.recovery(),
                fmt::format("snapshot {} of backup {} cannot be downloaded: {}", backup.storage_url,
                            backup.id, error.message()),
                error.code())
        .caused_by(std::current_exception());
  }
  tick();

  // A fresh database: a leftover of that name goes first (the caller checked that no live
  // session holds it).
  int server_major = 0;
  {
    pg::Connection admin(settings.playback_dsn, "tapedeck-dbop");
    server_major = admin.server_version() / 10000;
    session::drop_database_if_exists(admin, database_name);
    std::optional<session::DatabaseLocale> locale;
    if (settings.match_live_locale && backup.database_locale) {
      locale = session::parse_database_locale(*backup.database_locale);
    }
    session::create_database(admin, database_name, locale);
  }
  tick();

  RestoreCommand command;
  command.program = settings.pg_restore.empty()
                        ? pg::find_client_program("pg_restore", server_major)
                        : settings.pg_restore;
  command.file = file.string();
  command.dbname = database_name;
  command.jobs = settings.restore_jobs;
  command.environment =
      pg::libpq_environment(pg::with_dbname(settings.playback_dsn, database_name), "playback.dsn");
  // The dump's contents without its event triggers (see restore_list).
  const auto list_file = std::filesystem::path(file.string() + ".list");
  FileRemover remove_list(list_file);
  if (auto failure =
          restore_list(command, list_file.string(), restore_tick, settings.tick_interval)) {
    throw Error(ErrorSource::postgres, Recovery::fail, *failure);
  }
  command.use_list = list_file.string();
  std::function<void()> on_item;
  std::uint64_t items_done = 0;
  std::uint64_t items_total = 0;
  if (on_items) {
    std::ifstream in(list_file, std::ios::binary);
    const std::string listing((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    items_total = restored_entries(listing);
    command.verbose = true;
    // A count past the total (an entry printing two lines) stays at the total until the end.
    on_item = [&] { items_done = std::min(items_done + 1, items_total); };
    on_items(0, items_total);
  }
  const std::function<void()> items_tick = [&] {
    if (!on_items) return restore_tick();
    on_items(items_done, items_total);
    tick();
  };
  if (auto failure = run_pg_restore(command, items_tick, settings.tick_interval, on_item)) {
    throw Error(ErrorSource::postgres, Recovery::fail, *failure);
  }
  if (on_items) on_items(items_total, items_total);
  Restored restored;
  restored.backup = backup;
  restored.database_name = database_name;
  restored.bytes = static_cast<std::uint64_t>(backup.size_bytes);
  return restored;
}

}  // namespace tapedeck::dbop
