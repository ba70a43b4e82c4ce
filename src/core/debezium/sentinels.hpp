// Values that stand for something else in a Debezium event: PostgreSQL's
// infinite dates and timestamps, and the placeholder of an unchanged TOASTed column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tapedeck::debezium {

// io.debezium.time.Date: PostgreSQL's infinite dates arrive as these day counts
// (LocalDate -5877611-06-21 and -22), far outside the range a real date can have.
inline constexpr std::int32_t kDatePositiveInfinityDays = -2147472692;
inline constexpr std::int32_t kDateNegativeInfinityDays = -2147472691;
// The timestamp types, whatever their unit.
inline constexpr std::int64_t kTimestampPositiveInfinity = 9223372036825200000;
inline constexpr std::int64_t kTimestampNegativeInfinity = -9223372036832400000;

// unavailable.value.placeholder's default.
inline constexpr std::string_view kUnavailablePlaceholder = "__debezium_unavailable_value";

// The placeholder in the forms its column shapes need, computed once: a bytea column carries
// it as base64, a uuid[] column as UUID.nameUUIDFromBytes of its bytes.
struct UnavailablePlaceholder {
  std::string bytes;   // the placeholder's octets
  std::string base64;  // base64 of `bytes`
  std::string uuid;    // UUID.nameUUIDFromBytes(bytes), as text

  // From the octets themselves.
  static UnavailablePlaceholder from_bytes(std::string_view bytes);
  // From the connector setting, where "hex:<hex digits>" gives raw octets as in Debezium.
  // Throws Error(config, invalid) on a malformed "hex:" value.
  static UnavailablePlaceholder from_setting(std::string_view setting);
};

// Java's UUID.nameUUIDFromBytes: MD5 with the version 3 and IETF variant bits, as
// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". Throws Error(internal, fail) if OpenSSL fails.
std::string name_uuid(std::string_view bytes);

}  // namespace tapedeck::debezium
