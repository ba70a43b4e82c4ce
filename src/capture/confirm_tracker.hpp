// Which WAL position capture may confirm to its slot: acked and (by default) stored downstream.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "core/lsn.hpp"

namespace tapedeck::capture {

// capture.confirm_mode: "watermark" waits for the TransformMsg DB, "puback" for JetStream.
enum class ConfirmMode { watermark, puback };

// Follows the transactions of one replication stream from publish to confirmation. A
// transaction becomes confirmable when every event published up to its commit is acknowledged
// by JetStream and, in watermark mode, when transform's watermark (the commit LSN of the last
// transaction whose events are all stored) has reached its commit LSN; a transaction that
// published no event needs only its predecessors confirmed. flush() is then the commit's end
// LSN: PostgreSQL skips, on the next start, exactly the transactions that committed before it.
// While idle (between transactions, everything confirmed) a server keepalive's WAL end is
// confirmable too, so WAL written by other databases does not pile up behind the slot.
// Memory: one entry per transaction not yet confirmed. Pure; used by the streaming thread.
class ConfirmTracker {
 public:
  // `start`: the slot's confirmed position when streaming began (flush() never goes below).
  ConfirmTracker(ConfirmMode mode, Lsn start);

  // A transaction ended and all of its `events` (0 or more) were handed to the publisher.
  void on_commit(Lsn commit_lsn, Lsn end_lsn, std::uint64_t events);
  // Everything handed to the publisher so far is acknowledged.
  void on_all_acked();
  // Transform's watermark as read from the TransformMsg DB.
  void on_watermark(Lsn watermark);
  // A keepalive's WAL end, seen while no transaction was open (`between_transactions`).
  void on_keepalive(Lsn wal_end, bool between_transactions);

  // The position the slot may confirm now; never decreases.
  Lsn flush();
  // Transactions committed in the stream but not yet confirmable.
  std::size_t pending() const { return published_.size() + acked_.size(); }
  std::optional<Lsn> watermark() const { return watermark_; }

 private:
  struct Unit {
    Lsn commit_lsn;
    Lsn end_lsn;
    std::uint64_t events = 0;
  };

  ConfirmMode mode_;
  Lsn flush_;
  std::deque<Unit> published_;  // handed to the publisher, acks outstanding
  std::deque<Unit> acked_;      // acknowledged, waiting for the watermark
  std::optional<Lsn> watermark_;
  std::uint64_t units_seen_ = 0;
  std::uint64_t units_confirmed_ = 0;
  Lsn idle_wal_end_;
  std::uint64_t idle_after_units_ = 0;
  bool idle_valid_ = false;
};

}  // namespace tapedeck::capture
