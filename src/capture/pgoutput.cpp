// Decoder for PostgreSQL's pgoutput logical replication messages, protocol version 1.
#include "capture/pgoutput.hpp"

#include <fmt/format.h>

#include <cstring>

#include "core/error.hpp"

namespace tapedeck::capture::pgoutput {
namespace {

// Bounds-checked big-endian reader over one message; every failure names the message and offset.
class Reader {
 public:
  Reader(std::string_view bytes, std::string_view message) : bytes_(bytes), message_(message) {}

  [[noreturn]] void fail(std::string_view what) const {
    throw Error(ErrorSource::input, Recovery::invalid,
                fmt::format("malformed pgoutput {} message: {} at byte offset {} of {}; the "
                            "replication stream is not pgoutput protocol version 1 or is corrupt",
                            message_, what, pos_, bytes_.size()));
  }

  void need(std::size_t n, std::string_view what) const {
    if (bytes_.size() - pos_ < n) fail(fmt::format("{} truncated", what));
  }

  std::uint8_t u8(std::string_view what) {
    need(1, what);
    return static_cast<std::uint8_t>(bytes_[pos_++]);
  }
  std::uint16_t u16(std::string_view what) { return static_cast<std::uint16_t>(be(2, what)); }
  std::uint32_t u32(std::string_view what) { return static_cast<std::uint32_t>(be(4, what)); }
  std::uint64_t u64(std::string_view what) { return be(8, what); }

  std::string_view cstring(std::string_view what) {
    const void* end = pos_ < bytes_.size()
                          ? std::memchr(bytes_.data() + pos_, '\0', bytes_.size() - pos_)
                          : nullptr;
    if (end == nullptr) fail(fmt::format("{} has no NUL terminator", what));
    const auto length =
        static_cast<std::size_t>(static_cast<const char*>(end) - bytes_.data()) - pos_;
    std::string_view text = bytes_.substr(pos_, length);
    pos_ += length + 1;
    return text;
  }

  std::string_view bytes(std::size_t n, std::string_view what) {
    need(n, what);
    std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  void finish() const {
    if (pos_ != bytes_.size())
      fail(fmt::format("{} unexpected trailing bytes", bytes_.size() - pos_));
  }

  std::size_t remaining() const { return bytes_.size() - pos_; }

 private:
  std::uint64_t be(std::size_t n, std::string_view what) {
    need(n, what);
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < n; ++i) {
      value = (value << 8) | static_cast<std::uint8_t>(bytes_[pos_ + i]);
    }
    pos_ += n;
    return value;
  }

  std::string_view bytes_;
  std::string_view message_;
  std::size_t pos_ = 1;  // after the type byte
};

PgTimestamp timestamp(Reader& r, std::string_view what) {
  return PgTimestamp{static_cast<std::int64_t>(r.u64(what))};
}

Tuple tuple(Reader& r) {
  const std::uint16_t count = r.u16("tuple column count");
  // Each column takes at least one byte: refuse counts the buffer cannot hold before allocating.
  if (count > r.remaining())
    r.fail(fmt::format("tuple column count {} exceeds the message", count));
  Tuple out;
  out.reserve(count);
  for (std::uint16_t i = 0; i < count; ++i) {
    const char kind = static_cast<char>(r.u8("tuple column kind"));
    switch (kind) {
      case 'n':
        out.push_back({ValueKind::null, {}});
        break;
      case 'u':
        out.push_back({ValueKind::unchanged_toast, {}});
        break;
      case 't':
      case 'b': {
        const std::uint32_t length = r.u32("tuple value length");
        out.push_back({static_cast<ValueKind>(kind), r.bytes(length, "tuple value")});
        break;
      }
      default:
        r.fail(fmt::format("unknown tuple column kind 0x{:02x} in column {}",
                           static_cast<unsigned char>(kind), i));
    }
  }
  return out;
}

Relation relation(Reader& r) {
  Relation rel;
  rel.oid = r.u32("relation oid");
  rel.namespace_ = r.cstring("namespace");
  rel.name = r.cstring("relation name");
  const char identity = static_cast<char>(r.u8("replica identity"));
  if (identity != 'd' && identity != 'n' && identity != 'f' && identity != 'i') {
    r.fail(fmt::format("unknown replica identity '{}'", identity));
  }
  rel.replica_identity = static_cast<ReplicaIdentity>(identity);
  const std::uint16_t count = r.u16("column count");
  if (count > r.remaining()) r.fail(fmt::format("column count {} exceeds the message", count));
  rel.columns.reserve(count);
  for (std::uint16_t i = 0; i < count; ++i) {
    RelationColumn column;
    column.key = (r.u8("column flags") & 1) != 0;
    column.name = r.cstring("column name");
    column.type_oid = r.u32("column type oid");
    column.type_modifier = static_cast<std::int32_t>(r.u32("column type modifier"));
    rel.columns.push_back(column);
  }
  return rel;
}

OldTupleKind old_kind(char c) {
  return c == 'K' ? OldTupleKind::key : OldTupleKind::old;
}

}  // namespace

std::string_view message_name(char type) {
  switch (type) {
    case 'B':
      return "Begin";
    case 'C':
      return "Commit";
    case 'O':
      return "Origin";
    case 'R':
      return "Relation";
    case 'Y':
      return "Type";
    case 'I':
      return "Insert";
    case 'U':
      return "Update";
    case 'D':
      return "Delete";
    case 'T':
      return "Truncate";
    case 'M':
      return "Message";
    default:
      return "unknown";
  }
}

Message decode(std::string_view bytes) {
  if (bytes.empty()) {
    throw Error(ErrorSource::input, Recovery::invalid,
                "malformed pgoutput message: empty payload at byte offset 0");
  }
  const char type = bytes[0];
  Reader r(bytes, message_name(type));
  switch (type) {
    case 'B': {
      Begin m;
      m.final_lsn = Lsn{r.u64("final LSN")};
      m.commit_time = timestamp(r, "commit timestamp");
      m.xid = r.u32("xid");
      r.finish();
      return m;
    }
    case 'C': {
      Commit m;
      m.flags = r.u8("flags");
      m.commit_lsn = Lsn{r.u64("commit LSN")};
      m.end_lsn = Lsn{r.u64("end LSN")};
      m.commit_time = timestamp(r, "commit timestamp");
      r.finish();
      return m;
    }
    case 'O': {
      Origin m;
      m.commit_lsn = Lsn{r.u64("origin commit LSN")};
      m.name = r.cstring("origin name");
      r.finish();
      return m;
    }
    case 'R': {
      Relation m = relation(r);
      r.finish();
      return m;
    }
    case 'Y': {
      Type m;
      m.oid = r.u32("type oid");
      m.namespace_ = r.cstring("namespace");
      m.name = r.cstring("type name");
      r.finish();
      return m;
    }
    case 'I': {
      Insert m;
      m.relation_oid = r.u32("relation oid");
      if (r.u8("tuple marker") != 'N') r.fail("expected 'N' before the new tuple");
      m.new_tuple = tuple(r);
      r.finish();
      return m;
    }
    case 'U': {
      Update m;
      m.relation_oid = r.u32("relation oid");
      char marker = static_cast<char>(r.u8("tuple marker"));
      if (marker == 'K' || marker == 'O') {
        m.old_kind = old_kind(marker);
        m.old_tuple = tuple(r);
        marker = static_cast<char>(r.u8("tuple marker"));
      }
      if (marker != 'N') r.fail("expected 'N' before the new tuple");
      m.new_tuple = tuple(r);
      r.finish();
      return m;
    }
    case 'D': {
      Delete m;
      m.relation_oid = r.u32("relation oid");
      const char marker = static_cast<char>(r.u8("tuple marker"));
      if (marker != 'K' && marker != 'O') r.fail("expected 'K' or 'O' before the old tuple");
      m.old_kind = old_kind(marker);
      m.old_tuple = tuple(r);
      r.finish();
      return m;
    }
    case 'T': {
      Truncate m;
      const std::uint32_t count = r.u32("relation count");
      const std::uint8_t options = r.u8("options");
      m.cascade = (options & 1) != 0;
      m.restart_identity = (options & 2) != 0;
      if (count > r.remaining() / 4)
        r.fail(fmt::format("relation count {} exceeds the message", count));
      m.relation_oids.reserve(count);
      for (std::uint32_t i = 0; i < count; ++i) m.relation_oids.push_back(r.u32("relation oid"));
      r.finish();
      return m;
    }
    case 'M': {
      LogicalMessage m;
      m.transactional = (r.u8("flags") & 1) != 0;
      m.lsn = Lsn{r.u64("message LSN")};
      m.prefix = r.cstring("prefix");
      const std::uint32_t length = r.u32("content length");
      m.content = r.bytes(length, "content");
      r.finish();
      return m;
    }
    default:
      r.fail(fmt::format("unknown message type 0x{:02x}", static_cast<unsigned char>(type)));
  }
}

}  // namespace tapedeck::capture::pgoutput
