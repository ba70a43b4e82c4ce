// One received message to what the store transaction writes: a statement, an RTUS call, a
// dead letter, or nothing (transaction metadata, logical messages).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/lsn.hpp"
#include "transform/change_event.hpp"
#include "transform/event_parser.hpp"
#include "transform/event_placement.hpp"
#include "transform/sql_renderer.hpp"
#include "transform/statement_store.hpp"
#include "transform/table_info.hpp"
#include "transform/transaction_check.hpp"

namespace tapedeck::transform {

// Where the processor gets table definitions and the reference xid (the Catalog in the
// service, a fixed map in tests). Called on the processor's thread.
class TableSource {
 public:
  virtual ~TableSource() = default;
  // The table, or null when the Live DB has none.
  virtual std::shared_ptr<const TableInfo> find(const std::string& schema,
                                                const std::string& table) = 0;
  // Forget the cached definition (the next find() reads it again).
  virtual void refresh(const std::string& schema, const std::string& table) = 0;
  // The event of this table carried `row_schema` (null when schemas are off); a change
  // means the table's definition changed.
  virtual void note_schema(const std::string& schema, const std::string& table,
                           const void* row_schema) = 0;
  // A recent full xid of the Live DB cluster (for widen_xid).
  virtual Xid reference_xid() = 0;
};

// A message as the processor needs it (the service fills it from a JetStream message).
struct InMessage {
  std::string_view subject;
  std::string_view data;
  std::optional<std::string> message_id;  // Nats-Msg-Id
  std::optional<std::string> commit_lsn;  // Tapedeck-Commit-Lsn
  std::string_view stream;
  std::uint64_t stream_sequence = 0;
  std::uint64_t consumer_sequence = 0;
  // The halves of a primary key change: cdc::kNewKeyHeader on the delete, cdc::kOldKeyHeader
  // on the create.
  std::optional<std::string> new_key;
  std::optional<std::string> old_key;
};

struct ProcessorOptions {
  std::string prefix = "tapedeck";  // nats.cdc_prefix
  std::size_t max_message_bytes = 8u << 20;
  DecodeOptions decode;
};

// schema_change: a row of tapedeck.schema_changes that updated table shapes and, for DDL,
// stored its statement.
enum class Outcome {
  statement,
  rtus_call,
  dead_letter,
  transaction_metadata,
  skipped,
  schema_change
};

// An END of a capture transaction seen in the batch.
struct EndEvent {
  std::uint64_t stream_sequence = 0;
  Lsn commit_lsn;
};

// Turns messages into batch rows. Keeps the parser, the Debezium placer, the transaction
// transaction check and the ENDs of the current batch. One thread; not thread-safe.
class EventProcessor {
 public:
  EventProcessor(ProcessorOptions options, TableSource& tables);

  // Adds what `message` becomes to `batch`. Bad input becomes a dead letter; only errors of
  // the table source (Live DB down: Recovery::retry) are thrown.
  Outcome process(const InMessage& message, Batch& batch);

  // Capture ENDs seen since the last take_ends().
  std::vector<EndEvent> take_ends() { return std::exchange(ends_, {}); }
  // Capture transactions found with messages missing (TransactionCheck).
  std::uint64_t incomplete_transactions() const { return check_.holds_found(); }
  // The reason of the last dead letter (for logs and tests).
  const std::string& last_reason() const { return last_reason_; }

  // Table shapes recorded by schema changes stored earlier (StatementStore::table_shapes()):
  // data events of these tables render with them instead of the table source's.
  // Throws Error(input, invalid) for a malformed shape.
  void load_shapes(const std::vector<std::tuple<std::string, std::string, std::string>>& shapes);
  // The recorded shape of a table, or null when none (tests).
  std::shared_ptr<const TableInfo> recorded_shape(const std::string& schema,
                                                  const std::string& table) const;

 private:
  Outcome dead_letter(const InMessage& message, std::string reason, Batch& batch);
  void check_transaction(const InMessage& message,
                         const std::optional<CaptureMessageId>& capture_id, Batch& batch);
  Outcome change_event(const InMessage& message, const std::optional<CaptureMessageId>& capture_id,
                       Batch& batch);
  Outcome transaction_metadata(const InMessage& message,
                               const std::optional<CaptureMessageId>& capture_id, Batch& batch);
  Outcome rtus_call(const InMessage& message, Batch& batch);
  Outcome schema_change(const EventPlacement& placement, Xid xid, Batch& batch);

  ProcessorOptions options_;
  TableSource& tables_;
  EventParser parser_;
  SqlRenderer renderer_;
  DebeziumPlacer placer_;
  ChangeEvent event_;
  RenderedStatement rendered_;
  std::string transaction_subject_;
  std::string rtus_subject_;
  std::string message_subject_;
  std::vector<EndEvent> ends_;
  std::string last_reason_;
  // Per table, the shape the newest schema change processed recorded (see load_shapes).
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const TableInfo>> shapes_;

  TransactionCheck check_;
  // What is known of the current change event's place, for its dead letter.
  std::optional<Lsn> letter_commit_lsn_;
  std::optional<std::int64_t> letter_commit_time_us_;
};

}  // namespace tapedeck::transform
