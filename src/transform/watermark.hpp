// The capture watermark: the commit LSN up to which every capture event is durable in the store.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "core/lsn.hpp"

namespace tapedeck::transform {

// Decides how far the watermark in tapedeck.watermarks may move.
//
// Why it is safe with several transform processes sharing one durable consumer: capture
// publishes a transaction's events and then its END (transaction metadata) in commit order,
// and transform acknowledges a message only after the store transaction that holds it (or
// its dead letter) committed. The consumer's ack floor (every stream sequence <= it is
// acknowledged, whichever process took it) therefore bounds what is durable: once the ack
// floor reaches the stream sequence of the END of a transaction with commit LSN L, every
// event published before that END, so every event of every transaction committed up to L,
// is stored or dead-lettered. Each process remembers the ENDs it committed until the ack
// floor passes them; the watermark row only ever moves forward (GREATEST), so processes
// can report in any order. A crash forgets pending ENDs, which only delays the watermark
// until a later END passes. One premise needs help: after a failed publish, capture sends the
// missing message again after the END it belongs before. TransactionCheck finds such
// transactions and the store holds the watermark row before them (tapedeck.watermark_holds),
// whatever this tracker reports; capture, for its part, never confirms past its own
// unacknowledged publishes.
//
// Plain value type; one per consumer thread.
class WatermarkTracker {
 public:
  // An END with this stream sequence and commit LSN is committed in the store.
  void end_committed(std::uint64_t stream_sequence, Lsn commit_lsn);
  // Given the consumer's current ack floor, the highest commit LSN now covered (to write),
  // or nullopt when nothing new is covered. Covered ENDs are forgotten.
  std::optional<Lsn> advance(std::uint64_t ack_floor);
  std::size_t pending() const { return pending_.size(); }
  // The highest LSN advance() returned so far.
  Lsn reported() const { return reported_; }

  // More pending ENDs than this drops the oldest (memory stays bounded when the ack floor is
  // stuck behind a message another process holds).
  static constexpr std::size_t kMaxPending = 100'000;

 private:
  struct End {
    std::uint64_t sequence;
    Lsn lsn;
  };
  std::deque<End> pending_;  // by stream sequence (a consumer receives in stream order)
  Lsn reported_;
};

}  // namespace tapedeck::transform
