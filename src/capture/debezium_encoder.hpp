// Turns decoded pgoutput messages into Debezium PostgreSQL change events (JSON), subjects and ids.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "capture/encoder_settings.hpp"
#include "capture/pgoutput.hpp"
#include "capture/relation_cache.hpp"
#include "capture/value_codec.hpp"
#include "core/cdc_headers.hpp"
#include "core/lsn.hpp"

namespace tapedeck::capture {

// The id JetStream de-duplicates on: the transaction's commit LSN and the event's position in
// the transaction (0 = BEGIN, 1.. = the changes in order, last = END). Deterministic, so a
// transaction streamed again after a crash yields the same ids. "16/B374D848:3".
std::string message_id(Lsn commit_lsn, std::uint64_t position);

// "<prefix>.<schema>.<table>" (Debezium Server's subject for a table's topic).
std::string table_subject(std::string_view prefix, std::string_view schema, std::string_view table);
// "<prefix>.transaction" (BEGIN/END transaction metadata).
std::string transaction_subject(std::string_view prefix);
// "<prefix>.message" (logical decoding messages, op "m").
std::string message_subject(std::string_view prefix);

// The value of the Tapedeck-Key-Columns header: a JSON array of column names.
std::string key_columns_header(const std::vector<std::string>& names);

// One message to publish. `key_columns` is shared by all events of a relation version.
struct EncodedEvent {
  std::string subject;
  std::string message_id;
  std::string value;  // UTF-8 JSON, the Debezium change event value
  Lsn commit_lsn;     // of the transaction (the message's own LSN outside transactions)
  Lsn lsn;            // WAL position of this change (the commit end for END)
  std::shared_ptr<const std::vector<std::string>> key_columns;  // null for BEGIN/END/m/t
  // On the two halves of a primary key change: the header (cdc::kNewKeyHeader on the delete,
  // cdc::kOldKeyHeader on the create) and the other key as JSON; empty name otherwise.
  std::string_view key_change_header;
  std::string key_change;
};

// Encodes one replication stream. Feed it every decoded message in stream order together with
// the WAL start of the XLogData that carried it; it keeps the relation cache, the transaction
// state (BEGIN/END counts, per-table order) and per-relation schemas built once per relation
// version. Memory does not grow with transaction size (one counter per table touched).
// Single-threaded: owned by the replication reader thread.
class DebeziumEncoder {
 public:
  // `relations` must outlive the encoder.
  DebeziumEncoder(EncoderSettings settings, RelationCache& relations);
  ~DebeziumEncoder();
  DebeziumEncoder(const DebeziumEncoder&) = delete;
  DebeziumEncoder& operator=(const DebeziumEncoder&) = delete;

  // Applies one message and appends the events it produces to `out` (none for Begin, Relation,
  // Type, Origin; one or two for a change; BEGIN is emitted lazily before a transaction's
  // first event, END at its Commit). `now_unix_micros` is the processing time (ts_ms/us/ns).
  // Throws Error(input, ...) for a change out of order (before Begin, unknown relation,
  // unparsable value); the stream must then be restarted from the slot.
  void on_message(const pgoutput::Message& message, Lsn wal_start, std::int64_t now_unix_micros,
                  std::vector<EncodedEvent>& out);

  // LSN of the last Commit seen (source.sequence[0]); restored after a restart from the slot's
  // confirmed position so the first events carry it, as Debezium's stored offset does.
  std::optional<Lsn> last_commit_lsn() const { return last_commit_lsn_; }
  void set_last_commit_lsn(std::optional<Lsn> lsn) { last_commit_lsn_ = lsn; }
  bool in_transaction() const { return tx_.open; }

  const EncoderSettings& settings() const { return settings_; }

 private:
  struct Prepared;  // per relation version: codecs, field names, schema text, subject
  struct TableCount {
    std::uint32_t relation_oid;
    std::string data_collection;
    std::uint64_t count;
  };
  struct Transaction {
    bool open = false;
    std::uint32_t xid = 0;
    Lsn commit_lsn;
    pgoutput::PgTimestamp commit_time;
    bool begin_emitted = false;
    std::uint64_t next_position = 1;
    std::uint64_t total_order = 0;
    std::vector<TableCount> tables;
  };

  const Prepared& prepared(std::uint32_t relation_oid);
  void require_transaction(std::string_view what) const;
  std::uint64_t count_event(const Prepared& rel, Lsn lsn, std::int64_t now,
                            std::vector<EncodedEvent>& out);
  void emit_row(const Prepared& rel, char op, const pgoutput::Tuple* before,
                const pgoutput::Tuple* after, const pgoutput::Tuple* old_for_toast, Lsn lsn,
                std::int64_t now, std::vector<EncodedEvent>& out);
  // The key columns of `tuple` as Debezium writes a key: {"id":5}, or with schemas enabled
  // {"schema":<key struct>,"payload":{"id":5}}.
  std::string key_json(const Prepared& rel, const pgoutput::Tuple& tuple,
                       const pgoutput::Tuple* old_for_toast) const;
  void emit_truncate(const Prepared& rel, Lsn lsn, std::int64_t now,
                     std::vector<EncodedEvent>& out);
  void emit_message(const pgoutput::LogicalMessage& message, Lsn lsn, std::int64_t now,
                    std::vector<EncodedEvent>& out);
  void emit_begin(Lsn first_event_lsn, std::vector<EncodedEvent>& out);
  void emit_end(const pgoutput::Commit& commit, std::vector<EncodedEvent>& out);
  void on_update(const pgoutput::Update& update, Lsn lsn, std::int64_t now,
                 std::vector<EncodedEvent>& out);

  EncoderSettings settings_;
  RelationCache& relations_;
  Placeholder placeholder_;
  std::string transaction_subject_;
  std::string message_subject_;
  std::string transaction_schema_prefix_;  // {"schema":..,"payload": for BEGIN/END
  std::string message_schema_prefix_;
  std::unordered_map<std::uint32_t, std::unique_ptr<Prepared>> prepared_;
  Transaction tx_;
  std::optional<Lsn> last_commit_lsn_;
};

}  // namespace tapedeck::capture
