// A parsed Debezium change event and a transaction metadata event (FORMAT.md §2, §3, §6).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "transform/field_schema.hpp"
#include "transform/json_value.hpp"

namespace tapedeck::transform {

enum class Op : char {
  create = 'c',
  read = 'r',  // snapshot row
  update = 'u',
  remove = 'd',
  truncate = 't',
  message = 'm',  // logical decoding message
};

std::string_view to_string(Op op);

struct Source {
  std::string version;
  std::string connector;
  std::string name;        // topic.prefix
  std::int64_t ts_ms = 0;  // commit time in the database
  std::optional<std::int64_t> ts_us;
  std::optional<std::int64_t> ts_ns;
  std::string snapshot = "false";  // true, first, ..., last, false, incremental
  std::string db;
  // `sequence` = ["<last commit lsn>","<current lsn>"], either element possibly null.
  std::optional<std::uint64_t> sequence_commit_lsn;
  std::optional<std::uint64_t> sequence_lsn;
  bool has_sequence = false;
  std::string schema;
  std::string table;
  std::optional<std::int64_t> tx_id;
  std::optional<std::uint64_t> lsn;
};

struct TransactionBlock {
  std::string id;  // "<txId>:<lsn>" since 2.0
  std::int64_t total_order = 0;
  std::int64_t data_collection_order = 0;
};

struct LogicalMessage {
  std::string prefix;
  std::string content;  // base64, as on the wire
};

// One column of `before` or `after`, in wire order.
struct RowField {
  std::string name;
  JsonValue value;
};
using Row = std::vector<RowField>;

// The Connect schemas of `before` and `after` (struct schemas, one field per column).
struct RowSchemas {
  FieldSchema before;
  FieldSchema after;
};

// A data change event. Rows hold the raw wire values; decoding to SQL literals needs the
// field schema (kept here when the event carried one) or the catalog (TableInfo).
// Plain value type.
struct ChangeEvent {
  Op op = Op::create;
  Source source;
  std::optional<TransactionBlock> transaction;
  std::optional<std::int64_t> ts_ms;
  std::optional<Row> before;  // nullopt when absent or null
  std::optional<Row> after;
  std::optional<LogicalMessage> message;  // op m only
  // The struct schemas of the rows when the event carried a schema, else null. Shared
  // (and immutable) because every event of a table repeats the same schema.
  std::shared_ptr<const RowSchemas> schema;
  // A primary key change (Debezium: a delete, then a create). On the delete: the new key, from
  // its __debezium.newkey header. On the create: true when it has an __debezium.oldkey header.
  std::optional<Row> new_key;
  bool key_moved_here = false;
};

struct DataCollectionCount {
  std::string data_collection;  // "schema.table"
  std::int64_t event_count = 0;
};

// BEGIN/END on <prefix>.transaction. The id is "<txId>:<lsn>"; BEGIN and END of one
// transaction differ in the lsn part, so correlate on tx_id().
struct TransactionMetadata {
  enum class Status { begin, end };
  Status status = Status::begin;
  std::string id;
  std::optional<std::int64_t> ts_ms;
  std::optional<std::int64_t> event_count;            // END only
  std::vector<DataCollectionCount> data_collections;  // END only

  // The part of `id` before the colon as a number, or nullopt when it is not one.
  std::optional<std::int64_t> tx_id() const;
};

}  // namespace tapedeck::transform
