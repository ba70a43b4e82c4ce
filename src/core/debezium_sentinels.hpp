// Debezium's values for PostgreSQL's infinite dates and timestamps (FORMAT.md §7, PGDOC
// "TIMESTAMP type"): capture writes them, transform reads them back as 'infinity'.
#pragma once

#include <cstdint>

namespace tapedeck::debezium {

// io.debezium.time.Date: PostgreSQL's infinite dates arrive as these day counts
// (LocalDate -5877611-06-21 and -22), far outside the range a real date can have.
inline constexpr std::int32_t kDatePositiveInfinityDays = -2147472692;
inline constexpr std::int32_t kDateNegativeInfinityDays = -2147472691;
// The timestamp types, whatever their unit.
inline constexpr std::int64_t kTimestampPositiveInfinity = 9223372036825200000;
inline constexpr std::int64_t kTimestampNegativeInfinity = -9223372036832400000;

}  // namespace tapedeck::debezium
