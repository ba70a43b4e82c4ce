// Test helper: builds pgoutput protocol v1 messages byte by byte, as a walsender sends them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapedeck::capture::testing {

class Bytes {
 public:
  explicit Bytes(char type) { data_.push_back(type); }
  Bytes& u8(std::uint8_t v) {
    data_.push_back(static_cast<char>(v));
    return *this;
  }
  Bytes& u16(std::uint16_t v) { return be(v, 2); }
  Bytes& u32(std::uint32_t v) { return be(v, 4); }
  Bytes& u64(std::uint64_t v) { return be(v, 8); }
  Bytes& str(std::string_view s) {
    data_.append(s);
    data_.push_back('\0');
    return *this;
  }
  Bytes& raw(std::string_view s) {
    data_.append(s);
    return *this;
  }
  // A tuple: each column is {kind, text}; kind 'n'/'u' ignore text.
  Bytes& tuple(const std::vector<std::pair<char, std::string>>& columns) {
    u16(static_cast<std::uint16_t>(columns.size()));
    for (const auto& [kind, text] : columns) {
      u8(static_cast<std::uint8_t>(kind));
      if (kind == 't' || kind == 'b') {
        u32(static_cast<std::uint32_t>(text.size()));
        data_.append(text);
      }
    }
    return *this;
  }
  const std::string& str() const { return data_; }
  operator std::string_view() const { return data_; }

 private:
  Bytes& be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) data_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  std::string data_;
};

struct Col {
  std::string name;
  std::uint32_t type_oid;
  std::int32_t typmod = -1;
  bool key = false;
};

inline Bytes relation_message(std::uint32_t oid, std::string_view ns, std::string_view name,
                              char identity, const std::vector<Col>& columns) {
  Bytes b('R');
  b.u32(oid).str(ns).str(name).u8(static_cast<std::uint8_t>(identity));
  b.u16(static_cast<std::uint16_t>(columns.size()));
  for (const auto& c : columns) {
    b.u8(c.key ? 1 : 0).str(c.name).u32(c.type_oid).u32(static_cast<std::uint32_t>(c.typmod));
  }
  return b;
}

inline Bytes begin_message(std::uint64_t final_lsn, std::int64_t commit_micros_since_2000,
                           std::uint32_t xid) {
  Bytes b('B');
  b.u64(final_lsn).u64(static_cast<std::uint64_t>(commit_micros_since_2000)).u32(xid);
  return b;
}

inline Bytes commit_message(std::uint64_t commit_lsn, std::uint64_t end_lsn,
                            std::int64_t commit_micros_since_2000) {
  Bytes b('C');
  b.u8(0).u64(commit_lsn).u64(end_lsn).u64(static_cast<std::uint64_t>(commit_micros_since_2000));
  return b;
}

}  // namespace tapedeck::capture::testing
