// Choosing the snapshot a session starts from.
#include "dbop/backup_choice.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::dbop {
namespace {

session::Time at(const std::string& text) {
  return *session::parse_time(text);
}

backups::BackupRecord backup(std::int64_t id, std::string created_at,
                             std::optional<std::string> system_time = std::nullopt) {
  backups::BackupRecord record;
  record.id = id;
  record.created_at = std::move(created_at);
  record.system_time = std::move(system_time);
  return record;
}

TEST(ChooseBackup, PicksTheNewestBackupCreatedAtOrBeforeTheStart) {
  const std::vector<backups::BackupRecord> backups = {backup(1, "2026-01-01T08:00:00.000000Z"),
                                                      backup(2, "2026-01-01T10:00:00.000000Z"),
                                                      backup(3, "2026-01-01T12:00:00.000000Z")};
  const auto chosen = choose_backup(backups, at("2026-01-01T11:59:59Z"));
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->id, 2);
}

TEST(ChooseBackup, AcceptsABackupCreatedExactlyAtTheStart) {
  const auto chosen =
      choose_backup({backup(7, "2026-01-01T10:00:00.250000Z")}, at("2026-01-01T10:00:00.25Z"));
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->id, 7);
}

TEST(ChooseBackup, RefusesABackupCreatedAMicrosecondAfterTheStart) {
  EXPECT_FALSE(
      choose_backup({backup(7, "2026-01-01T10:00:00.250001Z")}, at("2026-01-01T10:00:00.25Z")));
}

TEST(ChooseBackup, DecidesByCreatedAtNotBySystemTime) {
  // The snapshot shows a system time before the start, but it was taken after the start:
  // it may hold transactions committed after the start, which catch-up cannot remove.
  const auto chosen =
      choose_backup({backup(1, "2026-01-01T09:00:00.000000Z", "2026-01-01T09:00:00.000000Z"),
                     backup(2, "2026-01-01T10:00:00.900000Z", "2026-01-01T10:00:00.000000Z")},
                    at("2026-01-01T10:00:00.500000Z"));
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->id, 1);
}

TEST(ChooseBackup, RefusesABackupWhoseSystemTimeIsAfterTheStart) {
  EXPECT_FALSE(choose_backup({backup(1, "2026-01-01T10:00:00.000000Z", "2026-01-01T10:00:01Z")},
                             at("2026-01-01T10:00:00.5Z")));
}

TEST(ChooseBackup, SkipsBackupsBeingDeleted) {
  auto deleting = backup(2, "2026-01-01T10:00:00.000000Z");
  deleting.deleting = true;
  const auto chosen = choose_backup({backup(1, "2026-01-01T09:00:00.000000Z"), deleting},
                                    at("2026-01-01T11:00:00Z"));
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->id, 1);
}

TEST(ChooseBackup, PrefersTheHigherIdForTheSameCreationTime) {
  const auto chosen = choose_backup(
      {backup(5, "2026-01-01T10:00:00.000000Z"), backup(4, "2026-01-01T10:00:00.000000Z")},
      at("2026-01-01T11:00:00Z"));
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->id, 5);
}

TEST(ChooseBackup, FindsNothingWhenEveryBackupIsLater) {
  EXPECT_FALSE(
      choose_backup({backup(1, "2026-01-02T00:00:00.000000Z")}, at("2026-01-01T00:00:00Z")));
  EXPECT_FALSE(choose_backup({}, at("2026-01-01T00:00:00Z")));
}

TEST(ChooseBackup, RefusesAnUnreadableCreationTime) {
  EXPECT_THROW(choose_backup({backup(1, "yesterday")}, at("2026-01-01T00:00:00Z")), Error);
}

TEST(NoBackupReason, NamesTheStartAndTheCommandThatTakesASnapshot) {
  EXPECT_EQ(
      no_backup_reason(at("2026-01-01T10:00:00Z")),
      "no snapshot at or before 2026-01-01T10:00:00.000000Z; take one with `tapedeck backup run`");
}

}  // namespace
}  // namespace tapedeck::dbop
