// The gap check of capture transactions: positions, contiguity and arrivals.
#include "transform/transaction_check.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tapedeck::transform {

void PositionSet::add(std::uint64_t first, std::uint64_t last) {
  if (first > last) return;
  // Merge with every range it touches or overlaps; the set stays sorted and disjoint.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> merged;
  merged.reserve(ranges_.size() + 1);
  bool placed = false;
  for (const auto& [begin, end] : ranges_) {
    const bool before = end != kOpenEnd && end + 1 < first;
    const bool after = last != kOpenEnd && last + 1 < begin;
    if (before) {
      merged.emplace_back(begin, end);
    } else if (after) {
      if (!placed) merged.emplace_back(first, last);
      placed = true;
      merged.emplace_back(begin, end);
    } else {
      first = std::min(first, begin);
      last = std::max(last, end);
    }
  }
  if (!placed) merged.emplace_back(first, last);
  ranges_ = std::move(merged);
}

void PositionSet::remove(std::uint64_t position) {
  for (auto range = ranges_.begin(); range != ranges_.end(); ++range) {
    const auto [first, last] = *range;
    if (position < first || position > last) continue;
    if (first == last) {
      ranges_.erase(range);
    } else if (position == first) {
      range->first = first + 1;
    } else if (position == last) {
      range->second = last - 1;
    } else {
      range->second = position - 1;
      ranges_.insert(std::next(range), {position + 1, last});
    }
    return;
  }
}

std::string PositionSet::multirange() const {
  std::string out = "{";
  for (const auto& [first, last] : ranges_) {
    if (out.size() > 1) out += ',';
    out += last == kOpenEnd ? fmt::format("[{},)", first) : fmt::format("[{},{})", first, last + 1);
  }
  return out + '}';
}

std::string PositionSet::str() const {
  std::string out;
  for (const auto& [first, last] : ranges_) {
    if (!out.empty()) out += ", ";
    if (last == kOpenEnd) {
      out += fmt::format("{} and after", first);
    } else if (first == last) {
      out += fmt::format("{}", first);
    } else {
      out += fmt::format("{}-{}", first, last);
    }
  }
  return out;
}

void TransactionCheck::delivered(std::uint64_t consumer_sequence) {
  if (consumer_sequence != last_sequence_ + 1) {
    chain_ = false;
    if (open_) open_->contiguous = false;
  }
  last_sequence_ = consumer_sequence;
}

void TransactionCheck::hold(const Open& open, std::vector<HoldChange>& changes) {
  ++holds_found_;
  changes.push_back(HoldChange{HoldChange::Kind::hold, open.commit_lsn, open.missing, 0, false});
}

std::vector<HoldChange> TransactionCheck::message(Lsn commit_lsn, std::uint64_t position,
                                                  Kind kind) {
  std::vector<HoldChange> changes;
  const auto arrival = [&] {
    changes.push_back(
        HoldChange{HoldChange::Kind::arrival, commit_lsn, {}, position, kind == Kind::end});
  };
  // A transaction this process saw end, or older than the one it is in: late or again.
  if (commit_lsn <= newest_end_ || (open_ && commit_lsn < open_->commit_lsn)) {
    arrival();
    return changes;
  }
  if (open_ && commit_lsn != open_->commit_lsn) {
    // A newer transaction began before this one's END: its END and maybe more never came.
    if (open_->contiguous) {
      open_->missing.add(open_->next_position, PositionSet::kOpenEnd);
      hold(*open_, changes);
    }
    open_.reset();
  }
  if (!open_ && commit_lsn != unchecked_) {
    if (kind == Kind::message) {
      unchecked_ = commit_lsn;
    } else if (kind == Kind::begin || chain_) {
      open_ = Open{commit_lsn, 0, {}, true};
    }
  }
  if (open_) {
    if (position > open_->next_position) open_->missing.add(open_->next_position, position - 1);
    // Behind: capture's next pass began before this one ended, and this fills a gap.
    if (position < open_->next_position) open_->missing.remove(position);
    open_->next_position = std::max(open_->next_position, position + 1);
  } else {
    // Not watched by this process: it may still fill a hold another pass recorded.
    arrival();
  }
  if (kind == Kind::end) {
    if (open_ && open_->contiguous && !open_->missing.empty()) hold(*open_, changes);
    open_.reset();
    newest_end_ = std::max(newest_end_, commit_lsn);
    chain_ = true;
  }
  return changes;
}

}  // namespace tapedeck::transform
