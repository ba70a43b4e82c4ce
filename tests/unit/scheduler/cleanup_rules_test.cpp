// The backup retention rules, pure: age, keep_min, and the backups live sessions need.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "scheduler/cleanup.hpp"

namespace tapedeck::scheduler {
namespace {

using namespace std::chrono_literals;

const Instant kNow = Instant(Micros(1'800'000'000'000'000));

BackupAge backup(std::int64_t id, std::chrono::hours age) {
  return {id, kNow - age, kNow - age};
}

TEST(BackupsSessionsNeed, NamesTheNewestBackupAtOrBeforeEachWindowStartAndTheOneInUse) {
  const std::vector<BackupAge> backups = {backup(1, 240h), backup(2, 216h), backup(3, 48h)};
  const std::vector<SessionNeed> sessions = {
      {kNow - 230h, std::nullopt},  // initializing: would restore backup 1
      {kNow - 216h, 3},             // exactly at backup 2; restored from 3 after a seek
      {kNow - 300h, std::nullopt},  // before every backup: needs none
  };
  EXPECT_EQ(backups_sessions_need(backups, sessions), (std::set<std::int64_t>{1, 2, 3}));
  EXPECT_TRUE(backups_sessions_need(backups, {}).empty());
}

TEST(BackupsSessionsNeed, UsesTheSnapshotTimeNotTheRowCreationTime) {
  // Backup 1's snapshot was taken at 230h though its row was written at 200h.
  const std::vector<BackupAge> backups = {{1, kNow - 200h, kNow - 230h}, backup(2, 100h)};
  EXPECT_EQ(backups_sessions_need(backups, {{kNow - 220h, std::nullopt}}),
            (std::set<std::int64_t>{1}));
}

TEST(BackupsToDelete, SkipsNeededBackupsAndStillDeletesOlderAndNewerOnes) {
  const std::vector<BackupAge> backups = {backup(1, 240h), backup(2, 230h), backup(3, 216h),
                                          backup(4, 1h), backup(5, 2h)};
  EXPECT_EQ(backups_to_delete(backups, kNow, 168h, 2), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(backups_to_delete(backups, kNow, 168h, 2, {2}), (std::vector<std::int64_t>{1, 3}));
  // A needed backup counts among those kept: keep_min is not raised by it.
  EXPECT_EQ(backups_to_delete(backups, kNow, 168h, 3, {1}), (std::vector<std::int64_t>{2, 3}));
}

}  // namespace
}  // namespace tapedeck::scheduler
