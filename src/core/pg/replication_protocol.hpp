// Streaming replication CopyData messages: XLogData and keepalive in, status update out.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/lsn.hpp"

namespace tapedeck::pg {

// Microseconds since 2000-01-01 00:00 UTC, the replication protocol's clock.
using ServerTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;
std::int64_t to_pg_micros(ServerTime time);
ServerTime from_pg_micros(std::int64_t micros);

// 'w': WAL data. For logical replication, `payload` is one output-plugin message (for
// pgoutput: 'B'egin, 'R'elation, 'I'nsert, 'C'ommit, ...), owned by this object.
struct XLogData {
  Lsn wal_start;  // where this data starts in the WAL
  Lsn wal_end;    // the server's current end of WAL
  ServerTime server_time;
  std::string payload;
};

// 'k': the server's heartbeat. When `reply_requested`, answer with a status update soon,
// or the server may end the connection after wal_sender_timeout.
struct PrimaryKeepalive {
  Lsn wal_end;
  ServerTime server_time;
  bool reply_requested = false;
};

using ReplicationMessage = std::variant<XLogData, PrimaryKeepalive>;

// Parses one CopyData message of the replication stream. Throws Error (postgres, fail) for
// an unknown type byte or a message too short for its type.
ReplicationMessage parse_replication_message(std::string_view bytes);

// 'r': the standby status update, 34 bytes: type, write, flush, apply positions, client
// time (all big-endian int64), reply-requested byte. Positions are "last byte + 1", i.e.
// the end LSN of what has been written / made durable / applied.
struct StandbyStatus {
  Lsn write;
  Lsn flush;
  Lsn apply;
  ServerTime client_time;
  bool reply_requested = false;
};
std::array<char, 34> encode_standby_status(const StandbyStatus& status);

}  // namespace tapedeck::pg
