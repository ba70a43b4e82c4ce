// The recording-coverage decision, without servers (applying is tested against a server in
// tests/integration/msgop/apply_transactions_test.cpp).
#include "msgop/catch_up.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::msgop {
namespace {

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
