// Reading the recording back: transactions and RTUS calls from the TransformMsg DB, in order, a
// page at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/lsn.hpp"
#include "core/pg/connection.hpp"
#include "core/rtus_call.hpp"
#include "core/txid_snapshot.hpp"
#include "msgop/schedule.hpp"

namespace tapedeck::msgop {

// One recorded source transaction: its statements in position order.
struct RecordedTransaction {
  Lsn commit_lsn;
  Xid xid;
  Instant commit_time;
  std::vector<std::string> statements;
  // Each statement's position in the recording (tapedeck.statements.position), to name a
  // failing one; empty where a transaction was built by hand.
  std::vector<std::int64_t> positions;
};

// The statements of a replay window, from measure_window().
struct WindowExtent {
  std::int64_t statements = 0;
  std::optional<Lsn> first_commit_lsn;  // both nullopt for an empty window
  std::optional<Lsn> last_commit_lsn;
};

// The statements of a catch-up, from measure_catch_up(): its cursor reads the commit LSNs
// [from, through] only. The default bounds nothing.
struct CatchUpExtent {
  std::int64_t statements = 0;
  Lsn from{};
  Lsn through{~std::uint64_t{0}};
};

// Which statements a TransactionReader returns.
struct TransactionFilter {
  // Catch-up (DESIGN §3.3): transactions not visible in `snapshot` committed at or before
  // `until`. Paced replay: transactions committed in (after, until].
  static TransactionFilter catch_up(const TxidSnapshot& snapshot, Instant until,
                                    const CatchUpExtent& extent = {});
  // `extent` is the window's, from measure_window(): its first and last commit LSNs bound the
  // pages' walk of the commit-LSN index.
  static TransactionFilter window(Instant after, Instant until, const WindowExtent& extent);
  // Verification: transactions not visible in `older` and visible in `newer`, whatever their
  // commit time, so that a database restored from `older`'s backup becomes `newer`'s snapshot.
  static TransactionFilter between_snapshots(const TxidSnapshot& older, const TxidSnapshot& newer);

  std::optional<std::string> snapshot;          // set for catch-up
  std::optional<std::string> through_snapshot;  // set for a catch-up between two snapshots
  std::optional<Instant> after;                 // set for a window
  std::optional<Lsn> first_commit_lsn;          // a window's; nullopt when it is empty
  std::optional<Lsn> last_commit_lsn;           // a window's; nullopt when it is empty
  CatchUpExtent catch_up_extent;                // a catch-up's bounds
  Instant until;
};

// Streams whole transactions in (commit_lsn, position) order, `page_rows` statements at a
// time, so memory stays bounded however long the recording. Catch-up reads through one
// server-side cursor in a read-only repeatable-read transaction (one ordered scan, however
// many pages; held only while catching up). A replay window uses keyset pagination instead:
// each page one short query, so a session playing for hours holds no transaction open on the
// store. Borrows `store`, which must outlive it and do nothing else meanwhile; one thread.
// The destructor closes an unfinished cursor (rolls its transaction back); it never throws.
class TransactionReader {
 public:
  TransactionReader(pg::Connection& store, TransactionFilter filter, int page_rows = 5000);
  ~TransactionReader();
  TransactionReader(const TransactionReader&) = delete;
  TransactionReader& operator=(const TransactionReader&) = delete;

  // The next transaction, or nullopt when there is no more.
  std::optional<RecordedTransaction> next();
  // Statements returned so far.
  std::int64_t statements_read() const { return statements_read_; }

 private:
  bool fill();  // fetches the next page when the current one is used up; false at the end

  pg::Connection& store_;
  TransactionFilter filter_;
  int page_rows_;
  pg::Result page_;
  int row_ = 0;
  bool exhausted_ = false;
  bool cursor_open_ = false;
  Lsn last_lsn_{};
  std::string last_lsn_text_;  // last_lsn_ as the server printed it, to skip re-parsing
  std::int64_t last_position_ = -1;
  std::int64_t statements_read_ = 0;
};

// Streams the RTUS calls recorded in (after, until], by (called_at, call_id), a page at a
// time. Borrows `store`; one thread.
class RtusCallReader {
 public:
  RtusCallReader(pg::Connection& store, Instant after, Instant until, int page_rows = 1000);

  std::optional<RtusCall> next();

 private:
  pg::Connection& store_;
  Instant after_;
  Instant until_;
  int page_rows_;
  std::vector<RtusCall> page_;
  std::size_t index_ = 0;
  bool exhausted_ = false;
  Instant last_time_;
  std::string last_id_;
};

// The statements in (after, until]: how many (the total progress counts down) and the lowest
// commit LSN among them (nullopt when there are none), in one scan of the window's part of
// the commit-time index.
WindowExtent measure_window(pg::Connection& store, Instant after, Instant until);

// The statements catch-up from a backup (its snapshot and LSN) to `until` applies: how many, and
// the commit LSNs that hold them all (kCatchUpStart). Costs a scan of what was recorded after the
// backup, never of what was recorded before it.
CatchUpExtent measure_catch_up(pg::Connection& store, const TxidSnapshot& snapshot, Lsn backup_lsn,
                               Instant until);

// How many RTUS calls fall in (after, until].
std::int64_t count_rtus_calls(pg::Connection& store, Instant after, Instant until);

}  // namespace tapedeck::msgop
