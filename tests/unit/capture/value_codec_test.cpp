// Every PostgreSQL text form encodes to the value FORMAT.md / Debezium gives (hand-checked).
#include "capture/value_codec.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::capture {
namespace {

std::string encode(std::uint32_t type_oid, std::string_view text, std::int32_t typmod = -1,
                   EncoderSettings settings = {}, const TypeLookup& lookup = {}) {
  const ColumnCodec codec = make_codec(type_oid, typmod, settings, lookup);
  fmt::memory_buffer buf;
  JsonWriter w(buf);
  write_value(w, codec, text, settings);
  return fmt::to_string(buf);
}

std::string schema(std::uint32_t type_oid, std::int32_t typmod = -1, EncoderSettings settings = {},
                   const TypeLookup& lookup = {}) {
  const ColumnCodec codec = make_codec(type_oid, typmod, settings, lookup);
  fmt::memory_buffer buf;
  JsonWriter w(buf);
  write_schema(w, codec, true, "c");
  return fmt::to_string(buf);
}

EncoderSettings decimal_mode(DecimalHandlingMode mode) {
  EncoderSettings settings;
  settings.decimal_handling_mode = mode;
  return settings;
}

EncoderSettings include_unknown() {
  EncoderSettings settings;
  settings.include_unknown_datatypes = true;
  return settings;
}

constexpr std::int32_t numeric_typmod(int precision, int scale) {
  return ((precision << 16) | scale) + 4;
}

TEST(ValueCodec, BooleansAndBitOne) {
  EXPECT_EQ(encode(oid::kBool, "t"), "true");
  EXPECT_EQ(encode(oid::kBool, "f"), "false");
  EXPECT_EQ(encode(oid::kBit, "1", 1), "true");
  EXPECT_EQ(schema(oid::kBit, 1), R"({"type":"boolean","optional":true,"field":"c"})");
}

TEST(ValueCodec, IntegersStayExactInt64) {
  EXPECT_EQ(encode(oid::kInt2, "-32768"), "-32768");
  EXPECT_EQ(encode(oid::kInt4, "2147483647"), "2147483647");
  EXPECT_EQ(encode(oid::kInt8, "9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(encode(oid::kOid, "4294967295"), "4294967295");
  EXPECT_EQ(schema(oid::kInt2), R"({"type":"int16","optional":true,"field":"c"})");
  EXPECT_EQ(schema(oid::kOid), R"({"type":"int64","optional":true,"field":"c"})");
  EXPECT_THROW(encode(oid::kInt4, "12a"), Error);
}

TEST(ValueCodec, FloatsPrintLikeJavaAndSpecialValuesAsStrings) {
  EXPECT_EQ(encode(oid::kFloat8, "5.18"), "5.18");
  EXPECT_EQ(encode(oid::kFloat8, "1"), "1.0");
  EXPECT_EQ(encode(oid::kFloat8, "15000000000"), "1.5E10");
  EXPECT_EQ(encode(oid::kFloat8, "0.0001"), "1.0E-4");
  EXPECT_EQ(encode(oid::kFloat8, "-0.5"), "-0.5");
  EXPECT_EQ(encode(oid::kFloat8, "9.999999"), "9.999999");
  EXPECT_EQ(encode(oid::kFloat4, "9.999"), "9.999");
  EXPECT_EQ(encode(oid::kFloat8, "NaN"), "\"NaN\"");
  EXPECT_EQ(encode(oid::kFloat8, "Infinity"), "\"Infinity\"");
  EXPECT_EQ(encode(oid::kFloat4, "-Infinity"), "\"-Infinity\"");
  EXPECT_EQ(schema(oid::kFloat4), R"({"type":"float","optional":true,"field":"c"})");
  EXPECT_EQ(schema(oid::kFloat8), R"({"type":"double","optional":true,"field":"c"})");
}

TEST(ValueCodec, PreciseNumericIsBase64TwosComplementOfTheUnscaledValue) {
  EXPECT_EQ(encode(oid::kNumeric, "39.98", numeric_typmod(5, 2)), "\"D54=\"");
  EXPECT_EQ(encode(oid::kNumeric, "29.99", numeric_typmod(10, 2)), "\"C7c=\"");
  EXPECT_EQ(encode(oid::kNumeric, "-39.98", numeric_typmod(5, 2)), "\"8GI=\"");
  EXPECT_EQ(encode(oid::kNumeric, "0.00", numeric_typmod(5, 2)), "\"AA==\"");
  EXPECT_EQ(encode(oid::kNumeric, "1.28", numeric_typmod(5, 2)), "\"AIA=\"");   // 128 -> 00 80
  EXPECT_EQ(encode(oid::kNumeric, "-1.28", numeric_typmod(5, 2)), "\"gA==\"");  // -128 -> 80
  EXPECT_EQ(encode(oid::kNumeric, "-1.29", numeric_typmod(5, 2)), "\"/38=\"");  // -129 -> ff 7f
  EXPECT_EQ(encode(oid::kNumeric, "NaN", numeric_typmod(5, 2)), "null");
  EXPECT_EQ(
      schema(oid::kNumeric, numeric_typmod(5, 2)),
      R"({"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal",)"
      R"("version":1,"parameters":{"scale":"2","connect.decimal.precision":"5"},"field":"c"})");
}

TEST(ValueCodec, LargePrecisionNumericKeepsEveryDigit) {
  // 2^64 = 18446744073709551616 -> 01 00 00 00 00 00 00 00 00
  EXPECT_EQ(encode(oid::kNumeric, "18446744073709551616", numeric_typmod(30, 0)),
            "\"AQAAAAAAAAAA\"");
  // 12345678901234567890.123456789 at scale 9: unscaled 12345678901234567890123456789
  EXPECT_EQ(encode(oid::kNumeric, "12345678901234567890.123456789", numeric_typmod(38, 9)),
            "\"J+QbMka+ybFuOYEV\"");
}

TEST(ValueCodec, UnconstrainedNumericIsVariableScaleDecimal) {
  // The printed scale is kept (Debezium would strip the zeros: scale 2, "MDk=").
  EXPECT_EQ(encode(oid::kNumeric, "123.4500"), R"({"scale":4,"value":"EtZE"})");
  EXPECT_EQ(encode(oid::kNumeric, "100"), R"({"scale":0,"value":"ZA=="})");
  EXPECT_EQ(schema(oid::kNumeric),
            R"({"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},)"
            R"({"type":"bytes","optional":false,"field":"value"}],"optional":true,)"
            R"("name":"io.debezium.data.VariableScaleDecimal","version":1,)"
            R"("doc":"Variable scaled decimal","field":"c"})");
}

TEST(ValueCodec, NumericStringAndDoubleModes) {
  EXPECT_EQ(encode(oid::kNumeric, "-0012.50", numeric_typmod(6, 2),
                   decimal_mode(DecimalHandlingMode::string)),
            "\"-12.50\"");
  EXPECT_EQ(encode(oid::kNumeric, "NaN", -1, decimal_mode(DecimalHandlingMode::string)), "\"NaN\"");
  EXPECT_EQ(encode(oid::kNumeric, "123.12", -1, decimal_mode(DecimalHandlingMode::double_)),
            "123.12");
}

TEST(ValueCodec, MoneyIsADecimalWithTheMoneyFractionDigits) {
  EXPECT_EQ(encode(oid::kMoney, "$12.50"), "\"BOI=\"");
  EXPECT_EQ(encode(oid::kMoney, "-$1,234.56"),
            encode(oid::kNumeric, "-1234.56", numeric_typmod(8, 2)));
  EXPECT_EQ(schema(oid::kMoney),
            R"({"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal",)"
            R"("version":1,"parameters":{"scale":"2"},"field":"c"})");
  EXPECT_EQ(encode(oid::kMoney, "$1,234.56", -1, decimal_mode(DecimalHandlingMode::string)),
            "\"1234.56\"");
}

TEST(ValueCodec, TextTypesAreEscapedStrings) {
  EXPECT_EQ(encode(oid::kText, "a \"quoted\" \\ back\nslash\ttab\x01"),
            R"("a \"quoted\" \\ back\nslash\ttab\u0001")");
  EXPECT_EQ(encode(oid::kVarchar, "ünïcødé ✓"), "\"ünïcødé ✓\"");
  EXPECT_EQ(encode(oid::kInet, "192.168.0.1/24"), "\"192.168.0.1/24\"");
  EXPECT_EQ(encode(oid::kInt4range, "[1,10)"), "\"[1,10)\"");
  EXPECT_EQ(schema(oid::kBpchar), R"({"type":"string","optional":true,"field":"c"})");
}

TEST(ValueCodec, JsonXmlUuidAreStringsWithSemanticNames) {
  EXPECT_EQ(encode(oid::kJsonb, R"({"k1": "v1", "k2": 11})"), R"("{\"k1\": \"v1\", \"k2\": 11}")");
  EXPECT_EQ(encode(oid::kXml, "<!--hahaha-->"), "\"<!--hahaha-->\"");
  EXPECT_EQ(encode(oid::kUuid, "60f14fe2-f857-404a-b586-3b5375b3259f"),
            "\"60f14fe2-f857-404a-b586-3b5375b3259f\"");
  EXPECT_EQ(
      schema(oid::kJson),
      R"({"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"c"})");
  EXPECT_EQ(
      schema(oid::kUuid),
      R"({"type":"string","optional":true,"name":"io.debezium.data.Uuid","version":1,"field":"c"})");
}

TEST(ValueCodec, DatesAreDaysSinceEpochWithInfinitySentinels) {
  EXPECT_EQ(encode(oid::kDate, "1970-01-01"), "0");
  EXPECT_EQ(encode(oid::kDate, "2018-06-20"), "17702");
  EXPECT_EQ(encode(oid::kDate, "1969-12-31"), "-1");
  EXPECT_EQ(encode(oid::kDate, "0044-03-15 BC"), "-735160");
  EXPECT_EQ(encode(oid::kDate, "infinity"), "-2147472692");
  EXPECT_EQ(encode(oid::kDate, "-infinity"), "-2147472691");
  EXPECT_EQ(
      schema(oid::kDate),
      R"({"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"c"})");
}

TEST(ValueCodec, TimesFollowAdaptivePrecision) {
  EXPECT_EQ(encode(oid::kTime, "11:11:11"), "40271000000");
  EXPECT_EQ(encode(oid::kTime, "11:11:11.00001"), "40271000010");
  EXPECT_EQ(encode(oid::kTime, "11:11:11.123", 3), "40271123");
  EXPECT_EQ(encode(oid::kTime, "24:00:00"), "86400000000");
  EXPECT_EQ(
      schema(oid::kTime, 3),
      R"({"type":"int32","optional":true,"name":"io.debezium.time.Time","version":1,"field":"c"})");
  EXPECT_EQ(schema(oid::kTime),
            R"({"type":"int64","optional":true,"name":"io.debezium.time.MicroTime",)"
            R"("version":1,"field":"c"})");
}

TEST(ValueCodec, TimetzIsNormalisedToUtc) {
  EXPECT_EQ(encode(oid::kTimetz, "11:11:11+00"), "\"11:11:11Z\"");
  EXPECT_EQ(encode(oid::kTimetz, "11:11:11.00001+08"), "\"03:11:11.00001Z\"");
  EXPECT_EQ(encode(oid::kTimetz, "01:00:00-05:30"), "\"06:30:00Z\"");
  EXPECT_EQ(encode(oid::kTimetz, "02:00:00+03"), "\"23:00:00Z\"");
}

TEST(ValueCodec, TimestampsAreEpochMicrosOrMillisByPrecision) {
  EXPECT_EQ(encode(oid::kTimestamp, "2018-06-20 15:13:16.945104"), "1529507596945104");
  EXPECT_EQ(encode(oid::kTimestamp, "2011-11-11 11:11:11", 0), "1321009871000");
  EXPECT_EQ(encode(oid::kTimestamp, "1969-12-31 23:59:59.999", 3), "-1");
  EXPECT_EQ(encode(oid::kTimestamp, "infinity"), "9223372036825200000");
  EXPECT_EQ(encode(oid::kTimestamp, "-infinity"), "-9223372036832400000");
  EXPECT_EQ(schema(oid::kTimestamp, 3),
            R"({"type":"int64","optional":true,"name":"io.debezium.time.Timestamp",)"
            R"("version":1,"field":"c"})");
}

TEST(ValueCodec, TimestamptzIsUtcIsoWithTheColumnsFractionDigits) {
  EXPECT_EQ(encode(oid::kTimestamptz, "2011-11-11 04:11:11.123456+01"),
            "\"2011-11-11T03:11:11.123456Z\"");
  EXPECT_EQ(encode(oid::kTimestamptz, "2011-11-11 04:11:11.1+01"),
            "\"2011-11-11T03:11:11.100000Z\"");
  EXPECT_EQ(encode(oid::kTimestamptz, "2011-11-11 04:11:11+01", 0), "\"2011-11-11T03:11:11Z\"");
  EXPECT_EQ(encode(oid::kTimestamptz, "2011-11-11 04:11:11.12+01", 3),
            "\"2011-11-11T03:11:11.120Z\"");
  EXPECT_EQ(encode(oid::kTimestamptz, "1900-01-01 00:09:21+00:09:21"),
            "\"1900-01-01T00:00:00.000000Z\"");
  EXPECT_EQ(encode(oid::kTimestamptz, "infinity"), "\"infinity\"");
  EXPECT_EQ(schema(oid::kTimestamptz),
            R"({"type":"string","optional":true,)"
            R"("name":"io.debezium.time.ZonedTimestamp","version":1,"field":"c"})");
}

TEST(ValueCodec, IntervalStringModeIsExactIso8601) {
  EXPECT_EQ(encode(oid::kInterval, "1 year 2 mons 3 days 04:05:06.78"), "\"P1Y2M3DT4H5M6.78S\"");
  EXPECT_EQ(encode(oid::kInterval, "-1 years -2 mons +3 days -04:05:06.5"),
            "\"P-1Y-2M3DT-4H-5M-6.5S\"");
  EXPECT_EQ(encode(oid::kInterval, "00:00:00"), "\"P0Y0M0DT0H0M0S\"");
  EXPECT_EQ(encode(oid::kInterval, "100:00:00.000001"), "\"P0Y0M0DT100H0M0.000001S\"");
  EXPECT_EQ(schema(oid::kInterval),
            R"({"type":"string","optional":true,"name":"io.debezium.time.Interval",)"
            R"("version":1,"field":"c"})");
}

TEST(ValueCodec, IntervalNumericModeIsApproximateMicrosAsDebezium) {
  EncoderSettings numeric;
  numeric.interval_handling_mode = IntervalHandlingMode::numeric;
  EXPECT_EQ(encode(oid::kInterval, "1 year 2 mons 3 days 04:05:06.78", -1, numeric),
            "37091106780000");
  EXPECT_EQ(encode(oid::kInterval, "1 day", -1, numeric), "86400000000");
  EXPECT_EQ(
      schema(oid::kInterval, -1, numeric),
      R"({"type":"int64","optional":true,"name":"io.debezium.time.MicroDuration","version":1,"field":"c"})");
}

TEST(ValueCodec, ByteaHexAndEscapeFormsBecomeBase64) {
  EXPECT_EQ(encode(oid::kBytea, "\\x0123456789abcdef"), "\"ASNFZ4mrze8=\"");
  EXPECT_EQ(encode(oid::kBytea, "\\x"), "\"\"");
  EXPECT_EQ(encode(oid::kBytea, "a\\\\b\\001"), "\"YVxiAQ==\"");
  EXPECT_EQ(schema(oid::kBytea), R"({"type":"bytes","optional":true,"field":"c"})");
}

TEST(ValueCodec, BitStringsAreLittleEndianBytes) {
  EXPECT_EQ(encode(oid::kBit, "101", 3), "\"BQ==\"");
  EXPECT_EQ(encode(oid::kBit, "100000001", 9), "\"AQE=\"");  // 257 -> 01 01
  EXPECT_EQ(schema(oid::kBit, 3),
            R"({"type":"bytes","optional":true,"name":"io.debezium.data.Bits",)"
            R"("version":1,"parameters":{"length":"3"},"field":"c"})");
}

// Bits bytes would lose a varbit's length ("000" and "0" are both no bytes at all).
TEST(ValueCodec, VarbitIsItsTextSoItsLengthSurvives) {
  EXPECT_EQ(encode(oid::kVarbit, "000", 3), "\"000\"");
  EXPECT_EQ(encode(oid::kVarbit, "", -1), "\"\"");
  EXPECT_EQ(encode(oid::kVarbit, "1", 1), "\"1\"");
  EXPECT_EQ(schema(oid::kVarbit, 16), R"({"type":"string","optional":true,"field":"c"})");
}

TEST(ValueCodec, PointIsAStructWithWkb) {
  EXPECT_EQ(encode(oid::kPoint, "(1,2)"),
            R"({"x":1.0,"y":2.0,"wkb":"AQEAAAAAAAAAAADwPwAAAAAAAABA","srid":null})");
}

TEST(ValueCodec, EnumsAndDomainsResolveThroughTheLookup) {
  TypeInfo mood;
  mood.oid = 90001;
  mood.name = "mood";
  mood.kind = TypeInfo::Kind::enum_;
  mood.enum_labels = {"sad", "ok", "happy"};
  TypeInfo price;
  price.oid = 90002;
  price.name = "price";
  price.kind = TypeInfo::Kind::domain;
  price.base_oid = oid::kNumeric;
  price.base_type_modifier = numeric_typmod(5, 2);
  TypeInfo moods;
  moods.oid = 90003;
  moods.name = "_mood";
  moods.kind = TypeInfo::Kind::array;
  moods.element_oid = 90001;
  const TypeLookup lookup = [&](std::uint32_t o) -> const TypeInfo* {
    return o == 90001 ? &mood : o == 90002 ? &price : o == 90003 ? &moods : nullptr;
  };
  EXPECT_EQ(encode(90001, "happy", -1, {}, lookup), "\"happy\"");
  EXPECT_EQ(schema(90001, -1, {}, lookup),
            R"({"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,)"
            R"("parameters":{"allowed":"sad,ok,happy"},"field":"c"})");
  EXPECT_EQ(encode(90002, "39.98", -1, {}, lookup), "\"D54=\"");
  EXPECT_EQ(encode(90003, "{sad,happy}", -1, {}, lookup), R"(["sad","happy"])");
}

TEST(ValueCodec, AnUncarriedColumnIsRefusedByNameWithTheRemedy) {
  const ColumnCodec unknown = make_codec(99999, -1, {}, {});  // a type the catalog does not know
  EXPECT_EQ(unknown.kind, CodecKind::uncarried);
  try {
    require_carried(unknown, "public.spans.covered", "mystery");
    ADD_FAILURE() << "a column of an unknown type was accepted";
  } catch (const Error& error) {
    const std::string text = error.what();
    EXPECT_EQ(error.source(), ErrorSource::config);
    EXPECT_NE(text.find("public.spans.covered of type mystery"), std::string::npos) << text;
    EXPECT_NE(text.find("capture.exclude_tables"), std::string::npos) << text;
  }
  EXPECT_NO_THROW(require_carried(make_codec(oid::kText, -1, {}, {}), "public.t.c", "text"));
}

TEST(ValueCodec, GeometricTypesPgLsnTsqueryAndMultirangesAreTheirText) {
  EXPECT_EQ(encode(oid::kBox, "(1,1),(0,0)"), "\"(1,1),(0,0)\"");
  EXPECT_EQ(encode(oid::kPgLsn, "0/16B3748"), "\"0/16B3748\"");
  EXPECT_EQ(encode(oid::kTsquery, "'it''s' & !'x':*"), "\"'it''s' & !'x':*\"");
  EXPECT_EQ(encode(oid::kInt4multirange, "{[1,3),[5,8)}"), "\"{[1,3),[5,8)}\"");
  EXPECT_EQ(schema(oid::kCircle), R"({"type":"string","optional":true,"field":"c"})");
  EXPECT_EQ(make_codec(oid::kInt4multirange, -1, {}, {}).kind, CodecKind::text_form);
}

TEST(ValueCodec, CompositesAndUserRangesAreTheirTextDomainsOverThemToo) {
  TypeInfo composite;
  composite.kind = TypeInfo::Kind::composite;
  TypeInfo range;
  range.kind = TypeInfo::Kind::range;
  TypeInfo domain;
  domain.kind = TypeInfo::Kind::domain;
  domain.base_oid = 90001;
  const TypeLookup lookup = [&](std::uint32_t type_oid) -> const TypeInfo* {
    return type_oid == 90001 ? &composite : type_oid == 90002 ? &range : &domain;
  };
  EXPECT_EQ(encode(90001, R"x(("a ""b"",c",,"(1,2)"))x", -1, {}, lookup),
            R"x("(\"a \"\"b\"\",c\",,\"(1,2)\")")x");
  EXPECT_EQ(encode(90002, "[1.5,2.5)", -1, {}, lookup), "\"[1.5,2.5)\"");
  EXPECT_EQ(make_codec(90003, -1, {}, lookup).kind, CodecKind::text_form);
  EXPECT_EQ(schema(90001, -1, {}, lookup), R"({"type":"string","optional":true,"field":"c"})");
}

// Base types capture has no converter for (jsonpath, an extension's type) are their text too;
// Debezium's include.unknown.datatypes still gets the text form's bytes.
TEST(ValueCodec, OtherBaseTypesAreTheirTextOrDebeziumsBytesWhenIncluded) {
  TypeInfo base;
  base.kind = TypeInfo::Kind::base;
  base.name = "jsonpath";
  TypeInfo composite;
  composite.kind = TypeInfo::Kind::composite;
  const TypeLookup lookup = [&](std::uint32_t type_oid) -> const TypeInfo* {
    return type_oid == 90001 ? &base : &composite;
  };
  EXPECT_EQ(encode(90001, "$.\"a b\"[*] ? (@ > 1)", -1, {}, lookup),
            R"x("$.\"a b\"[*] ? (@ > 1)")x");
  EXPECT_EQ(make_codec(90001, -1, include_unknown(), lookup).kind, CodecKind::unknown_bytes);
  EXPECT_EQ(make_codec(90002, -1, include_unknown(), lookup).kind, CodecKind::unknown_bytes);
  EXPECT_EQ(encode(90002, "(1,x)", -1, include_unknown(), lookup), "\"KDEseCk=\"");
}

// Arrays whose elements a JSON array cannot carry exactly go whole, as PostgreSQL wrote them.
TEST(ValueCodec, ArraysOfTextFormTypesAreTheWholeArraysText) {
  TypeInfo composite;
  composite.kind = TypeInfo::Kind::composite;
  TypeInfo box_array;
  box_array.kind = TypeInfo::Kind::array;
  box_array.element_oid = oid::kBox;
  TypeInfo composite_array = box_array;
  composite_array.element_oid = 90001;
  const TypeLookup lookup = [&](std::uint32_t type_oid) -> const TypeInfo* {
    return type_oid == 90001 ? &composite : type_oid == 1020 ? &box_array : &composite_array;
  };
  EXPECT_EQ(encode(1020, "{(1,1),(0,0);NULL}", -1, {}, lookup), "\"{(1,1),(0,0);NULL}\"");
  EXPECT_EQ(encode(90009, R"x([0:1]={"(\"x,y\",)",NULL})x", -1, {}, lookup),
            R"x("[0:1]={\"(\\\"x,y\\\",)\",NULL}")x");
  EXPECT_EQ(schema(1020, -1, {}, lookup), R"({"type":"string","optional":true,"field":"c"})");
  // The arrays Debezium drops: interval[], varbit[], xml[] and point[] go whole too.
  for (const std::uint32_t array_oid : {1187U, 1563U, 143U, 1017U}) {
    EXPECT_EQ(make_codec(array_oid, -1, {}, {}).kind, CodecKind::text_form) << array_oid;
  }
  EXPECT_EQ(encode(1187, R"({"1 year",NULL,"-00:00:01"})"), R"("{\"1 year\",NULL,\"-00:00:01\"}")");
}

// money[] and name[] are JSON arrays of their elements' encodings: money's text depends on
// lc_monetary, its Decimal does not.
TEST(ValueCodec, MoneyAndNameArraysAreJsonArraysOfTheirElements) {
  EXPECT_EQ(
      encode(791, R"({"$1,000.50",NULL,-$0.01})", -1, decimal_mode(DecimalHandlingMode::string)),
      R"(["1000.50",null,"-0.01"])");
  EXPECT_EQ(encode(1003, R"({abc,"a b",NULL})"), R"(["abc","a b",null])");
}

TEST(ValueCodec, TimetzAsTextKeepsItsOffset) {
  EncoderSettings text;
  text.timetz_handling_mode = TimetzHandlingMode::text;
  EXPECT_EQ(encode(oid::kTimetz, "12:00:00.5+05:30", -1, text), "\"12:00:00.5+05:30\"");
  EXPECT_EQ(schema(oid::kTimetz, -1, text), R"({"type":"string","optional":true,"field":"c"})");
  EXPECT_EQ(encode(1270, R"({12:00:00+05,NULL})", -1, text), R"("{12:00:00+05,NULL}")");
  // Debezium's ZonedTime stays available.
  EXPECT_EQ(encode(1270, R"({12:00:00+05,NULL})"), R"(["07:00:00Z",null])");
}

TEST(ValueCodec, OnlyPreciseNumericLosesNaNAndInfinity) {
  EXPECT_TRUE(loses_special_numbers(make_codec(oid::kNumeric, -1, {}, {})));
  EXPECT_TRUE(loses_special_numbers(make_codec(1231, -1, {}, {})));  // numeric[]
  EXPECT_FALSE(loses_special_numbers(
      make_codec(oid::kNumeric, -1, decimal_mode(DecimalHandlingMode::string), {})));
  EXPECT_FALSE(loses_special_numbers(make_codec(oid::kFloat8, -1, {}, {})));
  EXPECT_EQ(encode(oid::kNumeric, "NaN", -1, decimal_mode(DecimalHandlingMode::string)), "\"NaN\"");
  EXPECT_EQ(encode(oid::kNumeric, "-Infinity", -1, decimal_mode(DecimalHandlingMode::string)),
            "\"-Infinity\"");
}

TEST(ValueCodec, UnknownTypesAreUncarriedUnlessIncluded) {
  EXPECT_EQ(make_codec(99999, -1, {}, {}).kind, CodecKind::uncarried);
  EXPECT_EQ(encode(99999, "(1,x)", -1, include_unknown()), "\"KDEseCk=\"");
}

TEST(ValueCodec, ArraysParseQuotingBackslashesAndNulls) {
  EXPECT_EQ(encode(1007, "{1,NULL,3}"), "[1,null,3]");
  EXPECT_EQ(encode(1009, R"({"a b","c\"d","NULL",NULL,plain,"back\\slash"})"),
            R"(["a b","c\"d","NULL",null,"plain","back\\slash"])");
  EXPECT_EQ(encode(1009, "{}"), "[]");
  EXPECT_EQ(encode(1007, "[0:1]={5,6}"), "[5,6]");
  EXPECT_EQ(encode(1231, "{1.50,2.25}", numeric_typmod(5, 2)), R"(["AJY=","AOE="])");
  EXPECT_EQ(encode(1115, R"({"2018-06-20 15:13:16.945104"})"), "[1529507596945104]");
  EXPECT_EQ(encode(3807, R"({"{\"a\": 1}"})"), R"(["{\"a\": 1}"])");
  EXPECT_EQ(encode(1001, R"({"\\x0123"})"), R"(["ASM="])");
  EXPECT_EQ(
      schema(1007),
      R"({"type":"array","items":{"type":"int32","optional":true},"optional":true,"field":"c"})");
  EXPECT_THROW(encode(1007, "{1,2"), Error);
}

TEST(ValueCodec, MultiDimensionalArraysBecomeNestedArrays) {
  EXPECT_EQ(encode(1009, "{{a,b},{c,d}}"), R"([["a","b"],["c","d"]])");
}

TEST(ValueCodec, HstoreBecomesAJsonString) {
  TypeInfo hstore;
  hstore.oid = 90010;
  hstore.name = "hstore";
  hstore.kind = TypeInfo::Kind::base;
  const TypeLookup lookup = [&](std::uint32_t o) { return o == 90010 ? &hstore : nullptr; };
  EXPECT_EQ(encode(90010, R"("a"=>"1", "b"=>NULL)", -1, {}, lookup),
            R"("{\"a\":\"1\",\"b\":null}")");
}

TEST(ValueCodec, PlaceholderIsShapedToTheColumnType) {
  const Placeholder p = Placeholder::from_setting("__debezium_unavailable_value");
  auto placeholder = [&](std::uint32_t type_oid) {
    fmt::memory_buffer buf;
    JsonWriter w(buf);
    write_placeholder(w, make_codec(type_oid, -1, {}, {}), p);
    return fmt::to_string(buf);
  };
  EXPECT_EQ(placeholder(oid::kText), "\"__debezium_unavailable_value\"");
  EXPECT_EQ(placeholder(oid::kJsonb), "\"__debezium_unavailable_value\"");
  EXPECT_EQ(placeholder(oid::kBytea), "\"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==\"");
  EXPECT_EQ(placeholder(1009), "[\"__debezium_unavailable_value\"]");
  EXPECT_EQ(placeholder(1001), "[\"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==\"]");
  EXPECT_EQ(placeholder(1007).substr(0, 17), "[95,95,100,101,98");
  EXPECT_EQ(placeholder(2951), "[\"b68a35a7-17ad-35b3-af2a-ae46edb4545a\"]");
  EXPECT_EQ(Placeholder::from_setting("hex:5f5f").bytes, "__");
}

TEST(ValueCodec, FallbacksForNullInNotNullColumns) {
  auto fallback = [](std::uint32_t type_oid, std::int32_t typmod = -1) {
    fmt::memory_buffer buf;
    JsonWriter w(buf);
    write_fallback(w, make_codec(type_oid, typmod, {}, {}));
    return fmt::to_string(buf);
  };
  EXPECT_EQ(fallback(oid::kText), "\"\"");
  EXPECT_EQ(fallback(oid::kInt4), "0");
  EXPECT_EQ(fallback(oid::kBool), "false");
  EXPECT_EQ(fallback(oid::kNumeric, numeric_typmod(5, 2)), "\"AA==\"");
  EXPECT_EQ(fallback(oid::kTimestamptz), "\"1970-01-01T00:00:00Z\"");
}

TEST(ValueCodec, MalformedTextThrowsInvalidInputNamingTheType) {
  try {
    encode(oid::kDate, "20-06-2018");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.recovery(), Recovery::invalid);
    EXPECT_NE(std::string(e.what()).find("date value '20-06-2018'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(encode(oid::kTimestamptz, "2018-06-20 10:00:00"), Error);
  EXPECT_THROW(encode(oid::kInterval, "3 fortnights"), Error);
  EXPECT_THROW(encode(oid::kBytea, "\\x0g"), Error);
}

}  // namespace
}  // namespace tapedeck::capture
