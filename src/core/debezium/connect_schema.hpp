// Kafka Connect schema vocabulary of Debezium's PostgreSQL events: the Connect types and the
// logical (semantic) type names a field schema's "name" carries. capture writes these names,
// transform picks a column's decoding by them.
#pragma once

#include <string_view>

namespace tapedeck::debezium::connect {

// Connect schema types ("type").
inline constexpr std::string_view kBoolean = "boolean";
inline constexpr std::string_view kInt8 = "int8";
inline constexpr std::string_view kInt16 = "int16";
inline constexpr std::string_view kInt32 = "int32";
inline constexpr std::string_view kInt64 = "int64";
inline constexpr std::string_view kFloat = "float";
inline constexpr std::string_view kDouble = "double";
inline constexpr std::string_view kBytes = "bytes";
inline constexpr std::string_view kString = "string";
inline constexpr std::string_view kArray = "array";
inline constexpr std::string_view kStruct = "struct";

// Kafka Connect's own logical types.
inline constexpr std::string_view kDecimal = "org.apache.kafka.connect.data.Decimal";
inline constexpr std::string_view kConnectDate = "org.apache.kafka.connect.data.Date";
inline constexpr std::string_view kConnectTime = "org.apache.kafka.connect.data.Time";
inline constexpr std::string_view kConnectTimestamp = "org.apache.kafka.connect.data.Timestamp";

// Debezium's logical types.
inline constexpr std::string_view kVariableScaleDecimal = "io.debezium.data.VariableScaleDecimal";
inline constexpr std::string_view kDate = "io.debezium.time.Date";
inline constexpr std::string_view kTime = "io.debezium.time.Time";
inline constexpr std::string_view kMicroTime = "io.debezium.time.MicroTime";
inline constexpr std::string_view kNanoTime = "io.debezium.time.NanoTime";
inline constexpr std::string_view kTimestamp = "io.debezium.time.Timestamp";
inline constexpr std::string_view kMicroTimestamp = "io.debezium.time.MicroTimestamp";
inline constexpr std::string_view kNanoTimestamp = "io.debezium.time.NanoTimestamp";
inline constexpr std::string_view kZonedTimestamp = "io.debezium.time.ZonedTimestamp";
inline constexpr std::string_view kZonedTime = "io.debezium.time.ZonedTime";
inline constexpr std::string_view kMicroDuration = "io.debezium.time.MicroDuration";
inline constexpr std::string_view kInterval = "io.debezium.time.Interval";
inline constexpr std::string_view kBits = "io.debezium.data.Bits";
inline constexpr std::string_view kPoint = "io.debezium.data.geometry.Point";
inline constexpr std::string_view kJson = "io.debezium.data.Json";
inline constexpr std::string_view kXml = "io.debezium.data.Xml";
inline constexpr std::string_view kUuid = "io.debezium.data.Uuid";
inline constexpr std::string_view kEnum = "io.debezium.data.Enum";
inline constexpr std::string_view kEnumSet = "io.debezium.data.EnumSet";
inline constexpr std::string_view kLtree = "io.debezium.data.Ltree";
inline constexpr std::string_view kTsvector = "io.debezium.data.Tsvector";

// Schema parameters.
inline constexpr std::string_view kScaleParameter = "scale";  // Decimal
inline constexpr std::string_view kPrecisionParameter = "connect.decimal.precision";
inline constexpr std::string_view kLengthParameter = "length";    // Bits
inline constexpr std::string_view kAllowedParameter = "allowed";  // Enum

}  // namespace tapedeck::debezium::connect
