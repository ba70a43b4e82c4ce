// Byte layout of XLogData, keepalive and standby status update messages.
#include "core/pg/replication_protocol.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::pg {
namespace {

std::string be64(std::uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  return out;
}

TEST(PgTime, TheProtocolEpochIsTheYear2000) {
  const ServerTime epoch = from_pg_micros(0);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(epoch.time_since_epoch()).count(),
            946'684'800);
  EXPECT_EQ(to_pg_micros(from_pg_micros(123'456'789)), 123'456'789);
}

TEST(ParseReplicationMessage, ReadsXLogDataHeaderAndPayload) {
  const std::string bytes = "w" + be64(0x16'B374D848ULL) + be64(0x17'00000000ULL) +
                            be64(1'000'000) + std::string("B\0\1", 3);
  const auto message = parse_replication_message(bytes);
  const auto* data = std::get_if<XLogData>(&message);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->wal_start.str(), "16/B374D848");
  EXPECT_EQ(data->wal_end.str(), "17/0");
  EXPECT_EQ(to_pg_micros(data->server_time), 1'000'000);
  EXPECT_EQ(data->payload, std::string("B\0\1", 3));
}

TEST(ParseReplicationMessage, ReadsAKeepaliveThatAsksForAReply) {
  const std::string bytes = "k" + be64(0x1'00000010ULL) + be64(42) + std::string(1, '\1');
  const auto message = parse_replication_message(bytes);
  const auto* keepalive = std::get_if<PrimaryKeepalive>(&message);
  ASSERT_NE(keepalive, nullptr);
  EXPECT_EQ(keepalive->wal_end.str(), "1/10");
  EXPECT_EQ(to_pg_micros(keepalive->server_time), 42);
  EXPECT_TRUE(keepalive->reply_requested);
}

TEST(ParseReplicationMessage, RefusesTruncatedAndUnknownMessages) {
  EXPECT_THROW(parse_replication_message("w" + be64(1)), Error);
  EXPECT_THROW(parse_replication_message("k" + be64(1) + be64(2)), Error);
  EXPECT_THROW(parse_replication_message("z"), Error);
  EXPECT_THROW(parse_replication_message(""), Error);
}

TEST(EncodeStandbyStatus, LaysOutThirtyFourBigEndianBytes) {
  StandbyStatus status;
  status.write = Lsn{0x0102030405060708ULL};
  status.flush = Lsn{0x1112131415161718ULL};
  status.apply = Lsn{0x2122232425262728ULL};
  status.client_time = from_pg_micros(0x3132333435363738LL);
  status.reply_requested = true;
  const auto bytes = encode_standby_status(status);
  const std::string expected = "r" + be64(0x0102030405060708ULL) + be64(0x1112131415161718ULL) +
                               be64(0x2122232425262728ULL) + be64(0x3132333435363738ULL) +
                               std::string(1, '\1');
  ASSERT_EQ(expected.size(), 34u);
  EXPECT_EQ(std::string(bytes.data(), bytes.size()), expected);
}

TEST(EncodeStandbyStatus, EndsWithZeroWhenNoReplyIsWanted) {
  const auto bytes = encode_standby_status({Lsn{1}, Lsn{1}, Lsn{1}, from_pg_micros(0), false});
  EXPECT_EQ(bytes[33], 0);
}

}  // namespace
}  // namespace tapedeck::pg
