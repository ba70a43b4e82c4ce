// Debezium column encodings (FORMAT.md §7) to SQL literals PostgreSQL reads back identically.
#pragma once

#include <string>
#include <string_view>

#include "core/debezium/binary.hpp"
#include "core/debezium/sentinels.hpp"
#include "transform/field_schema.hpp"
#include "transform/json_value.hpp"
#include "transform/table_info.hpp"

namespace tapedeck::transform {

// The connector settings that change the encodings. With schemas enabled the schema names
// say most of this; without, these (and the catalog types) decide.
enum class DecimalHandling { precise, string, double_value };
enum class TimePrecision { adaptive, adaptive_time_microseconds, connect };
using BinaryHandling = debezium::BinaryHandling;

struct DecodeOptions {
  DecimalHandling decimal_handling = DecimalHandling::precise;
  TimePrecision time_precision = TimePrecision::adaptive;
  BinaryHandling binary_handling = BinaryHandling::bytes;
  int money_fraction_digits = 2;  // money.fraction.digits
  std::string unavailable_placeholder{debezium::kUnavailablePlaceholder};
  // interval.handling.mode=numeric sends MicroDuration, which averages months (365.25/12
  // days) and cannot be turned back exactly. Refused unless this is set, in which case the
  // value is replayed as that many microseconds.
  bool allow_approximate_intervals = false;
};

// Decodes one column value. Pure; const methods are safe from several threads.
class ValueDecoder {
 public:
  enum class Result { literal, null, unavailable };

  explicit ValueDecoder(DecodeOptions options = {});

  // Appends the SQL literal for `value` to `out` (e.g. '39.98'::numeric(10,2), 42, true,
  // '\x0123'::bytea), or appends nothing and returns null / unavailable (the TOAST
  // placeholder in any of its shapes). `schema` is the field's Connect schema (null when
  // schemas are off), `column` its catalog entry (null when unknown); at least one is
  // needed. Throws Error(input, invalid) when the value does not decode or does not fit.
  Result append_literal(std::string& out, std::string_view column_name, const JsonValue& value,
                        const FieldSchema* schema, const ColumnInfo* column) const;

  // True when the type has no plain "=" (json, xml, point, box ..., arrays of them), so
  // that row matching compares the values' text.
  static bool compare_as_text(const FieldSchema* schema, const ColumnInfo* column);

  const DecodeOptions& options() const { return options_; }

 private:
  bool is_placeholder(const JsonValue& value) const;

  DecodeOptions options_;
  debezium::UnavailablePlaceholder placeholder_;
  std::string placeholder_hstore_;
};

}  // namespace tapedeck::transform
