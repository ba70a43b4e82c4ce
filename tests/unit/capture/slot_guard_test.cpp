#include "capture/slot_guard.hpp"

#include <gtest/gtest.h>

namespace tapedeck::capture {
namespace {

pg::SlotRetention retention(std::optional<std::int64_t> safe, std::int64_t max) {
  pg::SlotRetention r;
  r.wal_status = "reserved";
  r.retained_bytes = 123;
  r.safe_wal_size = safe;
  r.max_slot_wal_keep_bytes = max;
  return r;
}

TEST(SlotGuard, WalStatusCodes) {
  EXPECT_EQ(wal_status_code("reserved"), 0);
  EXPECT_EQ(wal_status_code("extended"), 1);
  EXPECT_EQ(wal_status_code("unreserved"), 2);
  EXPECT_EQ(wal_status_code("lost"), 3);
  EXPECT_EQ(wal_status_code(""), -1);
}

TEST(SlotGuard, NoWarningWithoutALimit) {
  EXPECT_FALSE(slot_retention_warning("s", retention(std::nullopt, -1), 0.2));
}

TEST(SlotGuard, WarnsBelowTheFraction) {
  constexpr std::int64_t mb = 1 << 20;
  EXPECT_FALSE(slot_retention_warning("s", retention(50 * mb, 100 * mb), 0.2));
  EXPECT_FALSE(slot_retention_warning("s", retention(20 * mb, 100 * mb), 0.2));
  const auto warning = slot_retention_warning("myslot", retention(19 * mb, 100 * mb), 0.2);
  ASSERT_TRUE(warning);
  EXPECT_NE(warning->find("myslot"), std::string::npos);
  EXPECT_NE(warning->find("max_slot_wal_keep_size"), std::string::npos);
  // A negative safe_wal_size (already past the limit, not yet invalidated) warns too.
  EXPECT_TRUE(slot_retention_warning("s", retention(-5, 100 * mb), 0.2));
}

TEST(SlotGuard, LostSlotErrorIsFinalAndSaysTheWayBack) {
  const Error error = lost_slot_error("tapedeck_x");
  EXPECT_EQ(error.source(), ErrorSource::config);
  const std::string text = error.what();
  EXPECT_NE(text.find("tapedeck_x"), std::string::npos);
  EXPECT_NE(text.find("pg_drop_replication_slot('tapedeck_x')"), std::string::npos);
  EXPECT_NE(text.find("backup"), std::string::npos);
}

}  // namespace
}  // namespace tapedeck::capture
