// The slot is confirmed only past transactions that are acknowledged and stored downstream.
#include "capture/confirm_tracker.hpp"

#include <gtest/gtest.h>

namespace tapedeck::capture {
namespace {

constexpr Lsn kStart{1000};

TEST(ConfirmTracker, StaysAtTheStartUntilAnythingIsAcknowledged) {
  ConfirmTracker tracker(ConfirmMode::puback, kStart);
  tracker.on_commit(Lsn{1100}, Lsn{1110}, 3);
  EXPECT_EQ(tracker.flush(), kStart);
  EXPECT_EQ(tracker.pending(), 1u);
}

TEST(ConfirmTracker, InPubackModeConfirmsTheCommitEndOnceAcknowledged) {
  ConfirmTracker tracker(ConfirmMode::puback, kStart);
  tracker.on_commit(Lsn{1100}, Lsn{1110}, 3);
  tracker.on_commit(Lsn{1200}, Lsn{1210}, 2);
  tracker.on_all_acked();
  EXPECT_EQ(tracker.flush(), Lsn{1210});
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST(ConfirmTracker, InWatermarkModeWaitsForTheWatermarkToReachTheCommitLsn) {
  ConfirmTracker tracker(ConfirmMode::watermark, kStart);
  tracker.on_commit(Lsn{1100}, Lsn{1110}, 3);
  tracker.on_commit(Lsn{1200}, Lsn{1210}, 2);
  tracker.on_all_acked();
  EXPECT_EQ(tracker.flush(), kStart);
  tracker.on_watermark(Lsn{1100});
  EXPECT_EQ(tracker.flush(), Lsn{1110});
  tracker.on_watermark(Lsn{1199});
  EXPECT_EQ(tracker.flush(), Lsn{1110});
  tracker.on_watermark(Lsn{1200});
  EXPECT_EQ(tracker.flush(), Lsn{1210});
}

TEST(ConfirmTracker, AWatermarkAheadOfTheAcksDoesNotConfirmUnacknowledgedPublishes) {
  ConfirmTracker tracker(ConfirmMode::watermark, kStart);
  tracker.on_watermark(Lsn{5000});
  tracker.on_commit(Lsn{1100}, Lsn{1110}, 3);
  EXPECT_EQ(tracker.flush(), kStart);
  tracker.on_all_acked();
  EXPECT_EQ(tracker.flush(), Lsn{1110});
}

TEST(ConfirmTracker, ATransactionWithoutEventsFollowsItsPredecessor) {
  ConfirmTracker tracker(ConfirmMode::watermark, kStart);
  tracker.on_commit(Lsn{1100}, Lsn{1110}, 3);
  tracker.on_commit(Lsn{1200}, Lsn{1210}, 0);
  tracker.on_all_acked();
  EXPECT_EQ(tracker.flush(), kStart);
  tracker.on_watermark(Lsn{1100});
  EXPECT_EQ(tracker.flush(), Lsn{1210});
}

TEST(ConfirmTracker, TheWatermarkNeverMovesBack) {
  ConfirmTracker tracker(ConfirmMode::watermark, kStart);
  tracker.on_watermark(Lsn{1200});
  tracker.on_watermark(Lsn{1100});
  ASSERT_TRUE(tracker.watermark().has_value());
  EXPECT_EQ(*tracker.watermark(), Lsn{1200});
}

TEST(ConfirmTracker, AnIdleKeepaliveIsConfirmedOnceEverythingBeforeItIs) {
  ConfirmTracker tracker(ConfirmMode::watermark, kStart);
  tracker.on_commit(Lsn{1100}, Lsn{1110}, 3);
  tracker.on_all_acked();
  tracker.on_keepalive(Lsn{9000}, true);
  EXPECT_EQ(tracker.flush(), kStart);
  tracker.on_watermark(Lsn{1100});
  EXPECT_EQ(tracker.flush(), Lsn{9000});
}

TEST(ConfirmTracker, AKeepaliveInsideATransactionIsIgnored) {
  ConfirmTracker tracker(ConfirmMode::puback, kStart);
  tracker.on_keepalive(Lsn{9000}, false);
  EXPECT_EQ(tracker.flush(), kStart);
}

TEST(ConfirmTracker, AKeepaliveBeforeLaterUnconfirmedWorkStillCounts) {
  ConfirmTracker tracker(ConfirmMode::watermark, kStart);
  tracker.on_keepalive(Lsn{1050}, true);
  tracker.on_commit(Lsn{1100}, Lsn{1110}, 3);
  EXPECT_EQ(tracker.flush(), Lsn{1050});
  tracker.on_all_acked();
  EXPECT_EQ(tracker.flush(), Lsn{1050});
}

TEST(ConfirmTracker, NeverGoesBelowTheSlotsConfirmedPosition) {
  ConfirmTracker tracker(ConfirmMode::puback, kStart);
  tracker.on_keepalive(Lsn{10}, true);
  tracker.on_commit(Lsn{20}, Lsn{30}, 1);
  tracker.on_all_acked();
  EXPECT_EQ(tracker.flush(), kStart);
}

}  // namespace
}  // namespace tapedeck::capture
