// pgoutput protocol v1 decoding of hand-built messages, and refusal of malformed ones.
#include "capture/pgoutput.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "pgoutput_builder.hpp"

namespace tapedeck::capture::pgoutput {
namespace {

using testing::Bytes;

TEST(Pgoutput, DecodesBeginWithFinalLsnCommitTimeAndXid) {
  const auto bytes = testing::begin_message(0x16B374D848, 582'500'000'000'000, 771);
  const auto m = std::get<Begin>(decode(bytes));
  EXPECT_EQ(m.final_lsn.value, 0x16B374D848u);
  EXPECT_EQ(m.commit_time.micros_since_2000, 582'500'000'000'000);
  EXPECT_EQ(m.commit_time.unix_micros(), 582'500'000'000'000 + 946'684'800'000'000);
  EXPECT_EQ(m.xid, 771u);
}

TEST(Pgoutput, DecodesCommitWithBothLsnsAndTimestamp) {
  const auto m = std::get<Commit>(decode(testing::commit_message(100, 148, 42)));
  EXPECT_EQ(m.flags, 0);
  EXPECT_EQ(m.commit_lsn.value, 100u);
  EXPECT_EQ(m.end_lsn.value, 148u);
  EXPECT_EQ(m.commit_time.micros_since_2000, 42);
}

TEST(Pgoutput, DecodesOriginNameAndLsn) {
  Bytes b('O');
  b.u64(77).str("upstream");
  const auto m = std::get<Origin>(decode(b));
  EXPECT_EQ(m.commit_lsn.value, 77u);
  EXPECT_EQ(m.name, "upstream");
}

TEST(Pgoutput, DecodesRelationWithIdentityAndColumns) {
  const auto bytes = testing::relation_message(
      16384, "inventory", "customers", 'f',
      {{"id", 23, -1, true}, {"name", 1043, 259, false}, {"price", 1700, (10 << 16 | 2) + 4}});
  const auto m = std::get<Relation>(decode(bytes));
  EXPECT_EQ(m.oid, 16384u);
  EXPECT_EQ(m.namespace_, "inventory");
  EXPECT_EQ(m.name, "customers");
  EXPECT_EQ(m.replica_identity, ReplicaIdentity::full);
  ASSERT_EQ(m.columns.size(), 3u);
  EXPECT_TRUE(m.columns[0].key);
  EXPECT_EQ(m.columns[0].name, "id");
  EXPECT_EQ(m.columns[0].type_oid, 23u);
  EXPECT_EQ(m.columns[0].type_modifier, -1);
  EXPECT_FALSE(m.columns[1].key);
  EXPECT_EQ(m.columns[1].type_modifier, 259);
  EXPECT_EQ(m.columns[2].type_modifier, (10 << 16 | 2) + 4);
}

TEST(Pgoutput, DecodesTypeMessage) {
  Bytes b('Y');
  b.u32(90001).str("public").str("mood");
  const auto m = std::get<Type>(decode(b));
  EXPECT_EQ(m.oid, 90001u);
  EXPECT_EQ(m.namespace_, "public");
  EXPECT_EQ(m.name, "mood");
}

TEST(Pgoutput, DecodesInsertWithEveryColumnKind) {
  Bytes b('I');
  b.u32(16384).u8('N').tuple({{'t', "42"}, {'n', ""}, {'u', ""}, {'b', std::string("\0\1", 2)}});
  const auto m = std::get<Insert>(decode(b));
  EXPECT_EQ(m.relation_oid, 16384u);
  ASSERT_EQ(m.new_tuple.size(), 4u);
  EXPECT_EQ(m.new_tuple[0].kind, ValueKind::text);
  EXPECT_EQ(m.new_tuple[0].data, "42");
  EXPECT_EQ(m.new_tuple[1].kind, ValueKind::null);
  EXPECT_EQ(m.new_tuple[2].kind, ValueKind::unchanged_toast);
  EXPECT_EQ(m.new_tuple[3].kind, ValueKind::binary);
  EXPECT_EQ(m.new_tuple[3].data, std::string_view("\0\1", 2));
}

TEST(Pgoutput, DecodesUpdateWithoutOldTuple) {
  Bytes b('U');
  b.u32(5).u8('N').tuple({{'t', "1"}, {'t', "x"}});
  const auto m = std::get<Update>(decode(b));
  EXPECT_EQ(m.old_kind, OldTupleKind::none);
  EXPECT_TRUE(m.old_tuple.empty());
  EXPECT_EQ(m.new_tuple[1].data, "x");
}

TEST(Pgoutput, DecodesUpdateWithKeyAndWithOldTuple) {
  Bytes k('U');
  k.u32(5).u8('K').tuple({{'t', "1"}, {'n', ""}}).u8('N').tuple({{'t', "2"}, {'t', "x"}});
  const auto key = std::get<Update>(decode(k));
  EXPECT_EQ(key.old_kind, OldTupleKind::key);
  EXPECT_EQ(key.old_tuple[0].data, "1");
  EXPECT_EQ(key.new_tuple[0].data, "2");

  Bytes o('U');
  o.u32(5).u8('O').tuple({{'t', "1"}, {'t', "old"}}).u8('N').tuple({{'t', "1"}, {'t', "new"}});
  const auto old = std::get<Update>(decode(o));
  EXPECT_EQ(old.old_kind, OldTupleKind::old);
  EXPECT_EQ(old.old_tuple[1].data, "old");
  EXPECT_EQ(old.new_tuple[1].data, "new");
}

TEST(Pgoutput, DecodesDeleteWithKeyTuple) {
  Bytes b('D');
  b.u32(9).u8('K').tuple({{'t', "7"}, {'n', ""}});
  const auto m = std::get<Delete>(decode(b));
  EXPECT_EQ(m.relation_oid, 9u);
  EXPECT_EQ(m.old_kind, OldTupleKind::key);
  EXPECT_EQ(m.old_tuple[0].data, "7");
  EXPECT_EQ(m.old_tuple[1].kind, ValueKind::null);
}

TEST(Pgoutput, DecodesTruncateWithFlagsAndRelations) {
  Bytes b('T');
  b.u32(2).u8(3).u32(100).u32(200);
  const auto m = std::get<Truncate>(decode(b));
  EXPECT_TRUE(m.cascade);
  EXPECT_TRUE(m.restart_identity);
  EXPECT_EQ(m.relation_oids, (std::vector<std::uint32_t>{100, 200}));
}

TEST(Pgoutput, DecodesLogicalMessage) {
  Bytes b('M');
  b.u8(1).u64(0xABCDEF).str("audit").u32(5).raw("hello");
  const auto m = std::get<LogicalMessage>(decode(b));
  EXPECT_TRUE(m.transactional);
  EXPECT_EQ(m.lsn.value, 0xABCDEFu);
  EXPECT_EQ(m.prefix, "audit");
  EXPECT_EQ(m.content, "hello");
}

void expect_invalid(std::string_view bytes, std::string_view mentions) {
  try {
    decode(bytes);
    ADD_FAILURE() << "no error for malformed input";
  } catch (const Error& e) {
    EXPECT_EQ(e.source(), ErrorSource::input);
    EXPECT_EQ(e.recovery(), Recovery::invalid);
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(Pgoutput, RefusesEmptyAndUnknownMessages) {
  expect_invalid("", "empty");
  expect_invalid("Z123", "unknown message type 0x5a");
}

TEST(Pgoutput, RefusesTruncatedMessagesNamingTypeAndOffset) {
  const std::string begin = testing::begin_message(1, 2, 3).str();
  expect_invalid(std::string_view(begin).substr(0, 10),
                 "Begin message: commit timestamp truncated at byte offset 9");
  const std::string relation = testing::relation_message(1, "s", "t", 'd', {{"a", 23}}).str();
  expect_invalid(std::string_view(relation).substr(0, relation.size() - 2), "Relation");
}

TEST(Pgoutput, RefusesStringsWithoutTerminator) {
  Bytes b('Y');
  b.u32(1).str("public").raw("unterminated");
  expect_invalid(b, "type name has no NUL terminator");
}

TEST(Pgoutput, RefusesValueLengthBeyondTheBuffer) {
  Bytes b('I');
  b.u32(1).u8('N').u16(1).u8('t').u32(1000).raw("abc");
  expect_invalid(b, "tuple value truncated");
}

TEST(Pgoutput, RefusesHugeColumnCountsWithoutAllocating) {
  Bytes b('I');
  b.u32(1).u8('N').u16(65535);
  expect_invalid(b, "exceeds the message");
}

TEST(Pgoutput, RefusesUnknownTupleKindAndMarkers) {
  Bytes kind('I');
  kind.u32(1).u8('N').u16(1).u8('x');
  expect_invalid(kind, "unknown tuple column kind 0x78");
  Bytes marker('D');
  marker.u32(1).u8('N').tuple({{'t', "1"}});
  expect_invalid(marker, "expected 'K' or 'O'");
  Bytes identity = testing::relation_message(1, "s", "t", 'z', {});
  expect_invalid(identity, "unknown replica identity");
}

TEST(Pgoutput, RefusesTrailingBytes) {
  Bytes b = testing::commit_message(1, 2, 3);
  b.u8(0);
  expect_invalid(b, "unexpected trailing bytes");
}

}  // namespace
}  // namespace tapedeck::capture::pgoutput
