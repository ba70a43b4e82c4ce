// Catch-up batches and the recording-coverage decision, without servers.
#include "msgop/catch_up.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::msgop {
namespace {

RecordedTransaction transaction(std::vector<std::string> statements) {
  RecordedTransaction result;
  result.statements = std::move(statements);
  return result;
}

TEST(BatchBuilder, WrapsWholeTransactionsInOneExplicitTransaction) {
  BatchBuilder batch(10);
  batch.add(transaction({"INSERT INTO t VALUES (1)", "UPDATE t SET v = 2"}));
  batch.add(transaction({"DELETE FROM t"}));
  EXPECT_EQ(batch.statements(), 3);
  EXPECT_EQ(batch.transactions(), 2);
  EXPECT_EQ(batch.take(),
            "BEGIN;\nINSERT INTO t VALUES (1);\nUPDATE t SET v = 2;\nDELETE FROM t;\nCOMMIT;\n");
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.take(), "");
}

TEST(BatchBuilder, IsFullAtTheLimitButNeverSplitsATransaction) {
  BatchBuilder batch(3);
  batch.add(transaction({"a", "b"}));
  EXPECT_FALSE(batch.full());
  batch.add(transaction({"c", "d", "e"}));
  EXPECT_TRUE(batch.full());
  EXPECT_EQ(batch.statements(), 5);
  EXPECT_EQ(batch.take(), "BEGIN;\na;\nb;\nc;\nd;\ne;\nCOMMIT;\n");
}

TEST(BatchBuilder, AppliesARunOfTruncatesAsOneCommandSoTablesLinkedByAForeignKeyMayGoTogether) {
  BatchBuilder batch(10);
  batch.add(transaction({R"(TRUNCATE ONLY "public"."unit")", R"(TRUNCATE ONLY "public"."reading")",
                         R"(INSERT INTO "public"."unit" VALUES (1))",
                         R"(TRUNCATE ONLY "public"."plant")"}));
  // The next transaction's TRUNCATE is a command of its own.
  batch.add(transaction({R"(TRUNCATE ONLY "public"."x")"}));
  EXPECT_EQ(batch.statements(), 5);
  EXPECT_EQ(batch.take(),
            "BEGIN;\n"
            R"(TRUNCATE ONLY "public"."unit", "public"."reading";)"
            "\n"
            R"(INSERT INTO "public"."unit" VALUES (1);)"
            "\n"
            R"(TRUNCATE ONLY "public"."plant";)"
            "\n"
            R"(TRUNCATE ONLY "public"."x";)"
            "\nCOMMIT;\n");
}

TEST(BatchBuilder, RefusesALimitBelowOne) {
  EXPECT_THROW(BatchBuilder(0), Error);
}

TEST(RecordingGap, NoneWhenTheRecordingStartsAtOrBeforeTheSnapshot) {
  const Lsn backup = *Lsn::parse("16/B374D848");
  EXPECT_FALSE(recording_gap(RecordingStart{*Lsn::parse("16/B374D848"), Instant{}}, backup));
  EXPECT_FALSE(recording_gap(RecordingStart{*Lsn::parse("1/0"), Instant{}}, backup));
}

TEST(RecordingGap, NamesBothPositionsWhenTheRecordingStartsAfterTheSnapshot) {
  const auto gap = recording_gap(RecordingStart{*Lsn::parse("16/B374D849"), Instant{}},
                                 *Lsn::parse("16/B374D848"));
  ASSERT_TRUE(gap);
  EXPECT_NE(gap->find("recording gap"), std::string::npos);
  EXPECT_NE(gap->find("16/B374D849"), std::string::npos);
  EXPECT_NE(gap->find("16/B374D848"), std::string::npos);
}

TEST(RecordingGap, ReportsAnEmptyRecordingAsAGap) {
  const auto gap = recording_gap(std::nullopt, *Lsn::parse("0/10"));
  ASSERT_TRUE(gap);
  EXPECT_NE(gap->find("nothing is recorded"), std::string::npos);
}

}  // namespace
}  // namespace tapedeck::msgop
