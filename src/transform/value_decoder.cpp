// Debezium encodings to PostgreSQL input text, quoted and cast.
#include "transform/value_decoder.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>

#include "core/base64.hpp"
#include "core/debezium/binary.hpp"
#include "core/debezium/connect_schema.hpp"
#include "core/debezium/decimal.hpp"
#include "core/debezium/hstore.hpp"
#include "core/debezium/temporal.hpp"
#include "core/debezium/text_form.hpp"
#include "core/error.hpp"
#include "core/sql_quote.hpp"

namespace tapedeck::transform {
namespace {

namespace connect = debezium::connect;

enum class Enc {
  boolean,
  integer,
  floating,
  decimal_bytes,     // Decimal: base64 unscaled, scale known
  decimal_variable,  // VariableScaleDecimal {scale, value}
  decimal_text,      // string/double mode, NUMERIC format: the number as text
  date_days,
  time_ms,
  time_us,
  time_ns,
  ts_ms,
  ts_us,
  ts_ns,
  zoned_ts,
  zoned_time,
  micro_duration,
  interval_text,
  bytes_base64,
  bytes_base64_url,
  bytes_hex,
  bits,
  text,
  hstore_json,  // hstore.handling.mode=json: a JSON object of strings in a string
  point,
  array,
};

// How one value (or array element) decodes.
struct Target {
  Enc enc = Enc::text;
  int scale = -1;                           // decimal_bytes
  int bits = -1;                            // bits: the declared length
  PgCategory category = PgCategory::other;  // from the catalog, `other` when unknown
  bool known_category = false;
  PgType pg;                            // the catalog type at this level
  const FieldSchema* schema = nullptr;  // the schema at this level
};

[[noreturn]] void refuse(std::string_view column, std::string_view reason) {
  throw Error(ErrorSource::input, Recovery::invalid,
              fmt::format("column \"{}\": {}", column.substr(0, 200), reason));
}

std::string_view kind_name(const JsonValue& value) {
  return to_string(value.kind);
}

// --- numbers --------------------------------------------------------------------------

std::int64_t parse_int64(std::string_view column, const JsonValue& value, std::string_view what) {
  if (value.kind != JsonValue::Kind::number || !debezium::is_integer_text(value.text)) {
    refuse(column, fmt::format("{} must be an integer, not {} {}", what, kind_name(value),
                               value.text.substr(0, 40)));
  }
  std::int64_t number = 0;
  const auto [end, ec] =
      std::from_chars(value.text.data(), value.text.data() + value.text.size(), number);
  if (ec != std::errc() || end != value.text.data() + value.text.size()) {
    refuse(column, fmt::format("{} {} does not fit in 64 bits", what, value.text.substr(0, 40)));
  }
  return number;
}

// Shortest text that reads back as the same double (or float).
void append_float(std::string& out, std::string_view column, const JsonValue& value, bool single) {
  if (value.kind == JsonValue::Kind::string && debezium::is_special_number(value.text)) {
    out.append(value.text);
    return;
  }
  if (value.kind != JsonValue::Kind::number) {
    refuse(column,
           fmt::format("a floating point value must be a number, not {}", kind_name(value)));
  }
  double number = 0;
  const auto [end, ec] =
      std::from_chars(value.text.data(), value.text.data() + value.text.size(), number);
  if (ec != std::errc() || !std::isfinite(number)) {
    refuse(column,
           fmt::format("{} is out of range for double precision", value.text.substr(0, 40)));
  }
  char buffer[64];
  std::to_chars_result printed{};
  if (single) {
    const auto narrow = static_cast<float>(number);
    if (!std::isfinite(narrow)) {
      refuse(column, fmt::format("{} is out of range for real", value.text.substr(0, 40)));
    }
    printed = std::to_chars(buffer, buffer + sizeof buffer, narrow);
  } else {
    printed = std::to_chars(buffer, buffer + sizeof buffer, number);
  }
  out.append(buffer, printed.ptr);
}

// --- schema and catalog to Target -------------------------------------------------------

int int_parameter(const FieldSchema& schema, std::string_view key) {
  const std::string* text = schema.parameter(key);
  if (text == nullptr) return -1;
  int value = -1;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  return ec == std::errc() && end == text->data() + text->size() ? value : -1;
}

Target from_schema(const FieldSchema& schema, const Target& catalog, const DecodeOptions& options,
                   std::string_view column) {
  Target target = catalog;
  target.schema = &schema;
  // string_view: == compares the length first, where std::string == const char* scans both.
  const std::string_view name = schema.name;
  if (!name.empty()) {
    if (name == connect::kDecimal) {
      target.enc = Enc::decimal_bytes;
      target.scale = int_parameter(schema, connect::kScaleParameter);
      if (target.scale < 0 && catalog.known_category) target.scale = catalog.pg.numeric_scale();
    } else if (name == connect::kVariableScaleDecimal) {
      target.enc = Enc::decimal_variable;
    } else if (name == connect::kDate || name == connect::kConnectDate) {
      target.enc = Enc::date_days;
    } else if (name == connect::kTime || name == connect::kConnectTime) {
      target.enc = Enc::time_ms;
    } else if (name == connect::kMicroTime) {
      target.enc = Enc::time_us;
    } else if (name == connect::kNanoTime) {
      target.enc = Enc::time_ns;
    } else if (name == connect::kTimestamp || name == connect::kConnectTimestamp) {
      target.enc = Enc::ts_ms;
    } else if (name == connect::kMicroTimestamp) {
      target.enc = Enc::ts_us;
    } else if (name == connect::kNanoTimestamp) {
      target.enc = Enc::ts_ns;
    } else if (name == connect::kZonedTimestamp) {
      target.enc = Enc::zoned_ts;
    } else if (name == connect::kZonedTime) {
      target.enc = Enc::zoned_time;
    } else if (name == connect::kMicroDuration) {
      target.enc = Enc::micro_duration;
    } else if (name == connect::kInterval) {
      target.enc = Enc::interval_text;
    } else if (name == connect::kBits) {
      target.enc = Enc::bits;
      target.bits = int_parameter(schema, connect::kLengthParameter);
      if (catalog.known_category && catalog.category == PgCategory::varbit) target.bits = -1;
    } else if (name == connect::kPoint) {
      target.enc = Enc::point;
    } else if (name == connect::kJson || name == connect::kXml || name == connect::kUuid ||
               name == connect::kEnum || name == connect::kLtree || name == connect::kTsvector ||
               name == connect::kEnumSet) {
      target.enc = name == connect::kJson && catalog.category == PgCategory::hstore
                       ? Enc::hstore_json
                       : Enc::text;
    } else {
      refuse(column, fmt::format("the Debezium type {} is not supported", name.substr(0, 80)));
    }
    return target;
  }
  const std::string_view type = schema.type;
  if (type == connect::kBoolean) {
    target.enc = Enc::boolean;
  } else if (type == connect::kInt8 || type == connect::kInt16 || type == connect::kInt32 ||
             type == connect::kInt64) {
    target.enc = Enc::integer;
  } else if (type == connect::kFloat || type == connect::kDouble) {
    target.enc = Enc::floating;
    if (!catalog.known_category)
      target.category = type == connect::kFloat ? PgCategory::float4 : PgCategory::float8;
    if (catalog.known_category &&
        (catalog.category == PgCategory::numeric || catalog.category == PgCategory::money)) {
      target.enc = Enc::decimal_text;  // decimal.handling.mode=double
    }
  } else if (type == connect::kBytes) {
    target.enc = Enc::bytes_base64;
    if (catalog.known_category &&
        (catalog.category == PgCategory::numeric || catalog.category == PgCategory::money)) {
      refuse(column, "a decimal arrived as bytes without the Decimal schema name");
    }
  } else if (type == connect::kString) {
    target.enc = Enc::text;
    // A string for an array column is the whole array's text form, cast to the column type.
    if (catalog.known_category && catalog.pg.array_dims == 0) {
      if (catalog.category == PgCategory::bytea) {
        target.enc = options.binary_handling == BinaryHandling::hex ? Enc::bytes_hex
                     : options.binary_handling == BinaryHandling::base64_url_safe
                         ? Enc::bytes_base64_url
                         : Enc::bytes_base64;
      } else if (catalog.category == PgCategory::numeric || catalog.category == PgCategory::money) {
        target.enc = Enc::decimal_text;  // decimal.handling.mode=string
      } else if (catalog.category == PgCategory::hstore) {
        target.enc = Enc::hstore_json;
      }
    }
  } else if (type == connect::kArray) {
    target.enc = Enc::array;
  } else {
    refuse(column, fmt::format("a field of Connect type {} is not supported", type.substr(0, 40)));
  }
  return target;
}

Target from_catalog(const Target& catalog, const JsonValue& value, const DecodeOptions& options,
                    std::string_view /*column*/) {
  Target target = catalog;
  const auto kind = value.kind;
  if (catalog.pg.array_dims > 0) {
    // A string for an array column is the whole array's text form (box[], composite[], ...).
    const bool text_form =
        kind == JsonValue::Kind::string && debezium::is_array_text_form(value.text);
    target.enc = text_form ? Enc::text : Enc::array;
    return target;
  }
  switch (catalog.category) {
    case PgCategory::boolean:
      target.enc = Enc::boolean;
      break;
    case PgCategory::int2:
    case PgCategory::int4:
    case PgCategory::int8:
      target.enc = Enc::integer;
      break;
    case PgCategory::float4:
    case PgCategory::float8:
      target.enc = Enc::floating;
      break;
    case PgCategory::numeric:
    case PgCategory::money:
      if (kind == JsonValue::Kind::object) {
        target.enc = Enc::decimal_variable;
      } else if (kind == JsonValue::Kind::number ||
                 options.decimal_handling != DecimalHandling::precise) {
        target.enc = Enc::decimal_text;
      } else {
        target.enc = Enc::decimal_bytes;
        target.scale = catalog.category == PgCategory::money ? options.money_fraction_digits
                                                             : catalog.pg.numeric_scale();
      }
      break;
    case PgCategory::date:
      target.enc = Enc::date_days;
      break;
    case PgCategory::time:
      target.enc =
          options.time_precision == TimePrecision::connect                       ? Enc::time_ms
          : options.time_precision == TimePrecision::adaptive_time_microseconds  ? Enc::time_us
          : debezium::adaptive_precision_is_millis(catalog.pg.fraction_digits()) ? Enc::time_ms
                                                                                 : Enc::time_us;
      break;
    case PgCategory::timestamp:
      target.enc = options.time_precision == TimePrecision::connect ? Enc::ts_ms
                   : debezium::adaptive_precision_is_millis(catalog.pg.fraction_digits())
                       ? Enc::ts_ms
                       : Enc::ts_us;
      break;
    case PgCategory::timestamptz:
      target.enc = Enc::zoned_ts;
      break;
    case PgCategory::timetz:
      target.enc = kind == JsonValue::Kind::string && debezium::is_timetz_text_form(value.text)
                       ? Enc::text
                       : Enc::zoned_time;
      break;
    case PgCategory::interval:
      target.enc = kind == JsonValue::Kind::number ? Enc::micro_duration : Enc::interval_text;
      break;
    case PgCategory::bytea:
      target.enc = options.binary_handling == BinaryHandling::hex ? Enc::bytes_hex
                   : options.binary_handling == BinaryHandling::base64_url_safe
                       ? Enc::bytes_base64_url
                       : Enc::bytes_base64;
      break;
    case PgCategory::bit:
      if (catalog.pg.modifier1 <= 1 && kind == JsonValue::Kind::boolean) {
        target.enc = Enc::boolean;
      } else {
        target.enc = Enc::bits;
        target.bits = catalog.pg.modifier1 < 0 ? 1 : catalog.pg.modifier1;
      }
      break;
    case PgCategory::varbit:
      target.enc = kind == JsonValue::Kind::boolean ? Enc::boolean : Enc::bits;
      target.bits = -1;
      break;
    case PgCategory::point:
      target.enc = Enc::point;
      break;
    case PgCategory::hstore:
      target.enc = Enc::hstore_json;
      break;
    default:
      target.enc = Enc::text;
      break;
  }
  return target;
}

Target catalog_target(const ColumnInfo* column) {
  Target target;
  if (column != nullptr) {
    target.pg = column->pg;
    target.category = column->pg.category;
    target.known_category = true;
  }
  return target;
}

Target element_of(const Target& array) {
  Target element = array;
  element.schema = nullptr;
  if (element.pg.array_dims > 0) --element.pg.array_dims;
  return element;
}

Target resolve(const Target& catalog, const FieldSchema* schema, const JsonValue& value,
               const DecodeOptions& options, std::string_view column) {
  if (schema != nullptr) return from_schema(*schema, catalog, options, column);
  if (!catalog.known_category) {
    refuse(column,
           "neither the event schema nor the catalog gives the column's type; enable schemas "
           "(value.converter.schemas.enable=true) or refresh the catalog");
  }
  return from_catalog(catalog, value, options, column);
}

// The cast for a value decoded without catalog knowledge, or empty.
std::string_view schema_cast(const Target& target) {
  switch (target.enc) {
    case Enc::decimal_bytes:
    case Enc::decimal_variable:
    case Enc::decimal_text:
      return "numeric";
    case Enc::date_days:
      return "date";
    case Enc::time_ms:
    case Enc::time_us:
    case Enc::time_ns:
      return "time";
    case Enc::ts_ms:
    case Enc::ts_us:
    case Enc::ts_ns:
      return "timestamp";
    case Enc::zoned_ts:
      return "timestamptz";
    case Enc::zoned_time:
      return "timetz";
    case Enc::micro_duration:
    case Enc::interval_text:
      return "interval";
    case Enc::bytes_base64:
    case Enc::bytes_base64_url:
    case Enc::bytes_hex:
      return "bytea";
    case Enc::bits:
      return "varbit";
    case Enc::point:
      return "point";
    case Enc::floating:
      return target.category == PgCategory::float4 ? "real" : "double precision";
    default:
      return {};
  }
}

// --- text forms -----------------------------------------------------------------------

const JsonValue& expect(std::string_view column, const JsonValue& value, JsonValue::Kind kind,
                        std::string_view what) {
  if (value.kind != kind) {
    refuse(column,
           fmt::format("{} must be a JSON {}, not {}", what, to_string(kind), kind_name(value)));
  }
  return value;
}

void check_integer_range(std::string_view column, std::int64_t value, PgCategory category) {
  const bool fits = category == PgCategory::int2   ? value >= -32768 && value <= 32767
                    : category == PgCategory::int4 ? value >= INT32_MIN && value <= INT32_MAX
                                                   : true;
  if (!fits) {
    refuse(column, fmt::format("{} does not fit the column's type {}", value,
                               category == PgCategory::int2 ? "smallint" : "integer"));
  }
}

// Refuses a decimal with more integer digits than numeric(p,s) allows.
void check_decimal_fits(std::string_view column, std::string_view text, const Target& target) {
  if (!target.known_category || target.category != PgCategory::numeric || target.pg.modifier1 < 0) {
    return;
  }
  std::size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  while (i < text.size() && text[i] == '0') ++i;
  std::size_t integer_digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++integer_digits;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) return;  // PostgreSQL checks it
  const int allowed = target.pg.modifier1 - std::max(target.pg.modifier2, 0);
  if (static_cast<int>(integer_digits) > allowed) {
    refuse(column, fmt::format("{} does not fit numeric({},{})", text.substr(0, 60),
                               target.pg.modifier1, std::max(target.pg.modifier2, 0)));
  }
}

void append_decimal_bytes(std::string& out, std::string_view column, std::string_view base64,
                          int scale, const Target& target) {
  const std::size_t start = out.size();
  if (!debezium::append_decimal_from_base64(out, base64, scale)) {
    refuse(column, "a precise decimal is not valid base64");
  }
  check_decimal_fits(column, std::string_view(out).substr(start), target);
}

void append_text(std::string& out, std::string_view column, const JsonValue& value,
                 const Target& target, const DecodeOptions& options);

// One array element between double quotes with '"' and '\' escaped, or NULL.
void append_array(std::string& out, std::string_view column, const JsonValue& value,
                  const Target& target, const DecodeOptions& options) {
  expect(column, value, JsonValue::Kind::array, "an array value");
  const Target element_catalog = element_of(target);
  const FieldSchema* element_schema = target.schema != nullptr ? target.schema->element() : nullptr;
  if (target.schema != nullptr && element_schema == nullptr) {
    refuse(column, "the array schema has no items");
  }
  out.push_back('{');
  bool first = true;
  for (const JsonValue& item : value.items) {
    if (!first) out.push_back(',');
    first = false;
    if (item.is_null()) {
      out.append("NULL");
      continue;
    }
    // An inner level of a multidimensional array ({{1,2},{3,4}}): PostgreSQL's array types
    // have no dimensions, so neither the schema nor the catalog nests; same elements inside.
    if (item.kind == JsonValue::Kind::array && element_catalog.pg.array_dims == 0 &&
        (element_schema == nullptr || element_schema->type != connect::kArray)) {
      append_array(out, column, item, target, options);
      continue;
    }
    const Target element = resolve(element_catalog, element_schema, item, options, column);
    if (element.enc == Enc::array) {
      append_array(out, column, item, element, options);
      continue;
    }
    const std::size_t start = out.size();
    append_text(out, column, item, element, options);
    std::size_t specials = 0;
    for (std::size_t i = start; i < out.size(); ++i) {
      specials += (out[i] == '"' || out[i] == '\\') ? 1 : 0;
    }
    if (specials == 0) {
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(start), '"');
    } else {
      std::string escaped;
      escaped.reserve(out.size() - start + specials + 2);
      escaped.push_back('"');
      for (std::size_t i = start; i < out.size(); ++i) {
        if (out[i] == '"' || out[i] == '\\') escaped.push_back('\\');
        escaped.push_back(out[i]);
      }
      out.resize(start);
      out.append(escaped);
    }
    out.push_back('"');
  }
  out.push_back('}');
}

void append_bits(std::string& out, std::string_view column, const JsonValue& value,
                 const Target& target) {
  if (value.kind == JsonValue::Kind::boolean) {
    out.push_back(value.boolean ? '1' : '0');
    return;
  }
  expect(column, value, JsonValue::Kind::string, "a bit string");
  if (target.bits < 0) {
    refuse(column,
           "bit varying arrives as little-endian bytes without its length, so leading zero "
           "bits are lost; it cannot be replayed exactly");
  }
  std::string bytes;
  if (!base64_decode_append(value.text, bytes)) refuse(column, "a bit string is not valid base64");
  if (!debezium::append_pg_bits(out, bytes, static_cast<std::size_t>(target.bits))) {
    refuse(column, fmt::format("the bits do not fit bit({})", target.bits));
  }
}

void append_bytes(std::string& out, std::string_view column, const JsonValue& value, Enc enc) {
  expect(column, value, JsonValue::Kind::string, "a binary value");
  const auto mode = enc == Enc::bytes_hex          ? debezium::BinaryHandling::hex
                    : enc == Enc::bytes_base64_url ? debezium::BinaryHandling::base64_url_safe
                                                   : debezium::BinaryHandling::base64;
  if (const char* why = debezium::append_pg_bytea(out, value.text, mode)) refuse(column, why);
}

void append_timestamp(std::string& out, std::string_view column, const JsonValue& value,
                      std::int64_t per_second) {
  debezium::append_pg_timestamp(out, parse_int64(column, value, "a timestamp"), per_second);
}

void append_time(std::string& out, std::string_view column, const JsonValue& value,
                 std::int64_t per_second) {
  const std::int64_t units = parse_int64(column, value, "a time of day");
  if (!debezium::append_pg_time(out, units, per_second)) {
    refuse(column, fmt::format("{} is not a time of day at {} units a second", units, per_second));
  }
}

void append_text(std::string& out, std::string_view column, const JsonValue& value,
                 const Target& target, const DecodeOptions& options) {
  switch (target.enc) {
    case Enc::boolean:
      expect(column, value, JsonValue::Kind::boolean, "a boolean");
      out.append(target.category == PgCategory::bit || target.category == PgCategory::varbit
                     ? (value.boolean ? "1" : "0")
                     : (value.boolean ? "t" : "f"));
      return;
    case Enc::integer: {
      const std::int64_t number = parse_int64(column, value, "an integer");
      if (target.known_category) check_integer_range(column, number, target.category);
      out.append(value.text);
      return;
    }
    case Enc::floating:
      append_float(out, column, value,
                   target.category == PgCategory::float4 ||
                       (target.schema != nullptr && target.schema->type == connect::kFloat));
      return;
    case Enc::decimal_bytes:
      expect(column, value, JsonValue::Kind::string, "a precise decimal");
      if (target.scale < 0) {
        refuse(column,
               "a precise decimal (base64) needs its scale, which neither the event schema "
               "nor the catalog type gives; enable schemas or set decimal.handling.mode=string");
      }
      append_decimal_bytes(out, column, value.text, target.scale, target);
      return;
    case Enc::decimal_variable: {
      expect(column, value, JsonValue::Kind::object, "a VariableScaleDecimal");
      const JsonValue* scale = value.member("scale");
      const JsonValue* unscaled = value.member("value");
      if (scale == nullptr || unscaled == nullptr) {
        refuse(column, "a VariableScaleDecimal needs scale and value");
      }
      const std::int64_t s = parse_int64(column, *scale, "a decimal scale");
      if (s < -1000 || s > 1000) refuse(column, "a decimal scale is out of range");
      expect(column, *unscaled, JsonValue::Kind::string, "a VariableScaleDecimal value");
      append_decimal_bytes(out, column, unscaled->text, static_cast<int>(s), target);
      return;
    }
    case Enc::decimal_text:
      if ((value.kind != JsonValue::Kind::string && value.kind != JsonValue::Kind::number) ||
          !debezium::is_decimal_text(value.text)) {
        refuse(column, fmt::format("{} is not a decimal number", value.text.substr(0, 60)));
      }
      check_decimal_fits(column, value.text, target);
      out.append(value.text);
      return;
    case Enc::date_days: {
      if (value.kind == JsonValue::Kind::string && debezium::is_iso_date(value.text)) {
        out.append(value.text);
        return;
      }
      const std::int64_t days = parse_int64(column, value, "a date (days since 1970-01-01)");
      if (!debezium::is_infinite_date(days) && (days < -2451545 - 1000000 || days > 2147483647)) {
        refuse(column, fmt::format("{} days is outside the date range", days));
      }
      debezium::append_pg_date(out, days);
      return;
    }
    case Enc::time_ms:
      append_time(out, column, value, 1000);
      return;
    case Enc::time_us:
      append_time(out, column, value, 1000000);
      return;
    case Enc::time_ns:
      append_time(out, column, value, 1000000000);
      return;
    case Enc::ts_ms:
      append_timestamp(out, column, value, 1000);
      return;
    case Enc::ts_us:
      append_timestamp(out, column, value, 1000000);
      return;
    case Enc::ts_ns:
      append_timestamp(out, column, value, 1000000000);
      return;
    case Enc::zoned_ts:
      expect(column, value, JsonValue::Kind::string, "a ZonedTimestamp");
      if (!debezium::append_pg_timestamptz(out, value.text)) {
        refuse(column,
               fmt::format("\"{}\" is not an ISO-8601 UTC timestamp", value.text.substr(0, 60)));
      }
      return;
    case Enc::zoned_time:
      expect(column, value, JsonValue::Kind::string, "a ZonedTime");
      if (!debezium::append_pg_timetz(out, value.text)) {
        refuse(column, fmt::format("\"{}\" is not an ISO-8601 UTC time", value.text.substr(0, 60)));
      }
      return;
    case Enc::micro_duration: {
      const std::int64_t micros = parse_int64(column, value, "a MicroDuration");
      if (!options.allow_approximate_intervals) {
        refuse(column,
               "interval.handling.mode=numeric sends intervals as approximate microseconds "
               "(a month counts 30.4375 days); set interval.handling.mode=string for exact "
               "replay");
      }
      fmt::format_to(std::back_inserter(out), "{} microseconds", micros);
      return;
    }
    case Enc::interval_text:
      expect(column, value, JsonValue::Kind::string, "an ISO-8601 interval");
      if (!debezium::is_iso_interval(value.text)) {
        refuse(column, fmt::format("\"{}\" is not an ISO-8601 interval", value.text.substr(0, 60)));
      }
      out.append(value.text);
      return;
    case Enc::bytes_base64:
    case Enc::bytes_base64_url:
    case Enc::bytes_hex:
      append_bytes(out, column, value, target.enc);
      return;
    case Enc::bits:
      append_bits(out, column, value, target);
      return;
    case Enc::text:
      expect(column, value, JsonValue::Kind::string, "a text value");
      out.append(value.text);
      return;
    case Enc::hstore_json: {
      expect(column, value, JsonValue::Kind::string, "an hstore as a JSON object");
      std::string why;
      if (!debezium::append_pg_hstore(out, value.text, why)) {
        refuse(column, fmt::format("hstore {}: {}", value.text.substr(0, 60), why));
      }
      return;
    }
    case Enc::point: {
      expect(column, value, JsonValue::Kind::object, "a point");
      const JsonValue* x = value.member("x");
      const JsonValue* y = value.member("y");
      if (x == nullptr || y == nullptr) refuse(column, "a point needs x and y");
      out.push_back('(');
      append_float(out, column, *x, false);
      out.push_back(',');
      append_float(out, column, *y, false);
      out.push_back(')');
      return;
    }
    case Enc::array:
      append_array(out, column, value, target, options);
      return;
  }
}

bool no_equality(PgCategory category) {
  return category == PgCategory::json || category == PgCategory::xml ||
         category == PgCategory::point || category == PgCategory::geometric;
}

}  // namespace

ValueDecoder::ValueDecoder(DecodeOptions options)
    : options_(std::move(options)),
      placeholder_(debezium::UnavailablePlaceholder::from_bytes(options_.unavailable_placeholder)),
      placeholder_hstore_(fmt::format("{{\"{0}\":\"{0}\"}}", options_.unavailable_placeholder)) {}

bool ValueDecoder::is_placeholder(const JsonValue& value) const {
  const std::string& placeholder = options_.unavailable_placeholder;
  if (value.kind == JsonValue::Kind::string) {
    return value.text == placeholder || value.text == placeholder_.base64 ||
           value.text == placeholder_hstore_;
  }
  if (value.kind != JsonValue::Kind::array) return false;
  if (value.items.size() == 1 && value.items[0].kind == JsonValue::Kind::string) {
    const std::string& text = value.items[0].text;
    return text == placeholder || text == placeholder_.base64 || text == placeholder_.uuid;
  }
  // int4[]/int8[]/date[]: the placeholder's bytes as numbers.
  if (value.items.size() != placeholder.size() || placeholder.empty()) return false;
  for (std::size_t i = 0; i < placeholder.size(); ++i) {
    const JsonValue& item = value.items[i];
    if (item.kind != JsonValue::Kind::number ||
        item.text != std::to_string(static_cast<unsigned char>(placeholder[i]))) {
      return false;
    }
  }
  return true;
}

ValueDecoder::Result ValueDecoder::append_literal(std::string& out, std::string_view column_name,
                                                  const JsonValue& value, const FieldSchema* schema,
                                                  const ColumnInfo* column) const {
  if (value.is_null()) return Result::null;
  if (is_placeholder(value)) return Result::unavailable;
  const Target target = resolve(catalog_target(column), schema, value, options_, column_name);
  if (target.enc == Enc::boolean && target.category != PgCategory::bit &&
      target.category != PgCategory::varbit) {
    expect(column_name, value, JsonValue::Kind::boolean, "a boolean");
    out.append(value.boolean ? "true" : "false");
    return Result::literal;
  }
  if (target.enc == Enc::integer) {
    const std::int64_t number = parse_int64(column_name, value, "an integer");
    if (target.known_category) check_integer_range(column_name, number, target.category);
    out.append(value.text);
    return Result::literal;
  }
  const std::size_t start = out.size();
  append_text(out, column_name, value, target, options_);
  sql::quote_literal_in_place(out, start);
  if (column != nullptr) {
    if (target.category != PgCategory::text || target.pg.array_dims > 0) {
      out.append("::");
      out.append(column->type);
    }
  } else {
    std::string_view cast = schema_cast(target);
    if (target.enc == Enc::array && schema != nullptr && schema->element() != nullptr) {
      const Target element = from_schema(*schema->element(), Target{}, options_, column_name);
      cast = schema_cast(element);
      if (!cast.empty()) {
        fmt::format_to(std::back_inserter(out), "::{}[]", cast);
      }
      return Result::literal;
    }
    if (!cast.empty()) {
      out.append("::");
      out.append(cast);
    }
  }
  return Result::literal;
}

bool ValueDecoder::compare_as_text(const FieldSchema* schema, const ColumnInfo* column) {
  if (column != nullptr) {
    return no_equality(column->pg.category);
  }
  if (schema == nullptr) return false;
  const FieldSchema* level = schema;
  while (level->type == connect::kArray && level->element() != nullptr) level = level->element();
  return level->name == connect::kJson || level->name == connect::kXml ||
         level->name == connect::kPoint;
}

}  // namespace tapedeck::transform
