// Which capture transactions reached the stream with messages missing, so that the watermark
// stays before them until the missing messages arrive.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/lsn.hpp"

namespace tapedeck::transform {

// Message positions of one transaction, as closed ranges [first, last]; kOpenEnd as `last`
// means "and everything after" (the transaction's END is not known yet). Sorted, disjoint.
class PositionSet {
 public:
  static constexpr std::uint64_t kOpenEnd = UINT64_MAX;

  void add(std::uint64_t first, std::uint64_t last);
  void remove(std::uint64_t position);
  bool empty() const { return ranges_.empty(); }
  const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges() const { return ranges_; }
  // As a PostgreSQL int8multirange literal: "{[2,3),[7,)}".
  std::string multirange() const;
  // For logs: "2, 7 and after".
  std::string str() const;

 private:
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;
};

// What the store transaction of the current message must record.
struct HoldChange {
  enum class Kind {
    // The transaction at `commit_lsn` is missing `missing`: hold the watermark before it.
    hold,
    // A message of an earlier transaction arrived (late, or again): if that transaction is
    // held, `position` is no longer missing; an END also settles everything after it.
    arrival,
  };
  Kind kind = Kind::hold;
  Lsn commit_lsn;
  PositionSet missing;         // hold
  std::uint64_t position = 0;  // arrival
  bool end = false;            // arrival: the message is the transaction's END
};

// Capture numbers the messages of a transaction: BEGIN 0, its events 1..n, END n+1, and
// publishes them asynchronously. After a fault (a NATS restart under load, a stream limit) a
// publish can fail while later ones, the END among them, are stored. Capture then streams the
// transaction again from its slot; deduplication drops what is stored, so the missing
// messages arrive after the END, out of their place. Until then the store lacks them, and a
// watermark moved past the transaction by a later END would call the recording complete.
//
// A process can only see a gap in a transaction when it received every message the consumer
// delivered from the END before it (or from its BEGIN) to its own END: contiguous consumer
// sequences (another process sharing the consumer, a redelivery, or a restart break them, and
// the check is skipped, never guessed). A message of a transaction older than one this
// process already saw end is an arrival: it may fill a hold another pass recorded.
//
// Pure logic: one per consumer thread, fed every delivered message in order.
class TransactionCheck {
 public:
  // message: a transactional logical decoding message. Capture emits no BEGIN for a
  // transaction that has only such messages, so one never starts a check.
  enum class Kind { begin, event, message, end };

  // Every message the consumer delivered, first, in delivery order.
  void delivered(std::uint64_t consumer_sequence);
  // A message of a capture transaction (its message id "<commit lsn>:<position>"). Returns
  // what the store must record because of it, in order (usually nothing).
  std::vector<HoldChange> message(Lsn commit_lsn, std::uint64_t position, Kind kind);

  // Transactions found with messages missing so far (a metric).
  std::uint64_t holds_found() const { return holds_found_; }

 private:
  struct Open {
    Lsn commit_lsn;
    std::uint64_t next_position = 0;
    PositionSet missing;
    bool contiguous = true;
  };
  void hold(const Open& open, std::vector<HoldChange>& changes);

  std::optional<Open> open_;
  std::uint64_t last_sequence_ = 0;
  // Every message delivered since the last END this process saw reached it.
  bool chain_ = false;
  Lsn newest_end_;
  // A transaction met first through a logical message (see Kind::message): not checked.
  Lsn unchecked_;
  std::uint64_t holds_found_ = 0;
};

}  // namespace tapedeck::transform
