// Parses Debezium change events and transaction metadata events (simdjson On Demand).
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "transform/change_event.hpp"

namespace tapedeck::transform {

struct ParseOptions {
  // Larger messages are refused (NATS allows up to 64 MiB payloads when configured so).
  std::size_t max_message_bytes = 64u << 20;
};

// Turns one message body into a ChangeEvent or TransactionMetadata, accepting
// {schema,payload}, {payload} alone and the bare envelope, fields in any order.
// Malformed input throws Error(input, invalid, reason): the caller dead-letters it.
//
// Owns a simdjson parser and a padded copy buffer that are reused between calls, so keep
// one per thread; an instance must not be used by two threads at once. Results own their
// data and outlive the parser.
class EventParser {
 public:
  explicit EventParser(ParseOptions options = {});
  ~EventParser();
  EventParser(EventParser&&) noexcept;
  EventParser& operator=(EventParser&&) noexcept;
  EventParser(const EventParser&) = delete;
  EventParser& operator=(const EventParser&) = delete;

  ChangeEvent parse_change_event(std::string_view json);
  // Same, reusing `out`'s storage (faster in a loop).
  void parse_change_event(std::string_view json, ChangeEvent& out);

  TransactionMetadata parse_transaction_metadata(std::string_view json);

  // A Debezium key ({"id":5}, or {"schema":...,"payload":{"id":5}}) as a row of its columns.
  Row parse_key(std::string_view json);

 private:
  // The payload of a {schema, payload} message whose schema is known already.
  void parse_payload(std::string_view payload_json, std::shared_ptr<const RowSchemas> schema,
                     ChangeEvent& event);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tapedeck::transform
