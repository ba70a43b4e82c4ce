// The backup job on the real stack: a dump restores into an empty database equal to the Live DB
// at the snapshot, the recorded txid snapshot is what the dump saw, failures leave nothing.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/backups/backup_record.hpp"
#include "core/backups/verification_record.hpp"
#include "core/error.hpp"
#include "core/storage/sha256.hpp"
#include "core/txid_snapshot.hpp"
#include "fixture.hpp"
#include "scheduler/backup_job.hpp"
#include "scheduler/cleanup.hpp"

namespace tapedeck::scheduler {
namespace {

using namespace testing;

Xid current_xid(pg::Connection& connection) {
  return Xid{static_cast<std::uint64_t>(
      std::stoull(std::string(connection.exec("SELECT pg_current_xact_id()::text").text(0, 0))))};
}

std::int64_t backup_rows(pg::Connection& live) {
  return std::stoll(std::string(live.exec("SELECT count(*) FROM tapedeck.backups").text(0, 0)));
}

std::int64_t journaled_uploads(pg::Connection& live) {
  return std::stoll(
      std::string(live.exec("SELECT count(*) FROM tapedeck.backup_uploads").text(0, 0)));
}

// A Live DB with a few tables of assorted types, whose own locale writes money as "1.000,00 €":
// the dump and the checksums must not depend on it.
void fill(pg::Connection& live) {
  live.exec(R"(
CREATE TABLE items (id int PRIMARY KEY, note text, price numeric(12,2), seen timestamptz,
                    tags text[], doc jsonb, raw bytea);
INSERT INTO items SELECT g, 'item ' || g, g * 1.25, '2024-02-29 12:00:00+00'::timestamptz
                         + g * interval '1 hour', ARRAY['a', 'b' || g], jsonb_build_object('g', g),
                         decode(md5(g::text), 'hex')
  FROM generate_series(1, 500) g;
CREATE TABLE "Odd Name" (k text PRIMARY KEY, v double precision);
INSERT INTO "Odd Name" VALUES ('pi', 3.141592653589793), ('e', 2.718281828459045);
CREATE TABLE big (id bigserial PRIMARY KEY, payload text);
INSERT INTO big (payload) SELECT repeat(md5(g::text), 40) FROM generate_series(1, 3000) g;
CREATE TABLE wallet (id int PRIMARY KEY, amount money, history money[]);
INSERT INTO wallet VALUES (1, 1000, ARRAY[1234.5::numeric::money, NULL]),
                          (2, -92233720368547758.08, NULL);
DO $$BEGIN
  EXECUTE format('ALTER DATABASE %I SET lc_monetary = %L', current_database(), 'de_DE.UTF-8');
END$$;
)");
}

class BackupTest : public ::testing::Test {
 protected:
  // Runs one backup with transactions committed just before, while it runs (one in progress
  // when the snapshot is exported, one begun and committed during the dump) and just after;
  // checks the recorded snapshot against their xids and the restored contents against the Live
  // DB as the snapshot saw it.
  void backup_and_restore(const storage::StoreConfig& store_config) {
    ScratchDatabase live_db("sched_live");
    auto live = live_db.connect();
    fill(live);

    // Just before: committed, so visible.
    auto before = live_db.connect();
    before.exec("BEGIN");
    const Xid before_xid = current_xid(before);
    before.exec("INSERT INTO items (id, note) VALUES (1001, 'before')");
    before.exec("COMMIT");

    // In progress when the snapshot is exported, committed during the dump: not visible.
    auto open = live_db.connect();
    open.exec("BEGIN");
    const Xid open_xid = current_xid(open);
    open.exec("INSERT INTO items (id, note) VALUES (1002, 'open'); DELETE FROM items WHERE id = 3");

    const std::string expected = contents(live);  // what a snapshot taken now sees

    auto during = live_db.connect();
    Xid during_xid{};
    BackupSettings settings;
    settings.live_dsn = live_db.dsn();
    settings.store = store_config;
    BackupHooks hooks;
    std::string exported_snapshot;
    hooks.snapshot_exported = [&](const ExportedSnapshot& snapshot) {
      exported_snapshot = snapshot.txid_snapshot;
      open.exec("COMMIT");
      during.exec("BEGIN");
      during_xid = current_xid(during);
      during.exec(
          "INSERT INTO items (id, note) VALUES (1003, 'during'); UPDATE items SET note = "
          "'changed' WHERE id = 1; DELETE FROM items WHERE id = 2; DELETE FROM \"Odd Name\"");
      during.exec("COMMIT");
    };
    const backups::BackupRecord record = run_backup(settings, hooks);

    // Just after.
    auto after = live_db.connect();
    after.exec("BEGIN");
    const Xid after_xid = current_xid(after);
    after.exec("INSERT INTO items (id, note) VALUES (1004, 'after')");
    after.exec("COMMIT");

    // The recorded snapshot is the exported one, and says what the dump saw.
    EXPECT_EQ(record.txid_snapshot, exported_snapshot);
    const auto snapshot = TxidSnapshot::parse(record.txid_snapshot);
    EXPECT_TRUE(snapshot.visible(before_xid));
    EXPECT_FALSE(snapshot.visible(open_xid)) << "in progress at the export";
    EXPECT_FALSE(snapshot.visible(during_xid));
    EXPECT_FALSE(snapshot.visible(after_xid));
    EXPECT_GT(record.lsn.value, 0u);
    EXPECT_EQ(backup_rows(live), 1);

    // The row as `backup list` reads it.
    const auto listed = backups::list_backups(live);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].id, record.id);
    EXPECT_EQ(listed[0].object_key, record.object_key);
    EXPECT_EQ(listed[0].sha256, record.sha256);
    EXPECT_EQ(listed[0].txid_snapshot, record.txid_snapshot);
    EXPECT_EQ(listed[0].lsn, record.lsn);
    EXPECT_EQ(listed[0].server_version, live.exec("SHOW server_version").text(0, 0));
    // With the Live DB's encoding and locale, read by dbop when it creates a session database.
    ASSERT_TRUE(listed[0].database_locale);
    const auto locale = nlohmann::json::parse(*listed[0].database_locale);
    EXPECT_EQ(locale["encoding"], live.exec("SHOW server_encoding").text(0, 0));
    const auto database = live.exec(
        "SELECT datcollate, datctype FROM pg_database WHERE datname = current_database()");
    EXPECT_EQ(locale["collate"], database.text(0, 0));
    EXPECT_EQ(locale["ctype"], database.text(0, 1));
    EXPECT_NE(backups::backups_to_json(listed).find("\"database_locale\": {"), std::string::npos);

    // Download, check size and SHA-256, restore into an empty database.
    auto store = storage::open_store(store_config);
    const storage::ObjectKey key(record.object_key);
    EXPECT_EQ(store->url_of(key), record.storage_url);
    std::ostringstream bytes;
    store->get(key, bytes);
    const std::string dump = bytes.str();
    EXPECT_EQ(static_cast<std::int64_t>(dump.size()), record.size_bytes);
    EXPECT_EQ(storage::sha256_hex(dump), record.sha256);
    const auto dump_file =
        std::filesystem::path(::testing::TempDir()) / ("dump-" + unique_suffix() + ".dump");
    std::ofstream(dump_file, std::ios::binary) << dump;

    ScratchDatabase restored_db("sched_restored");
    const int rc = run_shell("pg_restore --no-owner --exit-on-error -d '" + restored_db.dsn() +
                             "' '" + dump_file.string() + "'");
    std::filesystem::remove(dump_file);
    ASSERT_EQ(rc, 0) << "pg_restore failed";
    auto restored = restored_db.connect();
    EXPECT_EQ(contents(restored), expected);
    EXPECT_NE(contents(live), expected) << "the test's later transactions changed nothing";
    EXPECT_EQ(restored.exec("SELECT count(*) FROM tapedeck.backups").text(0, 0), "0")
        << "the dump saw its own metadata row";

    // The per-table checksums were taken in the dump's snapshot: the restored copy gives the same
    // (the transactions committed during the dump are in neither).
    const auto recorded = backups::checksums_of(live, record.id);
    EXPECT_FALSE(recorded.empty());
    backups::use_canonical_row_text(restored);
    EXPECT_EQ(backups::checksum_tables(restored, backups::tables_to_check(restored, {})), recorded);

    store->remove(key);
  }
};

TEST_F(BackupTest, ToAFolderRestoresTheLiveDbAsTheSnapshotSawIt) {
  ScratchFolder folder;
  storage::StoreConfig store;
  store.url = folder.url();
  backup_and_restore(store);
}

TEST_F(BackupTest, ToS3rverRestoresTheLiveDbAsTheSnapshotSawIt) {
  backup_and_restore(s3_store("sched-test-" + unique_suffix()));
}

TEST_F(BackupTest, RecordsItsStorageUrlAsAFileUrlOfTheObjectForTheFolderStore) {
  ScratchDatabase live_db("sched_live");
  ScratchFolder folder;
  BackupSettings settings;
  settings.live_dsn = live_db.dsn();
  settings.store.url = folder.url();
  const auto record = run_backup(settings);
  EXPECT_EQ(record.storage_url, folder.url() + "/" + record.object_key);
  EXPECT_TRUE(std::filesystem::exists(folder.path() / record.object_key));
}

// Runs a backup that must fail; the Live DB must have no row afterwards.
void expect_failure_leaves_no_row(ScratchDatabase& live_db, const BackupSettings& settings) {
  EXPECT_THROW(run_backup(settings), Error);
  auto live = live_db.connect();
  EXPECT_EQ(backup_rows(live), 0);
}

TEST_F(BackupTest, AnS3EndpointThatIsDownLeavesNoRowBehind) {
  ScratchDatabase live_db("sched_live");
  BackupSettings settings;
  settings.live_dsn = live_db.dsn();
  settings.store = s3_store("sched-test-" + unique_suffix());
  settings.store.s3.endpoint = "http://127.0.0.1:9";  // discard port: nobody listens
  expect_failure_leaves_no_row(live_db, settings);
}

TEST_F(BackupTest, AMissingBucketLeavesNoRowAndNoObject) {
  ScratchDatabase live_db("sched_live");
  const std::string prefix = "sched-test-" + unique_suffix();
  BackupSettings settings;
  settings.live_dsn = live_db.dsn();
  settings.store = s3_store(prefix);
  settings.store.url = "s3://no-such-bucket-" + unique_suffix() + "/" + prefix;
  expect_failure_leaves_no_row(live_db, settings);
  // Nothing went to the real bucket under that prefix either.
  EXPECT_TRUE(storage::open_store(s3_store(prefix))->list("").empty());
}

TEST_F(BackupTest, APgDumpThatFailsHalfwayLeavesNoRowAndNoObject) {
  ScratchDatabase live_db("sched_live");
  ScratchFolder folder;
  ScratchFolder tools;
  // Writes part of a dump, then fails as pg_dump would on a lost connection.
  const auto fake = tools.path() / "pg_dump";
  write_script(fake,
               "#!/bin/sh\nhead -c 300000 /dev/urandom\necho 'pg_dump: error: connection lost' "
               ">&2\nexit 1\n");
  BackupSettings settings;
  settings.live_dsn = live_db.dsn();
  settings.store.url = folder.url();
  settings.pg_dump = fake.string();
  try {
    run_backup(settings);
    FAIL() << "the backup succeeded";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("connection lost"), std::string::npos) << error.what();
  }
  auto live = live_db.connect();
  EXPECT_EQ(backup_rows(live), 0);
  EXPECT_EQ(journaled_uploads(live), 0);
  EXPECT_TRUE(folder.files().empty()) << folder.files().front();
}

// A tmpfs of `size` mounted on `folder` for the test's life (mount(2) needs root).
class SizeLimitedMount {
 public:
  SizeLimitedMount(const std::filesystem::path& folder, const std::string& size) : folder_(folder) {
    mounted_ = ::mount("tmpfs", folder.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~SizeLimitedMount() {
    if (mounted_) ::umount2(folder_.c_str(), MNT_DETACH);
  }
  SizeLimitedMount(const SizeLimitedMount&) = delete;
  SizeLimitedMount& operator=(const SizeLimitedMount&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  bool resize(const std::string& size) {
    return ::mount("tmpfs", folder_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }

 private:
  std::filesystem::path folder_;
  bool mounted_ = false;
  std::string error_;
};

// The snapshot folder's disk fills up during the dump: the job fails naming the full disk and
// what to do, and leaves no row, no journaled upload and no file; once there is room, the next
// backup succeeds.
TEST_F(BackupTest, AFullSnapshotDiskFailsTheJobCleanlyAndTheNextBackupSucceedsOnceThereIsRoom) {
  ScratchFolder folder;
  SizeLimitedMount disk(folder.path(), "256k");
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a size-limited tmpfs here (" << disk.error()
                 << "); the test needs root";
  }
  ScratchDatabase live_db("sched_live");
  auto live = live_db.connect();
  // About 1.3 MB of random hex: more than the disk holds even compressed.
  live.exec(
      "CREATE TABLE noise (id int PRIMARY KEY, v text); INSERT INTO noise SELECT g, "
      "md5(random()::text) || md5(random()::text) FROM generate_series(1, 20000) g");
  BackupSettings settings;
  settings.live_dsn = live_db.dsn();
  settings.store.url = folder.url();
  try {
    run_backup(settings);
    FAIL() << "the backup succeeded on a full disk";
  } catch (const Error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("No space left on device"), std::string::npos) << text;
    EXPECT_NE(text.find("free space"), std::string::npos) << text;
  }
  EXPECT_EQ(backup_rows(live), 0);
  EXPECT_EQ(journaled_uploads(live), 0);
  EXPECT_TRUE(folder.files().empty()) << folder.files().front();

  ASSERT_TRUE(disk.resize("64m")) << std::strerror(errno);
  const auto backup = run_backup(settings);
  EXPECT_EQ(backup_rows(live), 1);
  ASSERT_EQ(folder.files().size(), 1u);
  EXPECT_GT(std::filesystem::file_size(folder.files().front()), 256u * 1024u);
  EXPECT_GT(backup.size_bytes, 0);
}

// A job that stops between upload and row (a crash, simulated by a hook that throws) leaves
// its object journaled; the next backup cleanup removes it, and nothing else.
TEST_F(BackupTest, AnObjectLeftByAJobStoppedBeforeItsRowIsRemovedByTheNextCleanup) {
  ScratchDatabase live_db("sched_live");
  ScratchFolder folder;
  BackupSettings settings;
  settings.live_dsn = live_db.dsn();
  settings.store.url = folder.url();
  const auto kept = run_backup(settings);
  BackupHooks hooks;
  hooks.object_stored = [](const ExportedSnapshot&) {
    throw std::runtime_error("the scheduler died here");
  };
  EXPECT_THROW(run_backup(settings, hooks), std::runtime_error);

  auto live = live_db.connect();
  EXPECT_EQ(backup_rows(live), 1);
  EXPECT_EQ(journaled_uploads(live), 1);
  EXPECT_EQ(folder.files().size(), 2u) << "the interrupted job's object is there";

  BackupCleanupSettings cleanup;
  cleanup.live_dsn = live_db.dsn();
  cleanup.store = settings.store;
  const auto result = cleanup_backups(cleanup);
  EXPECT_EQ(result.abandoned, 1);
  EXPECT_EQ(result.deleted, 0);
  EXPECT_EQ(journaled_uploads(live), 0);
  const auto files = folder.files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files.front(), (folder.path() / kept.object_key).string());
}

TEST_F(BackupTest, AFailingPgDumpLeavesNoObjectInS3) {
  ScratchDatabase live_db("sched_live");
  ScratchFolder tools;
  const auto fake = tools.path() / "pg_dump";
  write_script(fake, "#!/bin/sh\nhead -c 100000 /dev/urandom\nexit 2\n");
  const std::string prefix = "sched-test-" + unique_suffix();
  BackupSettings settings;
  settings.live_dsn = live_db.dsn();
  settings.store = s3_store(prefix);
  settings.pg_dump = fake.string();
  expect_failure_leaves_no_row(live_db, settings);
  EXPECT_TRUE(storage::open_store(s3_store(prefix))->list("").empty());
}

}  // namespace
}  // namespace tapedeck::scheduler
