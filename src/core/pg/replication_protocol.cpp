// Byte layout of the replication CopyData messages (PostgreSQL protocol, "Streaming
// Replication Protocol": XLogData 'w', Primary keepalive 'k', Standby status update 'r').
#include "core/pg/replication_protocol.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace tapedeck::pg {

namespace {

// Seconds from the Unix epoch to 2000-01-01 00:00 UTC.
constexpr std::int64_t kPgEpochUnixSeconds = 946'684'800;

std::uint64_t read_u64(std::string_view bytes, std::size_t at) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  }
  return value;
}

void write_u64(char* out, std::uint64_t value) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
}

[[noreturn]] void malformed(std::string_view what, std::size_t size) {
  throw Error(ErrorSource::postgres, Recovery::fail,
              fmt::format("reading the replication stream: {} message of {} bytes is too short",
                          what, size));
}

}  // namespace

std::int64_t to_pg_micros(ServerTime time) {
  return time.time_since_epoch().count() - kPgEpochUnixSeconds * 1'000'000;
}

ServerTime from_pg_micros(std::int64_t micros) {
  return ServerTime(std::chrono::microseconds(micros + kPgEpochUnixSeconds * 1'000'000));
}

ReplicationMessage parse_replication_message(std::string_view bytes) {
  if (bytes.empty()) malformed("an empty", 0);
  switch (bytes[0]) {
    case 'w': {
      constexpr std::size_t kHeader = 1 + 8 + 8 + 8;
      if (bytes.size() < kHeader) malformed("an XLogData", bytes.size());
      XLogData data;
      data.wal_start = Lsn{read_u64(bytes, 1)};
      data.wal_end = Lsn{read_u64(bytes, 9)};
      data.server_time = from_pg_micros(static_cast<std::int64_t>(read_u64(bytes, 17)));
      data.payload.assign(bytes.substr(kHeader));
      return data;
    }
    case 'k': {
      if (bytes.size() < 1 + 8 + 8 + 1) malformed("a keepalive", bytes.size());
      PrimaryKeepalive keepalive;
      keepalive.wal_end = Lsn{read_u64(bytes, 1)};
      keepalive.server_time = from_pg_micros(static_cast<std::int64_t>(read_u64(bytes, 9)));
      keepalive.reply_requested = bytes[17] != 0;
      return keepalive;
    }
    default:
      throw Error(ErrorSource::postgres, Recovery::fail,
                  fmt::format("reading the replication stream: unknown message type 0x{:02x}",
                              static_cast<unsigned char>(bytes[0])));
  }
}

std::array<char, 34> encode_standby_status(const StandbyStatus& status) {
  std::array<char, 34> out{};
  out[0] = 'r';
  write_u64(out.data() + 1, status.write.value);
  write_u64(out.data() + 9, status.flush.value);
  write_u64(out.data() + 17, status.apply.value);
  write_u64(out.data() + 25, static_cast<std::uint64_t>(to_pg_micros(status.client_time)));
  out[33] = status.reply_requested ? 1 : 0;
  return out;
}

}  // namespace tapedeck::pg
