// Where a change event sits in the recording: unique id, commit LSN, position, xid8, commit time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/lsn.hpp"
#include "transform/change_event.hpp"

namespace tapedeck::transform {

// tapedeck capture's Nats-Msg-Id "<commit lsn>:<position>" ("16/B374D848:3").
struct CaptureMessageId {
  Lsn commit_lsn;
  std::uint64_t position = 0;
};
std::optional<CaptureMessageId> parse_capture_message_id(std::string_view id);

// The 64-bit xid8 of a 32-bit xid, given a full xid of the same cluster read recently
// (pg_current_snapshot's xmax): the one within 2^31 of `reference`. Debezium's txId and
// pgoutput's xid are 32-bit; a value already above 2^32 is taken as a full xid8.
Xid widen_xid(std::uint64_t xid, Xid reference);

// Commit time as the statements table stores it: source.ts_us, else source.ts_ms * 1000.
std::int64_t commit_time_us(const Source& source);

struct EventPlacement {
  std::string event_id;
  Lsn commit_lsn;
  std::int64_t position = 0;
};

// The placement of an event from tapedeck's capture: id = its message id, commit LSN and
// position from it (the Tapedeck-Commit-Lsn header, when given, must agree). Throws
// Error(input, invalid) when the id is not capture's.
EventPlacement place_capture_event(std::string_view message_id,
                                   std::optional<std::string_view> commit_lsn_header);

// Places events from a stock Debezium Server, which sends no message id and no commit LSN
// (FORMAT.md §10):
// - commit LSN: source.sequence[0], the LSN of the commit the connector saw last, which is
//   the same for every event of a transaction and grows in commit order. Events without it
//   (connector < 1.? or snapshot rows with a null element) fall back to source.lsn, which
//   keeps transactions apart but is not in commit order across concurrent transactions.
// - position: transaction.total_order (provide.transaction.metadata=true), else source.lsn
//   (rows of one COPY or multi-row INSERT share it: they are inserts of one statement, so
//   their relative order does not change the result).
// - id: "dbz:<commit lsn>:<txId>:<total_order>" with transaction metadata; otherwise
//   "dbz:<txId>:<lsn>:<digest>:<n>", where digest is a 64-bit hash of schema, table, op and
//   the before/after values, and n counts earlier events with the same txId, lsn and digest
//   since this placer last saw another txId. Limits: n restarts with the process, so two
//   identical rows of one COPY that straddle a restart could get the same id (one would be
//   dropped as a duplicate); and a redelivery interleaved with another txId restarts n,
//   which is harmless (the same event gets the same n again). Memory is bounded: the counts
//   are dropped after kMaxOccurrences distinct rows of one transaction (a huge snapshot),
//   with the same effect as a restart.
// One per consumer thread; not thread-safe.
class DebeziumPlacer {
 public:
  // Throws Error(input, invalid) when the event has no txId or no LSN at all.
  EventPlacement place(const ChangeEvent& event);

  static constexpr std::size_t kMaxOccurrences = 100'000;

 private:
  std::optional<std::int64_t> current_tx_;
  std::unordered_map<std::string, std::uint32_t> occurrences_;
};

// The FNV-1a 64-bit digest of an event's table, op and row values (used for the ids above).
std::uint64_t event_digest(const ChangeEvent& event);

}  // namespace tapedeck::transform
