// The pure part of `tapedeck verify`: choosing the backups, which tables diverge, and the first
// differing row of two key-ordered streams.
#include "verify/divergence.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::verify {
namespace {

using backups::KeyedRow;
using backups::TableChecksum;

backups::BackupRecord backup(std::int64_t id, std::uint64_t lsn) {
  backups::BackupRecord record;
  record.id = id;
  record.lsn = Lsn{lsn};
  record.created_at = "2026-01-0" + std::to_string(id) + "T00:00:00.000000Z";
  return record;
}

RowSource rows(std::vector<KeyedRow> list) {
  auto shared = std::make_shared<std::vector<KeyedRow>>(std::move(list));
  auto next = std::make_shared<std::size_t>(0);
  return [shared, next]() -> std::optional<KeyedRow> {
    if (*next >= shared->size()) return std::nullopt;
    return (*shared)[(*next)++];
  };
}

TEST(ChoosePair, TakesTheTwoNewestBackupsByDefault) {
  const auto [older, newer] = choose_pair({backup(1, 10), backup(2, 20), backup(3, 30)}, {}, {});
  EXPECT_EQ(older.id, 2);
  EXPECT_EQ(newer.id, 3);
}

TEST(ChoosePair, TakesTheBackupsNamed) {
  const auto [older, newer] = choose_pair({backup(1, 10), backup(2, 20), backup(3, 30)}, 1, 3);
  EXPECT_EQ(older.id, 1);
  EXPECT_EQ(newer.id, 3);
}

TEST(ChoosePair, RefusesFewerThanTwoBackupsAnUnknownIdAndTheWrongOrder) {
  EXPECT_THROW(choose_pair({backup(1, 10)}, {}, {}), Error);
  EXPECT_THROW(choose_pair({backup(1, 10), backup(2, 20)}, 1, 9), Error);
  EXPECT_THROW(choose_pair({backup(1, 10), backup(2, 20)}, 2, 1), Error);
  EXPECT_THROW(choose_pair({backup(1, 10), backup(2, 20)}, 1, std::nullopt), Error);
}

TEST(MomentOf, IsTheSystemTimeWhenThereIsOneElseTheCreationTime) {
  auto record = backup(1, 10);
  EXPECT_EQ(moment_of(record), "2026-01-01T00:00:00.000000Z");
  record.system_time = "2025-12-31T23:59:59.000000Z";
  EXPECT_EQ(moment_of(record), "2025-12-31T23:59:59.000000Z");
}

TEST(DivergingTables, ListsOnlyTablesWhoseCountOrSumDiffersOrThatAreMissing) {
  const std::vector<TableChecksum> expected = {{"public", "a", 2, "100"},
                                               {"public", "b", 3, "200"},
                                               {"public", "c", 1, "300"},
                                               {"public", "d", 1, "400"}};
  const std::vector<std::optional<TableChecksum>> actual = {
      TableChecksum{"public", "a", 2, "100"}, TableChecksum{"public", "b", 3, "201"},
      TableChecksum{"public", "c", 2, "300"}, std::nullopt};
  const auto diverging = diverging_tables(expected, actual);
  ASSERT_EQ(diverging.size(), 3u);
  EXPECT_EQ(diverging[0].table, "b");
  EXPECT_EQ(diverging[0].status, "differs");
  EXPECT_EQ(diverging[1].table, "c");
  EXPECT_EQ(diverging[1].actual_rows, 2);
  EXPECT_EQ(diverging[2].table, "d");
  EXPECT_EQ(diverging[2].status, "missing");
}

TEST(FirstDifference, IsNoneForEqualStreams) {
  EXPECT_EQ(first_difference(rows({{"id=1", "h1"}, {"id=2", "h2"}}),
                             rows({{"id=1", "h1"}, {"id=2", "h2"}})),
            std::nullopt);
  EXPECT_EQ(first_difference(rows({}), rows({})), std::nullopt);
}

TEST(FirstDifference, NamesAKeyWhoseRowDiffers) {
  EXPECT_EQ(first_difference(rows({{"id=1", "h1"}, {"id=2", "h2"}, {"id=3", "h3"}}),
                             rows({{"id=1", "h1"}, {"id=2", "XX"}, {"id=3", "h3"}})),
            "id=2: differs");
}

TEST(FirstDifference, NamesAKeyMissingFromTheCaughtUpSide) {
  EXPECT_EQ(first_difference(rows({{"id=1", "h1"}, {"id=2", "h2"}, {"id=3", "h3"}}),
                             rows({{"id=1", "h1"}, {"id=3", "h3"}})),
            "id=2: missing");
  EXPECT_EQ(first_difference(rows({{"id=1", "h1"}}), rows({})), "id=1: missing");
}

TEST(FirstDifference, NamesAKeyOnlyTheCaughtUpSideHas) {
  EXPECT_EQ(first_difference(rows({{"id=1", "h1"}, {"id=3", "h3"}}),
                             rows({{"id=1", "h1"}, {"id=2", "h2"}, {"id=3", "h3"}})),
            "id=2: unexpected");
  EXPECT_EQ(first_difference(rows({}), rows({{"id=9", "h9"}})), "id=9: unexpected");
}

TEST(FirstDifference, ComparesDuplicateKeysOfATableWithoutPrimaryKeyAsAMultiset) {
  EXPECT_EQ(first_difference(rows({{"(a,1)", "h"}, {"(a,1)", "h"}}), rows({{"(a,1)", "h"}})),
            "(a,1): missing");
}

TEST(DivergenceSummary, NamesEachTableAndItsFirstDifference) {
  backups::TableVerdict items{"public", "items", "differs", 3, 3, "id=7: differs"};
  backups::TableVerdict gone{"public", "gone", "missing", 1, 0, ""};
  EXPECT_EQ(divergence_summary({items}), "1 table differs: public.items (id=7: differs)");
  EXPECT_EQ(divergence_summary({items, gone}),
            "2 tables differ: public.items (id=7: differs), public.gone (missing)");
}

}  // namespace
}  // namespace tapedeck::verify
