// Each Debezium encoding of FORMAT.md §7 decodes to the literal PostgreSQL reads back exactly.
#include "transform/value_decoder.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::transform {
namespace {

JsonValue num(std::string text) {
  JsonValue v;
  v.kind = JsonValue::Kind::number;
  v.text = std::move(text);
  return v;
}
JsonValue str(std::string text) {
  JsonValue v;
  v.kind = JsonValue::Kind::string;
  v.text = std::move(text);
  return v;
}
JsonValue boolean(bool b) {
  JsonValue v;
  v.kind = JsonValue::Kind::boolean;
  v.boolean = b;
  return v;
}
JsonValue null() {
  return JsonValue{};
}
JsonValue array(std::vector<JsonValue> items) {
  JsonValue v;
  v.kind = JsonValue::Kind::array;
  v.items = std::move(items);
  return v;
}
JsonValue object(std::vector<std::pair<std::string, JsonValue>> members) {
  JsonValue v;
  v.kind = JsonValue::Kind::object;
  for (auto& [key, value] : members) v.members.push_back(JsonMember{key, std::move(value)});
  return v;
}
FieldSchema schema(std::string type, std::string name = {},
                   std::vector<std::pair<std::string, std::string>> parameters = {}) {
  FieldSchema s;
  s.type = std::move(type);
  s.name = std::move(name);
  s.parameters = std::move(parameters);
  return s;
}

// The literal for a value of catalog type `type` (schemas off).
std::string literal(const JsonValue& value, const std::string& type, DecodeOptions options = {}) {
  const ColumnInfo column("c", type);
  std::string out;
  const auto result =
      ValueDecoder(std::move(options)).append_literal(out, "c", value, nullptr, &column);
  EXPECT_EQ(result, ValueDecoder::Result::literal);
  return out;
}

// The literal for a value described by a Connect schema only (no catalog entry).
std::string literal(const JsonValue& value, const FieldSchema& field) {
  std::string out;
  ValueDecoder().append_literal(out, "c", value, &field, nullptr);
  return out;
}

std::string refusal(const JsonValue& value, const std::string& type, DecodeOptions options = {}) {
  const ColumnInfo column("c", type);
  std::string out;
  try {
    ValueDecoder(std::move(options)).append_literal(out, "c", value, nullptr, &column);
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::invalid);
    return error.message();
  }
  ADD_FAILURE() << "accepted: " << out;
  return "";
}

TEST(ValueDecoder, PreciseDecimalUsesTheScale) {
  EXPECT_EQ(literal(str("D54="), "numeric(10,2)"), "'39.98'::numeric(10,2)");
  EXPECT_EQ(literal(str("8GI="), "numeric(10,2)"), "'-39.98'::numeric(10,2)");
  EXPECT_EQ(literal(str("AA=="), "numeric(10,2)"), "'0.00'::numeric(10,2)");
  EXPECT_EQ(literal(str("AQ=="), "numeric(10,4)"), "'0.0001'::numeric(10,4)");
  EXPECT_EQ(literal(str("D54="), "numeric(10)"), "'3998'::numeric(10)");
  EXPECT_EQ(literal(str("F8bjv9cP3ursQXFy3LrA"), "numeric(40,6)"),
            "'123456789012345678901234567890.123456'::numeric(40,6)");
  EXPECT_EQ(literal(str("C7c="), "money"), "'29.99'::money");
}

TEST(ValueDecoder, PreciseDecimalScaleComesFromTheSchemaWhenPresent) {
  const auto decimal = schema("bytes", "org.apache.kafka.connect.data.Decimal",
                              {{"scale", "2"}, {"connect.decimal.precision", "10"}});
  EXPECT_EQ(literal(str("D54="), decimal), "'39.98'::numeric");
}

TEST(ValueDecoder, PreciseDecimalThatDoesNotFitIsRefused) {
  EXPECT_NE(refusal(str("F8bjv9cP3ursQXFy3LrA"), "numeric(10,2)").find("does not fit"),
            std::string::npos);
}

TEST(ValueDecoder, VariableScaleDecimalCarriesItsScale) {
  EXPECT_EQ(literal(object({{"scale", num("3")}, {"value", str("AeJA")}}), "numeric"),
            "'123.456'::numeric");
}

TEST(ValueDecoder, StringAndDoubleDecimalModesPassTheNumber) {
  DecodeOptions string_mode;
  string_mode.decimal_handling = DecimalHandling::string;
  EXPECT_EQ(literal(str("123.45"), "numeric(10,2)", string_mode), "'123.45'::numeric(10,2)");
  EXPECT_EQ(literal(str("NaN"), "numeric", string_mode), "'NaN'::numeric");
  EXPECT_EQ(literal(num("123456.789"), "numeric"), "'123456.789'::numeric");
  EXPECT_NE(refusal(str("12x"), "numeric", string_mode).find("not a decimal"), std::string::npos);
}

TEST(ValueDecoder, DatesAreDaysSinceTheEpoch) {
  EXPECT_EQ(literal(num("0"), "date"), "'1970-01-01'::date");
  EXPECT_EQ(literal(num("-1"), "date"), "'1969-12-31'::date");
  EXPECT_EQ(literal(num("18000"), "date"), "'2019-04-14'::date");
  EXPECT_EQ(literal(num("-719163"), "date"), "'0001-12-31 BC'::date");
  EXPECT_EQ(literal(num("18000"), schema("int32", "io.debezium.time.Date")), "'2019-04-14'::date");
}

TEST(ValueDecoder, DateInfinitySentinelsBecomeInfinity) {
  EXPECT_EQ(literal(num("-2147472692"), "date"), "'infinity'::date");
  EXPECT_EQ(literal(num("-2147472691"), schema("int32", "io.debezium.time.Date")),
            "'-infinity'::date");
  EXPECT_THROW(literal(num("-2147472690"), "date"), Error);
}

TEST(ValueDecoder, TimesFollowTheirPrecision) {
  EXPECT_EQ(literal(num("40271123"), "time(3) without time zone"),
            "'11:11:11.123'::time(3) without time zone");
  EXPECT_EQ(literal(num("40271000010"), "time without time zone"),
            "'11:11:11.00001'::time without time zone");
  EXPECT_EQ(literal(num("86400000000"), "time without time zone"),
            "'24:00:00'::time without time zone");
  EXPECT_EQ(literal(num("1"), schema("int64", "io.debezium.time.NanoTime")),
            "'00:00:00.000000001'::time");
  EXPECT_NE(refusal(num("40271000000"), "time(0) without time zone").find("not a time of day"),
            std::string::npos);
}

TEST(ValueDecoder, TimestampsAreEpochCountsTakenAsUtc) {
  EXPECT_EQ(literal(num("1529507596945104"), "timestamp without time zone"),
            "'2018-06-20 15:13:16.945104'::timestamp without time zone");
  EXPECT_EQ(literal(num("1321009871000"), "timestamp(3) without time zone"),
            "'2011-11-11 11:11:11'::timestamp(3) without time zone");
  EXPECT_EQ(literal(num("-1"), "timestamp without time zone"),
            "'1969-12-31 23:59:59.999999'::timestamp without time zone");
  EXPECT_EQ(literal(num("1529507596945104123"), schema("int64", "io.debezium.time.NanoTimestamp")),
            "'2018-06-20 15:13:16.945104123'::timestamp");
  EXPECT_EQ(literal(num("-62135596800000001"), "timestamp without time zone"),
            "'0001-12-31 23:59:59.999999 BC'::timestamp without time zone");
}

TEST(ValueDecoder, TimestampInfinitySentinelsBecomeInfinity) {
  EXPECT_EQ(literal(num("9223372036825200000"), "timestamp without time zone"),
            "'infinity'::timestamp without time zone");
  EXPECT_EQ(literal(num("-9223372036832400000"), "timestamp(3) without time zone"),
            "'-infinity'::timestamp(3) without time zone");
}

TEST(ValueDecoder, ZonedTimestampsAcceptZeroToNineFractionDigits) {
  const std::string tz = "timestamp with time zone";
  EXPECT_EQ(literal(str("2011-11-11T03:11:11Z"), tz), "'2011-11-11 03:11:11+00'::" + tz);
  EXPECT_EQ(literal(str("2011-11-11T03:11:11.458Z"), tz), "'2011-11-11 03:11:11.458+00'::" + tz);
  EXPECT_EQ(literal(str("2011-11-11T03:11:11.123456789Z"), tz),
            "'2011-11-11 03:11:11.123456789+00'::" + tz);
  EXPECT_EQ(literal(str("2011-11-11T03:11Z"), tz), "'2011-11-11 03:11:00+00'::" + tz);
  EXPECT_EQ(literal(str("infinity"), tz), "'infinity'::" + tz);
  EXPECT_EQ(literal(str("-infinity"), tz), "'-infinity'::" + tz);
  EXPECT_EQ(literal(str("-0001-01-01T00:00:00Z"), tz), "'0002-01-01 00:00:00+00 BC'::" + tz);
  EXPECT_NE(refusal(str("2011-11-11 03:11:11+02"), tz).find("ISO-8601"), std::string::npos);
}

TEST(ValueDecoder, ZonedTimesAreUtc) {
  EXPECT_EQ(literal(str("11:11:11.00001Z"), "time with time zone"),
            "'11:11:11.00001+00'::time with time zone");
}

// capture.timetz_handling_mode=text: PostgreSQL's own output, offset kept, with or without
// schemas; Debezium's ZonedTime (ending in Z) is still read as UTC.
TEST(ValueDecoder, TimetzTextKeepsItsOffset) {
  EXPECT_EQ(literal(str("12:00:00.5+05:30"), "time with time zone"),
            "'12:00:00.5+05:30'::time with time zone");
  const ColumnInfo column("c", "time(3) with time zone");
  const FieldSchema text = schema("string");
  std::string out;
  ValueDecoder().append_literal(out, "c", str("23:59:59-14"), &text, &column);
  EXPECT_EQ(out, "'23:59:59-14'::time(3) with time zone");
  EXPECT_NE(refusal(str("12:00:00 +05"), "time with time zone").find("not an ISO-8601 UTC time"),
            std::string::npos);
}

TEST(ValueDecoder, IsoIntervalsPassExactly) {
  EXPECT_EQ(literal(str("P1Y2M3DT4H5M6.78S"), "interval"), "'P1Y2M3DT4H5M6.78S'::interval");
  EXPECT_EQ(literal(str("P-1Y-2M3DT-4H-5M-6.78S"), "interval"),
            "'P-1Y-2M3DT-4H-5M-6.78S'::interval");
  EXPECT_EQ(literal(str("P0Y0M0DT0H0M0S"), schema("string", "io.debezium.time.Interval")),
            "'P0Y0M0DT0H0M0S'::interval");
  EXPECT_NE(refusal(str("1 day; DROP"), "interval").find("not an ISO-8601 interval"),
            std::string::npos);
}

TEST(ValueDecoder, MicroDurationIsRefusedUnlessApproximationIsAllowed) {
  EXPECT_NE(refusal(num("3600000000"), "interval").find("interval.handling.mode=string"),
            std::string::npos);
  DecodeOptions options;
  options.allow_approximate_intervals = true;
  EXPECT_EQ(literal(num("3600000000"), "interval", options), "'3600000000 microseconds'::interval");
}

TEST(ValueDecoder, BytesBecomeHexByteaLiterals) {
  EXPECT_EQ(literal(str("ASNFZ4mrze8="), "bytea"), "'\\x0123456789abcdef'::bytea");
  EXPECT_EQ(literal(str(""), "bytea"), "'\\x'::bytea");
  EXPECT_EQ(literal(str("+/8="), schema("bytes")), "'\\xfbff'::bytea");
  DecodeOptions url;
  url.binary_handling = BinaryHandling::base64_url_safe;
  EXPECT_EQ(literal(str("-_8="), "bytea", url), "'\\xfbff'::bytea");
  DecodeOptions hex;
  hex.binary_handling = BinaryHandling::hex;
  EXPECT_EQ(literal(str("0aFF"), "bytea", hex), "'\\x0aFF'::bytea");
  EXPECT_NE(refusal(str("not base64!"), "bytea").find("base64"), std::string::npos);
}

TEST(ValueDecoder, BitsAreLittleEndianBytesOfTheDeclaredLength) {
  EXPECT_EQ(literal(str("AQI="), "bit(10)"), "'1000000001'::bit(10)");
  EXPECT_EQ(literal(boolean(true), "bit(1)"), "'1'::bit(1)");
  EXPECT_EQ(literal(str("AQI="), schema("bytes", "io.debezium.data.Bits", {{"length", "10"}})),
            "'1000000001'::varbit");
  EXPECT_NE(refusal(str("AQI="), "bit(4)").find("do not fit"), std::string::npos);
  EXPECT_NE(refusal(str("AQI="), "bit varying(16)").find("leading zero"), std::string::npos);
}

TEST(ValueDecoder, HstoreJsonBecomesAnHstoreLiteral) {
  EXPECT_EQ(literal(str(R"({"a":"it's","b":null,"c\"":"x\\y"})"), "public.hstore"),
            R"('"a"=>"it''s", "b"=>NULL, "c\""=>"x\\y"'::public.hstore)");
  EXPECT_EQ(literal(str("{}"), "hstore"), "''::hstore");
  const ColumnInfo column("c", "hstore");
  std::string out;
  const FieldSchema json = schema("string", "io.debezium.data.Json");
  ValueDecoder().append_literal(out, "c", str(R"({"k":"v"})"), &json, &column);
  EXPECT_EQ(out, R"('"k"=>"v"'::hstore)");
  EXPECT_NE(refusal(str(R"({"k":1})"), "hstore").find("hstore"), std::string::npos);
}

// Capture sends varbit as its text in a plain string: the length (leading zeros) survives.
TEST(ValueDecoder, VarbitAsAPlainStringKeepsItsLength) {
  const ColumnInfo column("c", "bit varying(16)");
  const FieldSchema text = schema("string");
  for (const std::string bits : {"0010", "", "1"}) {
    std::string out;
    ValueDecoder().append_literal(out, "c", str(bits), &text, &column);
    EXPECT_EQ(out, "'" + bits + "'::bit varying(16)");
  }
}

TEST(ValueDecoder, StringTypesPassTheirTextWithACast) {
  EXPECT_EQ(literal(str("{\"k1\": \"v1\"}"), "json"), "'{\"k1\": \"v1\"}'::json");
  EXPECT_EQ(literal(str("<a>it's</a>"), "xml"), "'<a>it''s</a>'::xml");
  EXPECT_EQ(literal(str("60f14fe2-f857-404a-b586-3b5375b3259f"), "uuid"),
            "'60f14fe2-f857-404a-b586-3b5375b3259f'::uuid");
  EXPECT_EQ(literal(str("polar"), "public.bear"), "'polar'::public.bear");
  EXPECT_EQ(literal(str("Top.Science"), "public.ltree"), "'Top.Science'::public.ltree");
  EXPECT_EQ(literal(str("it's \\ $$ E'x'"), "text"), "'it''s \\ $$ E''x'''");
  EXPECT_EQ(literal(str("polar"), schema("string", "io.debezium.data.Enum")), "'polar'");
}

TEST(ValueDecoder, ArraysBecomeArrayLiteralsWithQuotedElementsAndNulls) {
  EXPECT_EQ(literal(array({num("1"), null(), num("-3")}), "integer[]"),
            "'{\"1\",NULL,\"-3\"}'::integer[]");
  EXPECT_EQ(literal(array({str("a\"b"), str("c\\d"), str("NULL"), str("it's")}), "text[]"),
            "'{\"a\\\"b\",\"c\\\\d\",\"NULL\",\"it''s\"}'::text[]");
  EXPECT_EQ(literal(array({}), "text[]"), "'{}'::text[]");
  EXPECT_EQ(literal(array({array({num("1"), null()}), array({num("3"), num("4")})}), "integer[]"),
            "'{{\"1\",NULL},{\"3\",\"4\"}}'::integer[]");
  FieldSchema texts = schema("array");
  texts.items.push_back(schema("string"));
  EXPECT_EQ(literal(array({array({str("a,b")}), array({str("{c}")})}), texts),
            "'{{\"a,b\"},{\"{c}\"}}'");
  EXPECT_EQ(literal(array({str("AAE=")}), "bytea[]"), "'{\"\\\\x0001\"}'::bytea[]");
  EXPECT_EQ(literal(array({str("D54=")}), "numeric(10,2)[]"), "'{\"39.98\"}'::numeric(10,2)[]");
  FieldSchema dates = schema("array");
  dates.items.push_back(schema("int32", "io.debezium.time.Date"));
  EXPECT_EQ(literal(array({num("0"), num("1")}), dates),
            "'{\"1970-01-01\",\"1970-01-02\"}'::date[]");
}

// An array carried as its whole text form (box[], composites, interval[], ...): the string is
// quoted once and cast to the column's type, with or without schemas.
TEST(ValueDecoder, ArraysAsTheirTextArePassedWholeWithTheColumnCast) {
  EXPECT_EQ(literal(str("{(1,1),(0,0);NULL}"), "box[]"), "'{(1,1),(0,0);NULL}'::box[]");
  EXPECT_EQ(literal(str(R"x([0:1]={"(\"it's\",)",NULL})x"), "public.addr[]"),
            R"x('[0:1]={"(\"it''s\",)",NULL}'::public.addr[])x");
  const ColumnInfo column("c", "public.spans", "interval[]");  // a domain over interval[]
  const FieldSchema text = schema("string");
  std::string out;
  ValueDecoder().append_literal(out, "c", str(R"({"1 year",NULL})"), &text, &column);
  EXPECT_EQ(out, R"('{"1 year",NULL}'::public.spans)");
  // Not an array's text (include.unknown.datatypes' base64): refused as before.
  EXPECT_NE(refusal(str("e30="), "box[]").find("an array value"), std::string::npos);
}

TEST(ValueDecoder, CompositesAndMultirangesAreTheirTextCastToTheColumnType) {
  EXPECT_EQ(literal(str(R"x(("a ""b""",,"(1,2)"))x"), "public.addr"),
            R"x('("a ""b""",,"(1,2)")'::public.addr)x");
  EXPECT_EQ(literal(str("{[1,3),[5,8)}"), "int4multirange"), "'{[1,3),[5,8)}'::int4multirange");
}

TEST(ValueDecoder, PointsPrintShortestExactCoordinates) {
  EXPECT_EQ(
      literal(
          object({{"x", num("1.0")}, {"y", num("2.0")}, {"wkb", str("AQ==")}, {"srid", null()}}),
          "point"),
      "'(1,2)'::point");
  EXPECT_EQ(literal(object({{"x", num("0.1")}, {"y", num("-1e300")}}), "point"),
            "'(0.1,-1e+300)'::point");
}

TEST(ValueDecoder, FloatsRoundTripAndKeepNanAndInfinity) {
  EXPECT_EQ(literal(num("0.1"), "double precision"), "'0.1'::double precision");
  EXPECT_EQ(literal(num("3.141592653589793"), "double precision"),
            "'3.141592653589793'::double precision");
  EXPECT_EQ(literal(num("9.999"), "real"), "'9.999'::real");
  EXPECT_EQ(literal(str("NaN"), "double precision"), "'NaN'::double precision");
  EXPECT_EQ(literal(str("-Infinity"), "real"), "'-Infinity'::real");
  EXPECT_NE(refusal(num("1e39"), "real").find("out of range"), std::string::npos);
}

TEST(ValueDecoder, IntegersAndBooleansAreBare) {
  EXPECT_EQ(literal(num("-9223372036854775808"), "bigint"), "-9223372036854775808");
  EXPECT_EQ(literal(boolean(true), "boolean"), "true");
  EXPECT_NE(refusal(num("40000"), "smallint").find("does not fit"), std::string::npos);
  EXPECT_NE(refusal(num("9223372036854775808"), "bigint").find("64 bits"), std::string::npos);
  EXPECT_NE(refusal(str("12"), "integer").find("must be an integer"), std::string::npos);
  EXPECT_NE(refusal(num("1.5"), "integer").find("must be an integer"), std::string::npos);
  EXPECT_NE(refusal(num("1"), "boolean").find("boolean"), std::string::npos);
}

TEST(ValueDecoder, NullIsReportedNotAppended) {
  const ColumnInfo column("c", "integer");
  std::string out;
  EXPECT_EQ(ValueDecoder().append_literal(out, "c", null(), nullptr, &column),
            ValueDecoder::Result::null);
  EXPECT_TRUE(out.empty());
}

TEST(ValueDecoder, RecognisesEveryShapeOfTheUnavailablePlaceholder) {
  const std::string placeholder = "__debezium_unavailable_value";
  std::vector<JsonValue> bytes;
  for (char c : placeholder) bytes.push_back(num(std::to_string(static_cast<int>(c))));
  const std::vector<std::pair<JsonValue, std::string>> shapes = {
      {str(placeholder), "text"},
      {str(placeholder), "jsonb"},
      {str("X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ=="), "bytea"},
      {array({str(placeholder)}), "text[]"},
      {array({str("X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==")}), "bytea[]"},
      {array(bytes), "integer[]"},
      {array({str("b68a35a7-17ad-35b3-af2a-ae46edb4545a")}), "uuid[]"},
      {str("{\"" + placeholder + "\":\"" + placeholder + "\"}"), "public.hstore"},
  };
  for (const auto& [value, type] : shapes) {
    const ColumnInfo column("c", type);
    std::string out;
    EXPECT_EQ(ValueDecoder().append_literal(out, "c", value, nullptr, &column),
              ValueDecoder::Result::unavailable)
        << type;
    EXPECT_TRUE(out.empty());
  }
}

TEST(ValueDecoder, NeedsASchemaOrACatalogEntry) {
  std::string out;
  EXPECT_THROW(ValueDecoder().append_literal(out, "c", num("1"), nullptr, nullptr), Error);
}

TEST(ValueDecoder, ComparesTypesWithoutEqualityAsText) {
  EXPECT_TRUE(ValueDecoder::compare_as_text(nullptr, &*std::make_unique<ColumnInfo>("c", "json")));
  EXPECT_TRUE(ValueDecoder::compare_as_text(nullptr, &*std::make_unique<ColumnInfo>("c", "point")));
  EXPECT_TRUE(ValueDecoder::compare_as_text(nullptr, &*std::make_unique<ColumnInfo>("c", "xml[]")));
  EXPECT_FALSE(
      ValueDecoder::compare_as_text(nullptr, &*std::make_unique<ColumnInfo>("c", "jsonb")));
  const auto json = schema("string", "io.debezium.data.Json");
  EXPECT_TRUE(ValueDecoder::compare_as_text(&json, nullptr));
}

TEST(PgType, TakesFormatTypeNamesApart) {
  const PgType numeric = parse_pg_type("numeric(10,2)");
  EXPECT_EQ(numeric.category, PgCategory::numeric);
  EXPECT_EQ(numeric.numeric_scale(), 2);
  EXPECT_EQ(parse_pg_type("numeric").numeric_scale(), -1);
  EXPECT_EQ(parse_pg_type("numeric(7)").numeric_scale(), 0);
  const PgType ts = parse_pg_type("timestamp(3) without time zone");
  EXPECT_EQ(ts.category, PgCategory::timestamp);
  EXPECT_EQ(ts.fraction_digits(), 3);
  const PgType ints = parse_pg_type("integer[]");
  EXPECT_EQ(ints.category, PgCategory::int4);
  EXPECT_EQ(ints.array_dims, 1);
  EXPECT_EQ(parse_pg_type("interval year to month").category, PgCategory::interval);
  EXPECT_EQ(parse_pg_type("\"My(Type)\"").category, PgCategory::other);
}

}  // namespace
}  // namespace tapedeck::transform
