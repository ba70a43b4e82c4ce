// Which WAL position capture may confirm to its slot: acked and (by default) stored downstream.
#include "capture/confirm_tracker.hpp"

#include <algorithm>

namespace tapedeck::capture {

ConfirmTracker::ConfirmTracker(ConfirmMode mode, Lsn start) : mode_(mode), flush_(start) {}

void ConfirmTracker::on_commit(Lsn commit_lsn, Lsn end_lsn, std::uint64_t events) {
  published_.push_back(Unit{commit_lsn, end_lsn, events});
  ++units_seen_;
}

void ConfirmTracker::on_all_acked() {
  while (!published_.empty()) {
    acked_.push_back(published_.front());
    published_.pop_front();
  }
}

void ConfirmTracker::on_watermark(Lsn watermark) {
  if (!watermark_ || *watermark_ < watermark) watermark_ = watermark;
}

void ConfirmTracker::on_keepalive(Lsn wal_end, bool between_transactions) {
  if (!between_transactions) return;
  idle_wal_end_ = wal_end;
  idle_after_units_ = units_seen_;
  idle_valid_ = true;
}

Lsn ConfirmTracker::flush() {
  while (!acked_.empty()) {
    const Unit& unit = acked_.front();
    const bool stored = mode_ == ConfirmMode::puback || unit.events == 0 ||
                        (watermark_ && unit.commit_lsn <= *watermark_);
    if (!stored) break;
    flush_ = std::max(flush_, unit.end_lsn);
    acked_.pop_front();
    ++units_confirmed_;
  }
  if (idle_valid_ && units_confirmed_ >= idle_after_units_) {
    flush_ = std::max(flush_, idle_wal_end_);
    idle_valid_ = false;
  }
  return flush_;
}

}  // namespace tapedeck::capture
