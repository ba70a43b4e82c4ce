// Column values: PostgreSQL text output -> Debezium JSON values and Kafka Connect field schemas.
#include "capture/value_codec.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/debezium/binary.hpp"
#include "core/debezium/connect_schema.hpp"
#include "core/debezium/decimal.hpp"
#include "core/debezium/geometric.hpp"
#include "core/debezium/temporal.hpp"
#include "core/debezium/text_form.hpp"
#include "core/error.hpp"

namespace tapedeck::capture {
namespace {

namespace connect = debezium::connect;

[[noreturn]] void bad(std::string_view type, std::string_view text, std::string_view why) {
  constexpr std::size_t kShown = 80;
  throw Error(ErrorSource::input, Recovery::invalid,
              fmt::format("cannot encode {} value '{}{}': {}; capture expects PostgreSQL's text "
                          "output with DateStyle=ISO and IntervalStyle=postgres",
                          type, text.substr(0, kShown), text.size() > kShown ? "..." : "", why));
}

// ---------------------------------------------------------------------------------------------
// Numbers (the format is core/debezium/decimal.hpp).

double to_double(std::string_view text) {
  double value = 0;
  auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) {
    bad("double precision", text, "not a number");
  }
  return value;
}

void write_decimal_bytes(JsonWriter& out, const debezium::Decimal& d) {
  out.base64(debezium::unscaled_bytes(d));
}

void write_numeric(JsonWriter& out, const ColumnCodec& codec, std::string_view text) {
  double special = 0;
  const bool is_special = debezium::parse_special_number(text, special);
  if (codec.kind == CodecKind::decimal_string) {
    if (is_special) {
      out.string(text);
      return;
    }
    debezium::Decimal d;
    if (!debezium::parse_decimal(text, d)) bad("numeric", text, "not a decimal number");
    out.string(debezium::plain_text(d));
    return;
  }
  if (codec.kind == CodecKind::decimal_double) {
    out.float64(is_special ? special : to_double(text));
    return;
  }
  if (is_special) {  // precise mode cannot carry NaN or infinities (Debezium writes null)
    out.null();
    return;
  }
  debezium::Decimal d;
  if (!debezium::parse_decimal(text, d)) bad("numeric", text, "not a decimal number");
  if (codec.kind == CodecKind::variable_decimal) {
    // The scale as PostgreSQL prints it (5.60 stays 5.60): Debezium strips trailing zeros,
    // which a replay would show as 5.6. Both are the same VariableScaleDecimal to a reader.
    out.raw("{\"scale\":");
    out.integer(d.scale);
    out.raw(",\"value\":");
    write_decimal_bytes(out, d);
    out.raw('}');
    return;
  }
  if (!debezium::rescale(d, codec.scale)) {
    bad("numeric", text, "more fraction digits than the column scale");
  }
  write_decimal_bytes(out, d);
}

void write_money(JsonWriter& out, const ColumnCodec& codec, std::string_view text, int fraction) {
  debezium::Decimal d;
  if (!debezium::parse_money(text, d)) bad("money", text, "no digits");
  if (!debezium::rescale(d, fraction)) {
    bad("money", text, "more fraction digits than money.fraction.digits");
  }
  if (codec.kind == CodecKind::decimal_string) {
    out.string(debezium::plain_text(d));
  } else if (codec.kind == CodecKind::decimal_double) {
    // Built by hand rather than from plain_text: "-0.00" stays a negative zero, as in Java.
    std::string plain;
    plain.reserve(d.digits.size() + 2);
    if (d.negative) plain.push_back('-');
    const std::size_t integer_digits = d.digits.size() - static_cast<std::size_t>(d.scale);
    plain.append(d.digits, 0, integer_digits);
    plain.push_back('.');
    plain.append(d.digits, integer_digits, std::string::npos);
    plain.push_back('0');
    out.float64(to_double(plain));
  } else {
    write_decimal_bytes(out, d);
  }
}

// ---------------------------------------------------------------------------------------------
// Dates and times (the format is core/debezium/temporal.hpp).

// A string value capture builds whole: quoted, never needing escapes.
void write_plain_string(JsonWriter& out, std::string_view text) {
  out.raw('"');
  out.raw(text);
  out.raw('"');
}

void write_interval(JsonWriter& out, const ColumnCodec& codec, std::string_view text) {
  debezium::IntervalParts parts;
  std::string why;
  if (!debezium::parse_pg_interval(text, parts, why)) bad("interval", text, why);
  if (codec.kind == CodecKind::interval_micros) {
    out.integer(debezium::micro_duration(parts));
    return;
  }
  std::string iso;
  debezium::append_iso_interval(iso, parts);
  write_plain_string(out, iso);
}

// ---------------------------------------------------------------------------------------------
// Binary and geometric values (core/debezium/binary.hpp, geometric.hpp).

void write_point_value(JsonWriter& out, double x, double y) {
  out.raw("{\"x\":");
  out.float64(x);
  out.raw(",\"y\":");
  out.float64(y);
  out.raw(",\"wkb\":");
  out.base64(debezium::point_wkb(x, y));
  out.raw(",\"srid\":null}");
}

// hstore text ("a"=>"1", "b"=>NULL) -> the JSON object text, as a JSON string.
void write_hstore(JsonWriter& out, std::string_view text) {
  fmt::memory_buffer json;
  JsonWriter inner(json);
  inner.raw('{');
  std::size_t i = 0;
  bool first = true;
  auto skip = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
  };
  auto quoted = [&](std::string& value) -> bool {
    if (i >= text.size() || text[i] != '"') return false;
    ++i;
    value.clear();
    while (i < text.size() && text[i] != '"') {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      value.push_back(text[i++]);
    }
    if (i >= text.size()) return false;
    ++i;
    return true;
  };
  std::string key, value;
  skip();
  while (i < text.size()) {
    if (!quoted(key) || text.substr(i, 2) != "=>") bad("hstore", text, "expected \"key\"=>");
    i += 2;
    if (!first) inner.raw(',');
    first = false;
    inner.key(key);
    if (text.substr(i, 4) == "NULL") {
      inner.null();
      i += 4;
    } else if (quoted(value)) {
      inner.string(value);
    } else {
      bad("hstore", text, "expected a quoted value or NULL");
    }
    skip();
  }
  inner.raw('}');
  out.string(std::string_view(json.data(), json.size()));
}

// An uncarried column never reaches the value writers (require_carried refuses it first);
// writing null here would be the silent loss capture promises never to commit.
[[noreturn]] void throw_uncarried_value(const ColumnCodec& codec) {
  throw Error(ErrorSource::internal, Recovery::fail,
              fmt::format("a value of type oid {} has no encoding; the column should have been "
                          "refused when its relation was read",
                          codec.type_oid));
}

// ---------------------------------------------------------------------------------------------
// Arrays: "{1,2,NULL}", "{\"a b\",\"c\\\"d\"}", "[0:1]={1,2}", "{{1,2},{3,4}}".

void write_scalar(JsonWriter& out, const ColumnCodec& codec, std::string_view text,
                  const EncoderSettings& settings);

void write_array(JsonWriter& out, const ColumnCodec& codec, std::string_view text,
                 const EncoderSettings& settings) {
  std::size_t i = 0;
  if (!text.empty() && text[0] == '[') {
    i = text.find('=');
    if (i == std::string_view::npos) bad("array", text, "dimension decoration without '='");
    ++i;
  }
  const ColumnCodec& element = *codec.element;
  std::string unescaped;
  auto fail = [&](std::string_view why) { bad("array", text, why); };
  // Recursive descent over nested braces; each level becomes a JSON array.
  std::function<void()> level = [&] {
    if (i >= text.size() || text[i] != '{') fail("expected '{'");
    ++i;
    out.raw('[');
    bool first = true;
    while (true) {
      while (i < text.size() && text[i] == ' ') ++i;
      if (i >= text.size()) fail("unterminated array");
      if (text[i] == '}' && first) {
        ++i;
        break;
      }
      if (!first) out.raw(',');
      first = false;
      if (text[i] == '{') {
        level();
      } else if (text[i] == '"') {
        ++i;
        unescaped.clear();
        while (i < text.size() && text[i] != '"') {
          if (text[i] == '\\') {
            if (++i >= text.size()) fail("dangling backslash");
          }
          unescaped.push_back(text[i++]);
        }
        if (i >= text.size()) fail("unterminated quoted element");
        ++i;
        write_scalar(out, element, unescaped, settings);
      } else {
        const std::size_t start = i;
        while (i < text.size() && text[i] != ',' && text[i] != '}') {
          if (text[i] == '\\') ++i;  // unquoted elements may still escape characters
          ++i;
        }
        if (i > text.size()) fail("dangling backslash");
        std::string_view raw = text.substr(start, i - start);
        while (!raw.empty() && raw.back() == ' ') raw.remove_suffix(1);
        if (raw.size() == 4 && (raw == "NULL" || raw == "null" || raw == "Null")) {
          out.null();
        } else if (raw.find('\\') != std::string_view::npos) {
          unescaped.clear();
          for (std::size_t k = 0; k < raw.size(); ++k) {
            if (raw[k] == '\\' && k + 1 < raw.size()) ++k;
            unescaped.push_back(raw[k]);
          }
          write_scalar(out, element, unescaped, settings);
        } else {
          write_scalar(out, element, raw, settings);
        }
      }
      while (i < text.size() && text[i] == ' ') ++i;
      if (i >= text.size()) fail("unterminated array");
      if (text[i] == ',') {
        ++i;
        continue;
      }
      if (text[i] == '}') {
        ++i;
        break;
      }
      fail("expected ',' or '}'");
    }
    out.raw(']');
  };
  level();
  if (i != text.size()) fail("trailing characters after the array");
}

void write_scalar(JsonWriter& out, const ColumnCodec& codec, std::string_view text,
                  const EncoderSettings& settings) {
  switch (codec.kind) {
    case CodecKind::uncarried:
      throw_uncarried_value(codec);
    case CodecKind::boolean:
      if (text == "t" || text == "true") {
        out.boolean(true);
      } else if (text == "f" || text == "false") {
        out.boolean(false);
      } else {
        bad("boolean", text, "not t or f");
      }
      return;
    case CodecKind::bit_boolean:
      if (text != "0" && text != "1") bad("bit(1)", text, "not 0 or 1");
      out.boolean(text == "1");
      return;
    case CodecKind::int16:
    case CodecKind::int32:
    case CodecKind::int64:
      if (!debezium::is_integer_text(text)) bad("integer", text, "not an integer");
      out.raw(text);  // exact: never through a double
      return;
    case CodecKind::float32: {
      double special = 0;
      if (debezium::parse_special_number(text, special)) {
        out.float32(static_cast<float>(special));
        return;
      }
      float value = 0;
      auto result = std::from_chars(text.data(), text.data() + text.size(), value);
      if (result.ec != std::errc() || result.ptr != text.data() + text.size()) {
        bad("real", text, "not a number");
      }
      out.float32(value);
      return;
    }
    case CodecKind::float64: {
      double special = 0;
      out.float64(debezium::parse_special_number(text, special) ? special : to_double(text));
      return;
    }
    case CodecKind::decimal:
    case CodecKind::variable_decimal:
      write_numeric(out, codec, text);
      return;
    case CodecKind::decimal_string:
    case CodecKind::decimal_double:
      if (codec.type_oid == oid::kMoney) {
        write_money(out, codec, text, settings.money_fraction_digits);
      } else {
        write_numeric(out, codec, text);
      }
      return;
    case CodecKind::money:
      write_money(out, codec, text, settings.money_fraction_digits);
      return;
    case CodecKind::string:
    case CodecKind::text_form:
    case CodecKind::json:
    case CodecKind::xml:
    case CodecKind::uuid:
    case CodecKind::enum_:
    case CodecKind::ltree:
    case CodecKind::tsvector:
      out.string(text);
      return;
    case CodecKind::hstore:
      write_hstore(out, text);
      return;
    case CodecKind::date: {
      std::int64_t days = 0;
      if (!debezium::parse_pg_date(text, days)) bad("date", text, "not YYYY-MM-DD");
      out.integer(days);
      return;
    }
    case CodecKind::time_millis:
    case CodecKind::time_micros: {
      std::int64_t micros = 0;
      if (!debezium::parse_pg_time(text, micros)) bad("time", text, "not HH:MM:SS[.ffffff]");
      out.integer(codec.kind == CodecKind::time_millis ? micros / 1000 : micros);
      return;
    }
    case CodecKind::timetz: {
      std::int64_t micros = 0, offset = 0;
      if (!debezium::parse_pg_timetz(text, micros, offset)) {
        bad("timetz", text, "not HH:MM:SS[.ffffff]+HH[:MM[:SS]]");
      }
      std::string iso;
      debezium::append_iso_utc_time(iso, micros, offset);
      write_plain_string(out, iso);
      return;
    }
    case CodecKind::timestamp_millis:
    case CodecKind::timestamp_micros: {
      std::int64_t micros = 0;
      if (!debezium::parse_pg_timestamp(text, micros)) {
        bad("timestamp", text, "not YYYY-MM-DD HH:MM:SS[.ffffff]");
      }
      out.integer(codec.kind == CodecKind::timestamp_millis ? debezium::timestamp_millis(micros)
                                                            : micros);
      return;
    }
    case CodecKind::timestamptz: {
      if (text == "infinity" || text == "-infinity") {
        out.string(text);
        return;
      }
      std::int64_t micros = 0;
      if (!debezium::parse_pg_timestamptz(text, micros)) {
        bad("timestamptz", text, "not YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]]");
      }
      std::string iso;
      debezium::append_iso_instant(iso, micros, codec.precision);
      write_plain_string(out, iso);
      return;
    }
    case CodecKind::interval_micros:
    case CodecKind::interval_string:
      write_interval(out, codec, text);
      return;
    case CodecKind::bytea: {
      std::string bytes;
      if (const char* why = debezium::parse_pg_bytea(text, bytes)) bad("bytea", text, why);
      out.base64(bytes);
      return;
    }
    case CodecKind::bits: {
      std::string bytes;
      if (!debezium::bits_to_bytes(text, bytes)) bad("bit", text, "not a bit string");
      out.base64(bytes);
      return;
    }
    case CodecKind::point: {
      double x = 0, y = 0;
      if (!debezium::parse_pg_point(text, x, y)) bad("point", text, "not (x,y)");
      write_point_value(out, x, y);
      return;
    }
    case CodecKind::unknown_bytes:
      out.base64(text);
      return;
    case CodecKind::array:
      write_array(out, codec, text, settings);
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Schemas.

void schema_open(JsonWriter& out, std::string_view type) {
  out.raw("{\"type\":\"");
  out.raw(type);
  out.raw('"');
}

void schema_close(JsonWriter& out, bool optional, std::string_view name, std::string_view doc,
                  std::string_view parameters, std::string_view field) {
  out.raw(optional ? ",\"optional\":true" : ",\"optional\":false");
  if (!name.empty()) {
    out.raw(",\"name\":");
    out.string(name);
    out.raw(",\"version\":1");
  }
  if (!doc.empty()) {
    out.raw(",\"doc\":");
    out.string(doc);
  }
  if (!parameters.empty()) {
    out.raw(",\"parameters\":");
    out.raw(parameters);
  }
  if (!field.empty()) {
    out.raw(",\"field\":");
    out.string(field);
  }
  out.raw('}');
}

void simple_schema(JsonWriter& out, std::string_view type, bool optional, std::string_view name,
                   std::string_view field, std::string_view parameters = {}) {
  schema_open(out, type);
  schema_close(out, optional, name, {}, parameters, field);
}

// The placeholder of an array column takes the shape of its elements (Debezium's choice per
// element type); arrays of other types carry the plain string.
PlaceholderShape array_placeholder_shape(std::uint32_t element_oid) {
  using enum PlaceholderShape;
  constexpr struct {
    std::uint32_t element_oid;
    PlaceholderShape shape;
  } kShapes[] = {{oid::kText, string_array},   {oid::kVarchar, string_array},
                 {oid::kBpchar, string_array}, {oid::kJson, string_array},
                 {oid::kJsonb, string_array},  {oid::kBytea, bytes_array},
                 {oid::kInt4, int_array},      {oid::kDate, int_array},
                 {oid::kInt8, int_array},      {oid::kUuid, uuid_array}};
  for (const auto& entry : kShapes) {
    if (entry.element_oid == element_oid) return entry.shape;
  }
  return string;
}

// Whether a JSON array of `element` values reads back exactly. Not for elements carried as
// their text form (box[] is ';'-delimited, a composite's text has its own quoting), nor for
// the element encodings Debezium keeps out of arrays (interval, point, xml): such arrays go
// whole, as the array's own text form, which keeps NULL elements, empty and multidimensional
// arrays and explicit bounds ("[0:1]={...}") as PostgreSQL wrote them.
bool fits_json_array(const ColumnCodec& element) {
  switch (element.kind) {
    case CodecKind::text_form:
    case CodecKind::array:  // an array of a domain over an array
    case CodecKind::interval_micros:
    case CodecKind::interval_string:
    case CodecKind::point:
    case CodecKind::xml:
      return false;
    default:
      return true;
  }
}

}  // namespace

ColumnCodec make_codec(std::uint32_t type_oid, std::int32_t typmod, const EncoderSettings& settings,
                       const TypeLookup& lookup) {
  ColumnCodec c;
  c.type_oid = type_oid;
  const bool precise = settings.decimal_handling_mode == DecimalHandlingMode::precise;
  const CodecKind decimal_other = settings.decimal_handling_mode == DecimalHandlingMode::string
                                      ? CodecKind::decimal_string
                                      : CodecKind::decimal_double;
  const int time_precision = typmod < 0 ? 6 : typmod;
  switch (type_oid) {
    case oid::kBool:
      c.kind = CodecKind::boolean;
      return c;
    case oid::kInt2:
      c.kind = CodecKind::int16;
      return c;
    case oid::kInt4:
      c.kind = CodecKind::int32;
      return c;
    case oid::kInt8:
    case oid::kOid:
      c.kind = CodecKind::int64;
      return c;
    case oid::kFloat4:
      c.kind = CodecKind::float32;
      return c;
    case oid::kFloat8:
      c.kind = CodecKind::float64;
      return c;
    case oid::kNumeric:
      if (typmod < 4) {
        c.kind = precise ? CodecKind::variable_decimal : decimal_other;
      } else {
        c.kind = precise ? CodecKind::decimal : decimal_other;
        c.precision = ((typmod - 4) >> 16) & 0xffff;
        c.scale = (((typmod - 4) & 0x7ff) ^ 1024) - 1024;
      }
      return c;
    case oid::kMoney:
      c.kind = precise ? CodecKind::money : decimal_other;
      c.scale = settings.money_fraction_digits;
      return c;
    case oid::kChar:
    case oid::kName:
    case oid::kText:
    case oid::kBpchar:
    case oid::kVarchar:
    case oid::kInet:
    case oid::kCidr:
    case oid::kMacaddr:
    case oid::kMacaddr8:
    case oid::kInt4range:
    case oid::kInt8range:
    case oid::kNumrange:
    case oid::kTsrange:
    case oid::kTstzrange:
    case oid::kDaterange:
      c.kind = CodecKind::string;
      return c;
    case oid::kJson:
    case oid::kJsonb:
      c.kind = CodecKind::json;
      return c;
    case oid::kXml:
      c.kind = CodecKind::xml;
      return c;
    case oid::kUuid:
      c.kind = CodecKind::uuid;
      return c;
    case oid::kTsvector:
      c.kind = CodecKind::tsvector;
      return c;
    case oid::kDate:
      c.kind = CodecKind::date;
      return c;
    case oid::kTime:
      c.kind = debezium::adaptive_precision_is_millis(time_precision) ? CodecKind::time_millis
                                                                      : CodecKind::time_micros;
      c.precision = time_precision;
      return c;
    case oid::kTimetz:
      c.kind = settings.timetz_handling_mode == TimetzHandlingMode::text ? CodecKind::text_form
                                                                         : CodecKind::timetz;
      c.precision = time_precision;
      return c;
    case oid::kTimestamp:
      c.kind = debezium::adaptive_precision_is_millis(time_precision) ? CodecKind::timestamp_millis
                                                                      : CodecKind::timestamp_micros;
      c.precision = time_precision;
      return c;
    case oid::kTimestamptz:
      c.kind = CodecKind::timestamptz;
      c.precision = time_precision;
      return c;
    case oid::kInterval:
      c.kind = settings.interval_handling_mode == IntervalHandlingMode::string
                   ? CodecKind::interval_string
                   : CodecKind::interval_micros;
      return c;
    case oid::kBytea:
      c.kind = CodecKind::bytea;
      c.placeholder = PlaceholderShape::bytes;
      return c;
    case oid::kBit:
      c.bit_length = typmod < 0 ? 2147483647 : typmod;
      c.kind = c.bit_length == 1 ? CodecKind::bit_boolean : CodecKind::bits;
      return c;
    case oid::kPoint:
      c.kind = CodecKind::point;
      return c;
    default:
      break;
  }
  if (debezium::is_text_form_builtin(type_oid)) {
    c.kind = CodecKind::text_form;
    return c;
  }
  // Built-in arrays and everything else go through the catalog facts.
  struct BuiltinArray {
    std::uint32_t array, element;
  };
  static constexpr BuiltinArray kArrays[] = {
      {1000, oid::kBool},      {1001, oid::kBytea},       {1002, oid::kChar},
      {1005, oid::kInt2},      {1007, oid::kInt4},        {1009, oid::kText},
      {1014, oid::kBpchar},    {1015, oid::kVarchar},     {1016, oid::kInt8},
      {1021, oid::kFloat4},    {1022, oid::kFloat8},      {1028, oid::kOid},
      {1040, oid::kMacaddr},   {1041, oid::kInet},        {651, oid::kCidr},
      {775, oid::kMacaddr8},   {1182, oid::kDate},        {1183, oid::kTime},
      {1115, oid::kTimestamp}, {1185, oid::kTimestamptz}, {1231, oid::kNumeric},
      {1270, oid::kTimetz},    {2951, oid::kUuid},        {199, oid::kJson},
      {3807, oid::kJsonb},     {3905, oid::kInt4range},   {3907, oid::kNumrange},
      {3909, oid::kTsrange},   {3911, oid::kTstzrange},   {3913, oid::kDaterange},
      {3927, oid::kInt8range}, {1561, oid::kBit},         {791, oid::kMoney},
      {1003, oid::kName},      {1187, oid::kInterval},    {1563, oid::kVarbit},
      {143, oid::kXml},        {1017, oid::kPoint},
  };
  std::uint32_t element_oid = 0;
  for (const auto& a : kArrays) {
    if (a.array == type_oid) element_oid = a.element;
  }
  // A type Debezium has no converter for: its text form, or the text form's bytes as Debezium
  // writes them under include.unknown.datatypes.
  const auto without_converter = [&] {
    if (settings.include_unknown_datatypes) {
      c.kind = CodecKind::unknown_bytes;
      c.placeholder = PlaceholderShape::bytes;
    } else {
      c.kind = CodecKind::text_form;
    }
    return c;
  };
  const TypeInfo* info = element_oid == 0 && lookup ? lookup(type_oid) : nullptr;
  if (info != nullptr) {
    if (info->kind == TypeInfo::Kind::enum_) {
      c.kind = CodecKind::enum_;
      for (std::size_t i = 0; i < info->enum_labels.size(); ++i) {
        if (i > 0) c.enum_allowed.push_back(',');
        c.enum_allowed += info->enum_labels[i];
      }
      return c;
    }
    if (info->kind == TypeInfo::Kind::domain && info->base_oid != 0 && info->base_oid != type_oid) {
      ColumnCodec base = make_codec(info->base_oid, typmod >= 0 ? typmod : info->base_type_modifier,
                                    settings, lookup);
      return base;
    }
    if (info->kind == TypeInfo::Kind::array && info->element_oid != 0) {
      element_oid = info->element_oid;
    } else if (info->kind == TypeInfo::Kind::composite || info->kind == TypeInfo::Kind::range ||
               info->kind == TypeInfo::Kind::multirange) {
      return without_converter();
    } else if (info->name == "hstore") {
      c.kind = CodecKind::hstore;
      c.placeholder = PlaceholderShape::hstore_json;
      return c;
    } else if (info->name == "ltree") {
      c.kind = CodecKind::ltree;
      return c;
    } else if (info->name == "citext" || info->name == "isbn") {
      c.kind = CodecKind::string;
      return c;
    }
  }
  if (element_oid != 0) {
    ColumnCodec element = make_codec(element_oid, typmod, settings, lookup);
    if (element.kind == CodecKind::uncarried || element.kind == CodecKind::unknown_bytes) {
      return settings.include_unknown_datatypes
                 ? ColumnCodec{CodecKind::unknown_bytes, type_oid, -1, 0, 0, {}, nullptr,
                               PlaceholderShape::bytes}
                 : c;
    }
    if (settings.array_handling_mode == ArrayHandlingMode::text || !fits_json_array(element)) {
      return without_converter();
    }
    c.kind = CodecKind::array;
    c.placeholder = array_placeholder_shape(element.type_oid);
    c.element = std::make_shared<const ColumnCodec>(std::move(element));
    return c;
  }
  // Any other base type (jsonpath, xid8, an extension's type): its text output is what pg_dump
  // restores it from, so PostgreSQL's input reads it back. A type the catalog does not know
  // (anymore) stays uncarried, and refused.
  if (info != nullptr && info->kind == TypeInfo::Kind::base) return without_converter();
  if (settings.include_unknown_datatypes) {
    c.kind = CodecKind::unknown_bytes;
    c.placeholder = PlaceholderShape::bytes;
  }
  return c;
}

void require_carried(const ColumnCodec& codec, std::string_view qualified_column,
                     std::string_view type_name) {
  if (codec.kind != CodecKind::uncarried) return;
  throw Error(ErrorSource::config, Recovery::fail,
              fmt::format("capture cannot record column {} of type {} exactly (no encoding for "
                          "this type), and never drops a column silently; leave its table out "
                          "with capture.exclude_tables (or capture.include_tables), or change "
                          "the column's type",
                          qualified_column, type_name));
}

bool loses_special_numbers(const ColumnCodec& codec) {
  if (codec.kind == CodecKind::array) return loses_special_numbers(*codec.element);
  return codec.type_oid == oid::kNumeric &&
         (codec.kind == CodecKind::decimal || codec.kind == CodecKind::variable_decimal);
}

void write_value(JsonWriter& out, const ColumnCodec& codec, std::string_view text,
                 const EncoderSettings& settings) {
  write_scalar(out, codec, text, settings);
}

void write_placeholder(JsonWriter& out, const ColumnCodec& codec, const Placeholder& placeholder) {
  switch (codec.placeholder) {
    case PlaceholderShape::string:
      out.string(placeholder.bytes);
      return;
    case PlaceholderShape::bytes:
      write_plain_string(out, placeholder.base64);
      return;
    case PlaceholderShape::string_array:
      out.raw('[');
      out.string(placeholder.bytes);
      out.raw(']');
      return;
    case PlaceholderShape::bytes_array:
      out.raw('[');
      write_plain_string(out, placeholder.base64);
      out.raw(']');
      return;
    case PlaceholderShape::int_array:
      out.raw('[');
      for (std::size_t i = 0; i < placeholder.bytes.size(); ++i) {
        if (i > 0) out.raw(',');
        out.integer(static_cast<signed char>(placeholder.bytes[i]));  // Java bytes are signed
      }
      out.raw(']');
      return;
    case PlaceholderShape::uuid_array:
      out.raw('[');
      out.string(placeholder.uuid);
      out.raw(']');
      return;
    case PlaceholderShape::hstore_json: {
      fmt::memory_buffer json;
      JsonWriter inner(json);
      inner.raw('{');
      inner.key(placeholder.bytes);
      inner.string(placeholder.bytes);
      inner.raw('}');
      out.string(std::string_view(json.data(), json.size()));
      return;
    }
  }
}

void write_fallback(JsonWriter& out, const ColumnCodec& codec) {
  switch (codec.kind) {
    case CodecKind::uncarried:
      throw_uncarried_value(codec);
    case CodecKind::boolean:
    case CodecKind::bit_boolean:
      out.boolean(false);
      return;
    case CodecKind::int16:
    case CodecKind::int32:
    case CodecKind::int64:
    case CodecKind::date:
    case CodecKind::time_millis:
    case CodecKind::time_micros:
    case CodecKind::timestamp_millis:
    case CodecKind::timestamp_micros:
    case CodecKind::interval_micros:
      out.raw('0');
      return;
    case CodecKind::float32:
    case CodecKind::float64:
    case CodecKind::decimal_double:
      out.raw("0.0");
      return;
    case CodecKind::decimal:
    case CodecKind::money:
      out.raw("\"AA==\"");
      return;
    case CodecKind::variable_decimal:
      out.raw("{\"scale\":0,\"value\":\"AA==\"}");
      return;
    case CodecKind::decimal_string:
      if (codec.type_oid == oid::kMoney) {
        out.raw("\"0.");
        for (int i = 0; i < codec.scale; ++i) out.raw('0');
        out.raw('"');
      } else {
        out.raw("\"0\"");
      }
      return;
    case CodecKind::string:
    case CodecKind::text_form:
    case CodecKind::json:
    case CodecKind::xml:
    case CodecKind::uuid:
    case CodecKind::enum_:
    case CodecKind::ltree:
    case CodecKind::tsvector:
    case CodecKind::bytea:
    case CodecKind::bits:
    case CodecKind::unknown_bytes:
      out.raw("\"\"");
      return;
    case CodecKind::hstore:
      out.raw("\"{}\"");
      return;
    case CodecKind::timetz:
      out.raw("\"00:00:00Z\"");
      return;
    case CodecKind::timestamptz:
      out.raw("\"1970-01-01T00:00:00Z\"");
      return;
    case CodecKind::interval_string:
      out.raw("\"P0Y0M0DT0H0M0S\"");
      return;
    case CodecKind::point:
      write_point_value(out, 0, 0);
      return;
    case CodecKind::array:
      out.raw("[]");
      return;
  }
}

void write_schema(JsonWriter& out, const ColumnCodec& codec, bool optional,
                  std::string_view field) {
  switch (codec.kind) {
    case CodecKind::uncarried:
      return;
    case CodecKind::boolean:
    case CodecKind::bit_boolean:
      simple_schema(out, connect::kBoolean, optional, {}, field);
      return;
    case CodecKind::int16:
      simple_schema(out, connect::kInt16, optional, {}, field);
      return;
    case CodecKind::int32:
      simple_schema(out, connect::kInt32, optional, {}, field);
      return;
    case CodecKind::int64:
      simple_schema(out, connect::kInt64, optional, {}, field);
      return;
    case CodecKind::float32:
      simple_schema(out, connect::kFloat, optional, {}, field);
      return;
    case CodecKind::float64:
    case CodecKind::decimal_double:
      simple_schema(out, connect::kDouble, optional, {}, field);
      return;
    case CodecKind::decimal:
      simple_schema(out, connect::kBytes, optional, connect::kDecimal, field,
                    fmt::format(R"({{"scale":"{}","connect.decimal.precision":"{}"}})", codec.scale,
                                codec.precision));
      return;
    case CodecKind::money:
      simple_schema(out, connect::kBytes, optional, connect::kDecimal, field,
                    fmt::format(R"({{"scale":"{}"}})", codec.scale));
      return;
    case CodecKind::variable_decimal:
      out.raw(R"({"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},)"
              R"({"type":"bytes","optional":false,"field":"value"}])");
      schema_close(out, optional, connect::kVariableScaleDecimal, "Variable scaled decimal", {},
                   field);
      return;
    case CodecKind::decimal_string:
    case CodecKind::string:
    case CodecKind::text_form:
      simple_schema(out, connect::kString, optional, {}, field);
      return;
    case CodecKind::json:
    case CodecKind::hstore:
      simple_schema(out, connect::kString, optional, connect::kJson, field);
      return;
    case CodecKind::xml:
      simple_schema(out, connect::kString, optional, connect::kXml, field);
      return;
    case CodecKind::uuid:
      simple_schema(out, connect::kString, optional, connect::kUuid, field);
      return;
    case CodecKind::enum_: {
      fmt::memory_buffer params;
      JsonWriter p(params);
      p.raw("{\"allowed\":");
      p.string(codec.enum_allowed);
      p.raw('}');
      simple_schema(out, connect::kString, optional, connect::kEnum, field,
                    std::string_view(params.data(), params.size()));
      return;
    }
    case CodecKind::ltree:
      simple_schema(out, connect::kString, optional, connect::kLtree, field);
      return;
    case CodecKind::tsvector:
      simple_schema(out, connect::kString, optional, connect::kTsvector, field);
      return;
    case CodecKind::date:
      simple_schema(out, connect::kInt32, optional, connect::kDate, field);
      return;
    case CodecKind::time_millis:
      simple_schema(out, connect::kInt32, optional, connect::kTime, field);
      return;
    case CodecKind::time_micros:
      simple_schema(out, connect::kInt64, optional, connect::kMicroTime, field);
      return;
    case CodecKind::timetz:
      simple_schema(out, connect::kString, optional, connect::kZonedTime, field);
      return;
    case CodecKind::timestamp_millis:
      simple_schema(out, connect::kInt64, optional, connect::kTimestamp, field);
      return;
    case CodecKind::timestamp_micros:
      simple_schema(out, connect::kInt64, optional, connect::kMicroTimestamp, field);
      return;
    case CodecKind::timestamptz:
      simple_schema(out, connect::kString, optional, connect::kZonedTimestamp, field);
      return;
    case CodecKind::interval_micros:
      simple_schema(out, connect::kInt64, optional, connect::kMicroDuration, field);
      return;
    case CodecKind::interval_string:
      simple_schema(out, connect::kString, optional, connect::kInterval, field);
      return;
    case CodecKind::bytea:
    case CodecKind::unknown_bytes:
      simple_schema(out, connect::kBytes, optional, {}, field);
      return;
    case CodecKind::bits:
      simple_schema(out, connect::kBytes, optional, connect::kBits, field,
                    fmt::format(R"({{"length":"{}"}})", codec.bit_length));
      return;
    case CodecKind::point:
      out.raw(R"({"type":"struct","fields":[{"type":"double","optional":false,"field":"x"},)"
              R"({"type":"double","optional":false,"field":"y"},)"
              R"({"type":"bytes","optional":true,"field":"wkb"},)"
              R"({"type":"int32","optional":true,"field":"srid"}])");
      schema_close(out, optional, connect::kPoint, "Geometry (POINT)", {}, field);
      return;
    case CodecKind::array:
      out.raw(R"({"type":"array","items":)");
      write_schema(out, *codec.element, true, {});
      schema_close(out, optional, {}, {}, {}, field);
      return;
  }
}

}  // namespace tapedeck::capture
