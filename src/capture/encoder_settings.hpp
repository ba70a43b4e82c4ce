// Settings of the Debezium event encoder, named after the Debezium connector properties.
#pragma once

#include <string>

#include "core/debezium/sentinels.hpp"

namespace tapedeck::capture {

// decimal.handling.mode
enum class DecimalHandlingMode { precise, string, double_ };
// interval.handling.mode
enum class IntervalHandlingMode { numeric, string };
// How timetz travels (tapedeck's own setting, Debezium has none): Debezium's ZonedTime keeps
// the instant but normalises the offset to UTC ('12:00+05' becomes 07:00Z); text carries
// PostgreSQL's own output, offset included.
enum class TimetzHandlingMode { zoned_time, text };
// How arrays travel (tapedeck's own setting): Debezium's JSON array of the elements' encodings
// loses a non-default lower bound ('[0:1]={1,2}' becomes {1,2}); text carries PostgreSQL's own
// output of the whole array, bounds included, as a string.
enum class ArrayHandlingMode { json, text };
// time.precision.mode: only Debezium's default, adaptive, is implemented.
enum class TimePrecisionMode { adaptive };

struct EncoderSettings {
  std::string topic_prefix = "tapedeck";  // topic.prefix: subjects and source.name
  std::string database_name;              // source.db: the Live DB's name
  bool schemas_enable = true;             // JsonConverter schemas.enable (its default)
  // Debezium's default here; tapedeck's configuration defaults to string (core/config_keys.cpp),
  // the one mode that carries numeric NaN and ±Infinity.
  DecimalHandlingMode decimal_handling_mode = DecimalHandlingMode::precise;
  // Debezium's default is numeric (approximate microseconds); tapedeck defaults to the exact
  // ISO-8601 string so that transform can replay intervals without loss.
  IntervalHandlingMode interval_handling_mode = IntervalHandlingMode::string;
  TimePrecisionMode time_precision_mode = TimePrecisionMode::adaptive;
  // Debezium's ZonedTime here; tapedeck's configuration defaults to text, which keeps the offset.
  TimetzHandlingMode timetz_handling_mode = TimetzHandlingMode::zoned_time;
  // Debezium's JSON arrays here; tapedeck's configuration defaults to text, which keeps the bounds.
  ArrayHandlingMode array_handling_mode = ArrayHandlingMode::json;
  // unavailable.value.placeholder; "hex:<hex digits>" gives raw octets, as in Debezium.
  std::string unavailable_value_placeholder{debezium::kUnavailablePlaceholder};
  int money_fraction_digits = 2;             // money.fraction.digits
  bool include_unknown_datatypes = false;    // include.unknown.datatypes: text bytes as base64
  bool provide_transaction_metadata = true;  // provide.transaction.metadata
  bool emit_truncate = true;  // skipped.operations=none for 't' (Debezium skips 't' by default)
  bool emit_messages = true;  // logical decoding messages ('m') on <prefix>.message
  std::string connector_version = "2.7.3.Final";  // source.version
};

}  // namespace tapedeck::capture
