// TickPlanner arithmetic and the jitter percentile helper.
#include "timekeeper/ticker.hpp"

#include <algorithm>
#include <cmath>

namespace tapedeck::timekeeper {

using namespace std::chrono;

TickPlan TickPlanner::next(WallTime now) {
  TickPlan plan;
  const sys_seconds upcoming = ceil<seconds>(now);  // first whole second at or after now
  if (!last_) {
    plan.boundary = upcoming;
  } else {
    const sys_seconds following = *last_ + seconds{1};
    if (now < *last_ - seconds{1}) {
      // Earlier than a tick already made by more than a second: the clock was set back.
      plan.boundary = upcoming;
      plan.clock_stepped_back = true;
    } else if (following >= now) {
      plan.boundary = following;  // on time (or set back a little: wait a little longer)
    } else {
      const sys_seconds latest = floor<seconds>(now);
      plan.boundary = latest;
      plan.missed = static_cast<std::uint64_t>((latest - following).count());
    }
  }
  last_ = plan.boundary;
  missed_total_ += plan.missed;
  return plan;
}

nanoseconds tick_offset(sys_seconds boundary, WallTime actual) {
  return duration_cast<nanoseconds>(actual - boundary);
}

nanoseconds percentile_of_sorted(const std::vector<nanoseconds>& sorted, double fraction) {
  if (sorted.empty()) return nanoseconds{0};
  // The epsilon keeps 0.99 * 100 from rounding up to rank 100.
  const double rank = std::ceil(fraction * static_cast<double>(sorted.size()) - 1e-9);
  const std::size_t index =
      std::clamp<std::size_t>(static_cast<std::size_t>(std::max(rank, 1.0)), 1, sorted.size()) - 1;
  return sorted[index];
}

Percentiles percentiles(std::vector<nanoseconds> samples) {
  Percentiles result;
  if (samples.empty()) return result;
  std::sort(samples.begin(), samples.end());
  result.count = samples.size();
  result.p50 = percentile_of_sorted(samples, 0.50);
  result.p99 = percentile_of_sorted(samples, 0.99);
  result.max = samples.back();
  return result;
}

}  // namespace tapedeck::timekeeper
