// Decoder for PostgreSQL's pgoutput logical replication messages, protocol version 1.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "core/lsn.hpp"

namespace tapedeck::capture::pgoutput {

// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01 00:00:00 UTC).
inline constexpr std::int64_t kPostgresEpochOffsetMicros = 946'684'800'000'000;

// A commit timestamp as PostgreSQL sends it: microseconds since 2000-01-01 UTC.
struct PgTimestamp {
  std::int64_t micros_since_2000 = 0;
  constexpr std::int64_t unix_micros() const {
    return micros_since_2000 + kPostgresEpochOffsetMicros;
  }
  constexpr auto operator<=>(const PgTimestamp&) const = default;
};

struct Begin {
  Lsn final_lsn;  // LSN of the transaction's commit record
  PgTimestamp commit_time;
  std::uint32_t xid = 0;
};

struct Commit {
  std::uint8_t flags = 0;
  Lsn commit_lsn;
  Lsn end_lsn;  // end of the commit record; the stream position of this message
  PgTimestamp commit_time;
};

struct Origin {
  Lsn commit_lsn;  // LSN of the commit on the origin server
  std::string_view name;
};

enum class ReplicaIdentity : char { default_ = 'd', nothing = 'n', full = 'f', index = 'i' };

struct RelationColumn {
  bool key = false;  // part of the replica identity
  std::string_view name;
  std::uint32_t type_oid = 0;
  std::int32_t type_modifier = -1;
};

struct Relation {
  std::uint32_t oid = 0;
  std::string_view namespace_;  // empty for pg_catalog
  std::string_view name;
  ReplicaIdentity replica_identity = ReplicaIdentity::default_;
  std::vector<RelationColumn> columns;
};

struct Type {
  std::uint32_t oid = 0;
  std::string_view namespace_;
  std::string_view name;
};

// One column of a tuple: 'n' null, 'u' unchanged TOASTed value (not sent), 't' text, 'b' binary.
enum class ValueKind : char { null = 'n', unchanged_toast = 'u', text = 't', binary = 'b' };

struct TupleValue {
  ValueKind kind = ValueKind::null;
  std::string_view data;  // the text or binary bytes for 't'/'b', empty otherwise
};

using Tuple = std::vector<TupleValue>;

struct Insert {
  std::uint32_t relation_oid = 0;
  Tuple new_tuple;
};

// Which old row image an Update or Delete carries: none, 'K' (replica identity columns only,
// the others null) or 'O' (the whole old row, REPLICA IDENTITY FULL).
enum class OldTupleKind : char { none = 0, key = 'K', old = 'O' };

struct Update {
  std::uint32_t relation_oid = 0;
  OldTupleKind old_kind = OldTupleKind::none;
  Tuple old_tuple;  // empty when old_kind == none
  Tuple new_tuple;
};

struct Delete {
  std::uint32_t relation_oid = 0;
  OldTupleKind old_kind = OldTupleKind::key;
  Tuple old_tuple;
};

struct Truncate {
  bool cascade = false;
  bool restart_identity = false;
  std::vector<std::uint32_t> relation_oids;
};

// A logical decoding message written with pg_logical_emit_message().
struct LogicalMessage {
  bool transactional = false;
  Lsn lsn;
  std::string_view prefix;
  std::string_view content;
};

using Message = std::variant<Begin, Commit, Origin, Relation, Type, Insert, Update, Delete,
                             Truncate, LogicalMessage>;

// Decodes one pgoutput message (the payload of an XLogData 'w' message, starting with the
// message type byte). Every string_view in the result points into `bytes`, so the caller keeps
// the buffer alive while it uses the message. Malformed input (unknown type, truncated field,
// string without terminator, trailing bytes) throws Error(input, invalid) naming the message
// type and the byte offset; it never reads outside `bytes`. Pure and thread-safe.
Message decode(std::string_view bytes);

// The message type byte as a readable name ("Begin", "Insert", ...), "unknown" otherwise.
std::string_view message_name(char type);

}  // namespace tapedeck::capture::pgoutput
