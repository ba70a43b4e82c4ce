// Column values: PostgreSQL text output -> Debezium JSON values and Kafka Connect field schemas.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "capture/encoder_settings.hpp"
#include "capture/json_writer.hpp"
#include "capture/relation_cache.hpp"
#include "core/debezium/sentinels.hpp"

namespace tapedeck::capture {

// How a column is encoded, decided once per column (type oid + typmod + settings).
enum class CodecKind : std::uint8_t {
  uncarried,  // no exact encoding: capture refuses a published column of this type
              // (require_carried)
  boolean,
  bit_boolean,  // bit(1) / varbit(1): '1' -> true
  int16,
  int32,
  int64,
  float32,
  float64,
  decimal,           // precise, numeric(p,s): org.apache.kafka.connect.data.Decimal
  variable_decimal,  // precise, unconstrained numeric: io.debezium.data.VariableScaleDecimal
  decimal_string,    // decimal.handling.mode=string (numeric and money)
  decimal_double,    // decimal.handling.mode=double (numeric and money)
  money,             // precise: Decimal with scale money.fraction.digits
  string,
  text_form,  // PostgreSQL's own text output, cast back by transform (core/debezium/text_form.hpp):
              // types without an exact Debezium encoding, and whole arrays of them
  json,
  xml,
  uuid,
  enum_,
  ltree,
  tsvector,
  hstore,  // hstore.handling.mode=json
  date,
  time_millis,
  time_micros,
  timetz,  // timetz_handling_mode=zoned_time: io.debezium.time.ZonedTime, in UTC
  timestamp_millis,
  timestamp_micros,
  timestamptz,
  interval_micros,
  interval_string,
  bytea,
  bits,
  point,
  unknown_bytes,  // include.unknown.datatypes=true: the text form's bytes
  array,
};

// Shape of the unavailable-value placeholder for a column (FORMAT.md §8).
enum class PlaceholderShape : std::uint8_t {
  string,        // "__debezium_unavailable_value"
  bytes,         // base64 of the placeholder bytes
  string_array,  // ["__debezium_unavailable_value"]
  bytes_array,   // ["<base64>"]
  int_array,     // the placeholder's bytes as numbers [95,95,100,...]
  uuid_array,    // [UUID.nameUUIDFromBytes(placeholder)]
  hstore_json,   // "{\"<p>\":\"<p>\"}"
};

struct ColumnCodec {
  CodecKind kind = CodecKind::uncarried;
  std::uint32_t type_oid = 0;
  int precision = -1;        // numeric precision (-1 unknown)
  int scale = 0;             // numeric scale
  int bit_length = 0;        // bit(n) / varbit(n); 2147483647 for unlimited varbit
  std::string enum_allowed;  // enum: comma-separated labels
  std::shared_ptr<const ColumnCodec> element;  // array: the element codec
  PlaceholderShape placeholder = PlaceholderShape::string;
};

// The unavailable-value placeholder in every form the shapes need, computed once.
using Placeholder = debezium::UnavailablePlaceholder;

// Returns the type facts of a non-built-in oid, or nullptr when unknown.
using TypeLookup = std::function<const TypeInfo*(std::uint32_t oid)>;

// Decides the codec of a column. Never throws for unknown types: they become `uncarried`
// (or `unknown_bytes` with include_unknown_datatypes).
ColumnCodec make_codec(std::uint32_t type_oid, std::int32_t type_modifier,
                       const EncoderSettings& settings, const TypeLookup& lookup);

// Throws Error(config, fail) when `codec` is `uncarried`: the message names the column
// ("schema.table.column"), its type and how to leave the table out. Capture never drops a
// column or nulls a value silently: a table it cannot record exactly stops it instead.
void require_carried(const ColumnCodec& codec, std::string_view qualified_column,
                     std::string_view type_name);

// Where NaN and ±Infinity of a column are lost: numeric in decimal_handling_mode=precise
// (Debezium writes null, as documented). True for such a column, so capture can warn.
bool loses_special_numbers(const ColumnCodec& codec);

// Writes the JSON value of one non-null column from PostgreSQL's text output (DateStyle ISO,
// IntervalStyle postgres, bytea_output hex or escape). Text that does not parse as the type
// throws Error(input, invalid) naming the type and the text.
void write_value(JsonWriter& out, const ColumnCodec& codec, std::string_view text,
                 const EncoderSettings& settings);

// Writes the placeholder of an unchanged TOASTed column, shaped to the column's type.
void write_placeholder(JsonWriter& out, const ColumnCodec& codec, const Placeholder& placeholder);

// Writes the value the JSON converter shows for a null in a NOT NULL column (Debezium's
// fallback: 0, "", false, epoch, ...), e.g. the non-key columns of a DEFAULT-identity delete.
void write_fallback(JsonWriter& out, const ColumnCodec& codec);

// Writes the Connect schema of a field: {"type":..,"optional":..,"name":..,"field":"<name>"}.
// `field` empty writes no "field" key (array items).
void write_schema(JsonWriter& out, const ColumnCodec& codec, bool optional, std::string_view field);

// Built-in type oids capture knows by number (pg_type.oid, stable across versions).
namespace oid {
inline constexpr std::uint32_t kBool = 16, kBytea = 17, kChar = 18, kName = 19, kInt8 = 20,
                               kInt2 = 21, kInt4 = 23, kText = 25, kOid = 26, kJson = 114,
                               kXml = 142, kPoint = 600, kCidr = 650, kFloat4 = 700, kFloat8 = 701,
                               kMacaddr8 = 774, kMoney = 790, kMacaddr = 829, kInet = 869,
                               kBpchar = 1042, kVarchar = 1043, kDate = 1082, kTime = 1083,
                               kTimestamp = 1114, kTimestamptz = 1184, kInterval = 1186,
                               kTimetz = 1266, kBit = 1560, kVarbit = 1562, kNumeric = 1700,
                               kUuid = 2950, kTsvector = 3614, kJsonb = 3802, kInt4range = 3904,
                               kNumrange = 3906, kTsrange = 3908, kTstzrange = 3910,
                               kDaterange = 3912, kInt8range = 3926, kLseg = 601, kPath = 602,
                               kBox = 603, kPolygon = 604, kLine = 628, kCircle = 718,
                               kPgLsn = 3220, kTsquery = 3615, kInt4multirange = 4451;
}  // namespace oid

}  // namespace tapedeck::capture
