// Event ids, commit LSNs, positions and xid8 values for stored statements.
#include "transform/event_placement.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/error.hpp"

namespace tapedeck::transform {
namespace {

[[noreturn]] void invalid(std::string reason) {
  throw Error(ErrorSource::input, Recovery::invalid, std::move(reason));
}

class Fnv {
 public:
  void bytes(std::string_view text) {
    for (const char c : text) {
      hash_ ^= static_cast<unsigned char>(c);
      hash_ *= 1099511628211ull;
    }
  }
  void tag(char c) { bytes(std::string_view(&c, 1)); }
  void sized(std::string_view text) {
    bytes(fmt::format("{}:", text.size()));
    bytes(text);
  }
  void value(const JsonValue& value) {
    tag(static_cast<char>('0' + static_cast<int>(value.kind)));
    switch (value.kind) {
      case JsonValue::Kind::null:
        return;
      case JsonValue::Kind::boolean:
        tag(value.boolean ? 't' : 'f');
        return;
      case JsonValue::Kind::number:
      case JsonValue::Kind::string:
        sized(value.text);
        return;
      case JsonValue::Kind::array:
        bytes(fmt::format("{}[", value.items.size()));
        for (const auto& item : value.items) this->value(item);
        return;
      case JsonValue::Kind::object:
        bytes(fmt::format("{}{{", value.members.size()));
        for (const auto& [key, member] : value.members) {
          sized(key);
          this->value(member);
        }
        return;
    }
  }
  void row(const std::optional<Row>& row) {
    if (!row) {
      tag('-');
      return;
    }
    bytes(fmt::format("{}(", row->size()));
    for (const auto& field : *row) {
      sized(field.name);
      value(field.value);
    }
  }
  std::uint64_t result() const { return hash_; }

 private:
  std::uint64_t hash_ = 14695981039346656037ull;
};

}  // namespace

std::optional<CaptureMessageId> parse_capture_message_id(std::string_view id) {
  const auto colon = id.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto lsn = Lsn::parse(id.substr(0, colon));
  if (!lsn) return std::nullopt;
  const std::string_view digits = id.substr(colon + 1);
  std::uint64_t position = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), position);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  if (position > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return CaptureMessageId{*lsn, position};
}

Xid widen_xid(std::uint64_t xid, Xid reference) {
  if (xid > 0xFFFFFFFFull) return Xid{xid};
  const auto low = static_cast<std::uint32_t>(reference.value);
  const auto delta = static_cast<std::int32_t>(static_cast<std::uint32_t>(xid) - low);
  const auto full = static_cast<std::int64_t>(reference.value) + delta;
  // Before the first epoch ends there is nothing below 0: a 32-bit xid is then its own value.
  return Xid{full < 0 ? xid : static_cast<std::uint64_t>(full)};
}

std::int64_t commit_time_us(const Source& source) {
  if (source.ts_us) return *source.ts_us;
  if (source.ts_ns) return *source.ts_ns / 1000;
  return source.ts_ms * 1000;
}

EventPlacement place_capture_event(std::string_view message_id,
                                   std::optional<std::string_view> commit_lsn_header) {
  const auto parsed = parse_capture_message_id(message_id);
  if (!parsed) {
    invalid(fmt::format("message id \"{}\" is not \"<commit lsn>:<position>\"",
                        message_id.substr(0, 100)));
  }
  if (commit_lsn_header) {
    const auto header = Lsn::parse(*commit_lsn_header);
    if (!header || *header != parsed->commit_lsn) {
      invalid(fmt::format("header Tapedeck-Commit-Lsn \"{}\" does not match message id \"{}\"",
                          commit_lsn_header->substr(0, 100), message_id.substr(0, 100)));
    }
  }
  return EventPlacement{std::string(message_id), parsed->commit_lsn,
                        static_cast<std::int64_t>(parsed->position)};
}

std::uint64_t event_digest(const ChangeEvent& event) {
  Fnv fnv;
  fnv.sized(event.source.schema);
  fnv.sized(event.source.table);
  fnv.tag(static_cast<char>(event.op));
  fnv.row(event.before);
  fnv.row(event.after);
  return fnv.result();
}

EventPlacement DebeziumPlacer::place(const ChangeEvent& event) {
  const Source& source = event.source;
  if (!source.tx_id) {
    invalid(
        "the event has no source.txId (an incremental snapshot row?), so the transaction it "
        "belongs to cannot be recorded");
  }
  if (!source.lsn && !source.sequence_commit_lsn) {
    invalid("the event has neither source.lsn nor source.sequence, so it cannot be ordered");
  }
  EventPlacement placement;
  placement.commit_lsn =
      Lsn{source.sequence_commit_lsn ? *source.sequence_commit_lsn : *source.lsn};
  const std::uint64_t lsn = source.lsn ? *source.lsn : 0;
  if (event.transaction) {
    placement.position = event.transaction->total_order;
    placement.event_id = fmt::format("dbz:{}:{}:{}", placement.commit_lsn.str(), *source.tx_id,
                                     event.transaction->total_order);
    return placement;
  }
  placement.position = static_cast<std::int64_t>(lsn & 0x7FFFFFFFFFFFFFFFull);
  if (current_tx_ != source.tx_id || occurrences_.size() >= kMaxOccurrences) {
    current_tx_ = source.tx_id;
    occurrences_.clear();
  }
  const std::string base =
      fmt::format("dbz:{}:{}:{:016x}", *source.tx_id, lsn, event_digest(event));
  const std::uint32_t n = occurrences_[base]++;
  placement.event_id = fmt::format("{}:{}", base, n);
  return placement;
}

}  // namespace tapedeck::transform
