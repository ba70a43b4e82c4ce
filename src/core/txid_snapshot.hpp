// A PostgreSQL transaction snapshot (pg_snapshot "xmin:xmax:xip,..."): which transactions it sees.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/lsn.hpp"

namespace tapedeck {

// The transaction snapshot recorded with a backup (DESIGN §3.3): xmin, xmax and the xids in
// progress when it was taken, all 64-bit xid8 values. Immutable value; safe to share.
//
// A transaction's effects are in the snapshot (visible) when xid < xmin, or xmin <= xid < xmax
// and it was not in progress. A recorded transaction belongs after the snapshot exactly when it
// is not visible: catch-up replays those.
class TxidSnapshot {
 public:
  // Requires 0 < xmin <= xmax and xmin <= every in-progress xid < xmax. The in-progress list
  // may come in any order; duplicates are dropped. Throws Error(input, invalid) otherwise.
  TxidSnapshot(Xid xmin, Xid xmax, std::vector<Xid> in_progress);

  // Reads what pg_current_snapshot()::text prints: "xmin:xmax:" followed by the in-progress
  // xids in ascending order, separated by commas ("7:12:8,10", or "12:12:" with none).
  // Surrounding whitespace is ignored. Throws Error(input, invalid) naming the text and the
  // problem.
  static TxidSnapshot parse(std::string_view text);

  Xid xmin() const { return xmin_; }
  Xid xmax() const { return xmax_; }
  // Ascending, without duplicates.
  const std::vector<Xid>& in_progress() const { return in_progress_; }

  // Whether the effects of transaction `xid` (if it committed) are in the snapshot.
  bool visible(Xid xid) const;
  // Whether a transaction belongs after the snapshot: !visible(xid).
  bool after_snapshot(Xid xid) const { return !visible(xid); }

  // The text form PostgreSQL prints and parse() reads.
  std::string str() const;

  friend bool operator==(const TxidSnapshot&, const TxidSnapshot&) = default;

 private:
  TxidSnapshot() = default;  // for parse(), which validates before filling it in

  Xid xmin_;
  Xid xmax_;
  std::vector<Xid> in_progress_;
};

}  // namespace tapedeck
