// Watermark advance over the consumer's ack floor.
#include "transform/watermark.hpp"

#include <algorithm>

namespace tapedeck::transform {

void WatermarkTracker::end_committed(std::uint64_t stream_sequence, Lsn commit_lsn) {
  if (commit_lsn <= reported_) return;
  // Redeliveries may come back out of sequence order: keep the deque sorted.
  const auto at = std::upper_bound(
      pending_.begin(), pending_.end(), stream_sequence,
      [](std::uint64_t sequence, const End& end) { return sequence < end.sequence; });
  pending_.insert(at, End{stream_sequence, commit_lsn});
  if (pending_.size() > kMaxPending) pending_.pop_front();
}

std::optional<Lsn> WatermarkTracker::advance(std::uint64_t ack_floor) {
  Lsn best = reported_;
  while (!pending_.empty() && pending_.front().sequence <= ack_floor) {
    best = std::max(best, pending_.front().lsn);
    pending_.pop_front();
  }
  if (best <= reported_) return std::nullopt;
  reported_ = best;
  return best;
}

}  // namespace tapedeck::transform
