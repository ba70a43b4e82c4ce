#include "core/nats/ack_reply.hpp"

#include <array>
#include <charconv>

namespace tapedeck::nats {
namespace {

template <typename Number>
bool parse_number(std::string_view text, Number& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<AckReply> parse_ack_reply(std::string_view reply) {
  constexpr std::string_view kPrefix = "$JS.ACK.";
  if (!reply.starts_with(kPrefix)) return std::nullopt;
  reply.remove_prefix(kPrefix.size());

  std::array<std::string_view, 10> tokens;  // at most 10 after the prefix (the v2 form)
  std::size_t count = 0;
  while (true) {
    if (count == tokens.size()) return std::nullopt;
    const auto dot = reply.find('.');
    tokens[count++] = reply.substr(0, dot);
    if (tokens[count - 1].empty()) return std::nullopt;
    if (dot == std::string_view::npos) break;
    reply.remove_prefix(dot + 1);
  }
  // v1: 7 tokens after the prefix; v2: domain and account hash first, 9 or 10 tokens.
  std::size_t first = 0;
  AckReply result;
  if (count == 9 || count == 10) {
    if (tokens[0] != "_") result.domain = tokens[0];
    first = 2;
  } else if (count != 7) {
    return std::nullopt;
  }
  result.stream = tokens[first];
  result.consumer = tokens[first + 1];
  if (!parse_number(tokens[first + 2], result.num_delivered) ||
      !parse_number(tokens[first + 3], result.stream_sequence) ||
      !parse_number(tokens[first + 4], result.consumer_sequence) ||
      !parse_number(tokens[first + 5], result.timestamp_ns) ||
      !parse_number(tokens[first + 6], result.num_pending)) {
    return std::nullopt;
  }
  return result;
}

}  // namespace tapedeck::nats
