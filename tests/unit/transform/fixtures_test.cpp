// Every Debezium example in tests/fixtures/debezium converts to the SQL written here by hand.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "fixture_support.hpp"
#include "transform/event_parser.hpp"
#include "transform/sql_renderer.hpp"

namespace tapedeck::transform {
namespace {

using testing::fixture;

std::string sql_of(const std::string& json, const TableInfo* table, DecodeOptions options = {}) {
  EventParser parser;
  const ChangeEvent event = parser.parse_change_event(json);
  const RenderedStatement statement = SqlRenderer(std::move(options)).render(event, table);
  EXPECT_FALSE(statement.skipped) << statement.skip_reason;
  return statement.sql;
}

// The reason an input is refused, or "" when it is not.
std::string refusal(const std::string& json, const TableInfo* table) {
  try {
    EventParser parser;
    const ChangeEvent event = parser.parse_change_event(json);
    SqlRenderer().render(event, table);
  } catch (const Error& error) {
    EXPECT_EQ(error.source(), ErrorSource::input);
    return error.message();
  }
  return "";
}

TEST(Fixtures, SnapshotReadBecomesAnInsertThatIgnoresConflicts) {
  const auto table = testing::products();
  const std::string expected =
      "INSERT INTO \"inventory\".\"products\" (\"id\", \"name\", \"description\", \"weight\") "
      "VALUES (101, 'scooter', 'Small 2-wheel scooter', '3.14'::double precision) "
      "ON CONFLICT DO NOTHING";
  EXPECT_EQ(sql_of(fixture("pg_v1.2_read_snapshot_schemaless.json"), &table), expected);
  EXPECT_EQ(sql_of(fixture("pg_v1.2_read_snapshot_schema_enabled.json"), &table), expected);
}

TEST(Fixtures, CreateBecomesAnInsert) {
  const auto table = testing::products();
  EXPECT_EQ(sql_of(fixture("pg_v1.2_insert_schemaless.json"), &table),
            "INSERT INTO \"inventory\".\"products\" (\"id\", \"name\", \"description\", "
            "\"weight\") VALUES (110, 'jacket', 'water resistent white wind breaker', "
            "'0.2'::double precision)");
}

TEST(Fixtures, UpdateOfAKeyedTableUsesOnlyTheKey) {
  const auto table = testing::products();
  const std::string expected =
      "UPDATE \"inventory\".\"products\" SET \"id\" = 106, \"name\" = 'hammer', "
      "\"description\" = '18oz carpenter hammer', \"weight\" = '1'::double precision "
      "WHERE \"id\" = 106";
  EXPECT_EQ(sql_of(fixture("pg_v1.2_update_replica_full_schemaless.json"), &table), expected);
  // Flink's edited variant has no before: the key comes from after.
  EXPECT_EQ(sql_of(fixture("pg_v1.2_update_before_null_flink_variant.json"), &table), expected);
}

TEST(Fixtures, UpdateOfAKeylessFullTableTouchesExactlyOneMatchingRow) {
  const auto table = testing::products(false);
  const std::string expected =
      "UPDATE \"inventory\".\"products\" SET \"id\" = 111, \"name\" = 'scooter', "
      "\"description\" = 'Big 2-wheel scooter ', \"weight\" = '5.17'::double precision "
      "WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM \"inventory\".\"products\" "
      "WHERE \"id\" = 111 AND \"name\" = 'scooter' AND \"description\" = 'Big 2-wheel scooter ' "
      "AND \"weight\" = '5.18'::double precision AND \"weight\"::text = ('5.18'::double "
      "precision)::text LIMIT 1)";
  EXPECT_EQ(sql_of(fixture("pg_v1.2_update_replica_full_schema_enabled.json"), &table), expected);
}

TEST(Fixtures, DeleteOfAKeylessFullTableDeletesOneOfIdenticalRows) {
  const auto table = testing::products(false);
  const std::string expected =
      "DELETE FROM \"inventory\".\"products\" WHERE (tableoid, ctid) = (SELECT tableoid, ctid "
      "FROM \"inventory\".\"products\" WHERE \"id\" = 111 AND \"name\" = 'scooter' AND "
      "\"description\" = 'Big 2-wheel scooter ' AND \"weight\" = '5.17'::double precision "
      "AND \"weight\"::text = ('5.17'::double precision)::text LIMIT 1)";
  EXPECT_EQ(sql_of(fixture("pg_v1.2_delete_replica_full_schemaless.json"), &table), expected);
  EXPECT_EQ(sql_of(fixture("pg_v1.2_delete_replica_full_schema_enabled.json"), &table), expected);
}

TEST(Fixtures, DeleteOfAKeyedTableUsesOnlyTheKey) {
  const auto table = testing::products();
  EXPECT_EQ(sql_of(fixture("pg_v1.2_delete_replica_full_schemaless.json"), &table),
            "DELETE FROM \"inventory\".\"products\" WHERE \"id\" = 111");
}

TEST(Fixtures, DeleteWithBeforeNullIsRefusedWithAReason) {
  const auto table = testing::products();
  const std::string reason =
      refusal(fixture("pg_v1.2_delete_before_null_flink_variant.json"), &table);
  EXPECT_NE(reason.find("before missing or null cannot be replayed"), std::string::npos) << reason;
}

TEST(Fixtures, PreciseDecimalsTakeTheScaleFromTheCatalog) {
  const auto table = testing::orderline();
  EXPECT_EQ(sql_of(fixture("pg_v1.4_insert_decimal_precise_base64_schemaless.json"), &table),
            "INSERT INTO \"inventory\".\"orderline\" (\"id\", \"item\", \"quantity\", "
            "\"status\", \"totalprice\", \"order_id\") VALUES (1, 'Debezium in Action', 2, "
            "'ENTERED', '39.98'::numeric(10,2), 1)");
  EXPECT_EQ(sql_of(fixture("pg_v1.4_insert_decimal_precise_base64_2_schemaless.json"), &table),
            "INSERT INTO \"inventory\".\"orderline\" (\"id\", \"item\", \"quantity\", "
            "\"status\", \"totalprice\", \"order_id\") VALUES (2, 'Debezium for Dummies', 1, "
            "'ENTERED', '29.99'::numeric(10,2), 1)");
}

TEST(Fixtures, PreciseDecimalWithoutAnyScaleIsRefusedNamingTheSetting) {
  const TableInfo table("inventory", "orderline",
                        {{"id", "integer"},
                         {"item", "text"},
                         {"quantity", "integer"},
                         {"status", "text"},
                         {"totalprice", "numeric"},
                         {"order_id", "integer"}},
                        {"id"}, false);
  const std::string reason =
      refusal(fixture("pg_v1.4_insert_decimal_precise_base64_schemaless.json"), &table);
  EXPECT_NE(reason.find("decimal.handling.mode"), std::string::npos) << reason;
  EXPECT_NE(reason.find("totalprice"), std::string::npos) << reason;
}

TEST(Fixtures, PreciseDecimalOfADomainTakesTheScaleFromItsBaseType) {
  const TableInfo table("inventory", "orderline",
                        {{"id", "integer"},
                         {"item", "text"},
                         {"quantity", "integer"},
                         {"status", "text"},
                         {"totalprice", "public.price", "numeric(10,2)"},
                         {"order_id", "integer"}},
                        {"id"}, false);
  EXPECT_EQ(sql_of(fixture("pg_v1.4_insert_decimal_precise_base64_schemaless.json"), &table),
            "INSERT INTO \"inventory\".\"orderline\" (\"id\", \"item\", \"quantity\", "
            "\"status\", \"totalprice\", \"order_id\") VALUES (1, 'Debezium in Action', 2, "
            "'ENTERED', '39.98'::public.price, 1)");
}

TEST(Fixtures, UpdateWithBeforeNullTakesTheKeyFromAfter) {
  const auto table = testing::orderline();
  EXPECT_EQ(sql_of(fixture("pg_v1.4_update_replica_default_before_null_schemaless.json"), &table),
            "UPDATE \"inventory\".\"orderline\" SET \"id\" = 2, \"item\" = 'Debezium for "
            "Dummies', \"quantity\" = 1, \"status\" = 'CANCELLED', \"totalprice\" = "
            "'29.99'::numeric(10,2), \"order_id\" = 1 WHERE \"id\" = 2");
}

TEST(Fixtures, MicroTimestampBecomesATimestampLiteral) {
  const auto table = testing::purchaseorder();
  EXPECT_EQ(sql_of(fixture("pg_v1.4_insert_microtimestamp_schemaless.json"), &table),
            "INSERT INTO \"inventory\".\"purchaseorder\" (\"id\", \"customerid\", \"orderdate\") "
            "VALUES (1, 123, '2019-01-31 12:13:01'::timestamp without time zone)");
}

TEST(Fixtures, OrdersSequenceConvertsEveryLine) {
  EventParser parser;
  SqlRenderer renderer;
  const auto orderline = testing::orderline();
  const auto purchaseorder = testing::purchaseorder();
  std::vector<std::string> statements;
  for (const auto& line : testing::fixture_lines("pg_v1.4_orders_sequence_schemaless.jsonl")) {
    const ChangeEvent event = parser.parse_change_event(line);
    const TableInfo* table = event.source.table == "orderline" ? &orderline : &purchaseorder;
    statements.push_back(renderer.render(event, table).sql);
  }
  ASSERT_EQ(statements.size(), 4u);
  EXPECT_EQ(statements[3],
            "UPDATE \"inventory\".\"orderline\" SET \"id\" = 2, \"item\" = 'Debezium for "
            "Dummies', \"quantity\" = 1, \"status\" = 'CANCELLED', \"totalprice\" = "
            "'29.99'::numeric(10,2), \"order_id\" = 1 WHERE \"id\" = 2");
}

TEST(Fixtures, ProductsSequenceConvertsEveryLineInOrder) {
  EventParser parser;
  SqlRenderer renderer;
  const auto table = testing::products();
  std::vector<std::string> statements;
  for (const auto& line : testing::fixture_lines("pg_v1.2_products_sequence_schemaless.jsonl")) {
    statements.push_back(renderer.render(parser.parse_change_event(line), &table).sql);
  }
  ASSERT_EQ(statements.size(), 16u);
  EXPECT_EQ(statements[8],
            "INSERT INTO \"inventory\".\"products\" (\"id\", \"name\", \"description\", "
            "\"weight\") VALUES (109, 'spare tire', '24 inch spare tire', '22.2'::double "
            "precision) ON CONFLICT DO NOTHING");
  EXPECT_EQ(statements[13],
            "UPDATE \"inventory\".\"products\" SET \"id\" = 110, \"name\" = 'jacket', "
            "\"description\" = 'new water resistent white wind breaker', \"weight\" = "
            "'0.5'::double precision WHERE \"id\" = 110");
  EXPECT_EQ(statements[15], "DELETE FROM \"inventory\".\"products\" WHERE \"id\" = 111");
}

TEST(Fixtures, UnavailableToastColumnIsLeftOutOfTheUpdate) {
  const auto table = testing::customers("inventory");
  EXPECT_EQ(sql_of(fixture("pg_v0.10_update_toast_unavailable_schemaless.json"), &table),
            "UPDATE \"inventory\".\"customers\" SET \"id\" = 1004, \"first_name\" = 'Dana', "
            "\"last_name\" = 'Kretchmar', \"email\" = 'annek@noanswer.org' WHERE \"id\" = 1004");
}

TEST(Fixtures, DocumentationCreateWithSchemaNeedsNoCatalogForAnInsert) {
  const auto table = testing::customers("public");
  const std::string expected =
      "INSERT INTO \"public\".\"customers\" (\"id\", \"first_name\", \"last_name\", \"email\") "
      "VALUES (1, 'Anne', 'Kretchmar', 'annek@noanswer.org')";
  EXPECT_EQ(sql_of(fixture("pg_doc_create_schema_enabled.json"), &table), expected);
  EXPECT_EQ(sql_of(fixture("pg_doc_create_schema_enabled.json"), nullptr), expected);
}

TEST(Fixtures, DocumentationUpdateAndDeleteUseTheKey) {
  const auto table = testing::customers("public");
  EXPECT_EQ(sql_of(fixture("pg_doc_update_replica_default_payload.json"), &table),
            "UPDATE \"public\".\"customers\" SET \"id\" = 1, \"first_name\" = 'Anne Marie', "
            "\"last_name\" = 'Kretchmar', \"email\" = 'annek@noanswer.org' WHERE \"id\" = 1");
  EXPECT_EQ(sql_of(fixture("pg_doc_delete_replica_default_payload.json"), &table),
            "DELETE FROM \"public\".\"customers\" WHERE \"id\" = 1");
}

TEST(Fixtures, TruncateBecomesTruncateOnly) {
  const auto table = testing::customers("public");
  EXPECT_EQ(sql_of(fixture("pg_doc_truncate_payload.json"), &table),
            "TRUNCATE ONLY \"public\".\"customers\"");
}

TEST(Fixtures, LogicalMessagesAreSkippedNotRefused) {
  EventParser parser;
  for (const char* name :
       {"pg_v3.0_message_m_schemaless.json", "pg_doc_message_transactional_payload.json",
        "pg_doc_message_nontransactional_payload.json"}) {
    const ChangeEvent event = parser.parse_change_event(fixture(name));
    const RenderedStatement statement = SqlRenderer().render(event, nullptr);
    EXPECT_TRUE(statement.skipped) << name;
    EXPECT_TRUE(statement.sql.empty()) << name;
    EXPECT_NE(statement.skip_reason.find("logical decoding message"), std::string::npos);
  }
}

TEST(Fixtures, PayloadOnlyEventsConvert) {
  const auto table = testing::customers("inventory");
  EXPECT_EQ(sql_of(fixture("pg_v2.1_insert_payload_only.json"), &table),
            "INSERT INTO \"inventory\".\"customers\" (\"id\", \"first_name\", \"last_name\", "
            "\"email\") VALUES (1005, 'Bob', 'Marley', 'bob@marley.com')");
  EXPECT_EQ(sql_of(fixture("pg_v2.1_read_snapshot_payload_only.json"), &table),
            "INSERT INTO \"inventory\".\"customers\" (\"id\", \"first_name\", \"last_name\", "
            "\"email\") VALUES (1001, 'Sally', 'Thomas', 'sally.thomas@acme.com') "
            "ON CONFLICT DO NOTHING");
}

TEST(Fixtures, TemporalTypesOfTheRisingWaveConfigConvert) {
  const TableInfo table("public", "orders",
                        {{"o_key", "bigint"},
                         {"o_time_0", "time(0) without time zone"},
                         {"o_time_6", "time(6) without time zone"},
                         {"o_timez_0", "time(0) with time zone"},
                         {"o_timez_6", "time(6) with time zone"},
                         {"o_timestamp_0", "timestamp(0) without time zone"},
                         {"o_timestamp_6", "timestamp(6) without time zone"},
                         {"o_timestampz_0", "timestamp(0) with time zone"},
                         {"o_timestampz_6", "timestamp(6) with time zone"},
                         {"o_interval", "interval"},
                         {"o_date", "date"}},
                        {"o_key"}, false);
  DecodeOptions options;
  options.time_precision = TimePrecision::adaptive_time_microseconds;
  EXPECT_EQ(
      sql_of(fixture("pg_v1.9_read_temporal_types_rwconfig.json"), &table, options),
      "INSERT INTO \"public\".\"orders\" (\"o_key\", \"o_time_0\", \"o_time_6\", \"o_timez_0\", "
      "\"o_timez_6\", \"o_timestamp_0\", \"o_timestamp_6\", \"o_timestampz_0\", "
      "\"o_timestampz_6\", \"o_interval\", \"o_date\") VALUES (0, "
      "'11:11:11'::time(0) without time zone, '11:11:11.00001'::time(6) without time zone, "
      "'11:11:11+00'::time(0) with time zone, '11:11:11.00001+00'::time(6) with time zone, "
      "'2011-11-11 11:11:11'::timestamp(0) without time zone, "
      "'2011-11-11 11:11:11.123456'::timestamp(6) without time zone, "
      "'2011-11-11 03:11:11+00'::timestamp(0) with time zone, "
      "'2011-11-11 03:11:11.123456+00'::timestamp(6) with time zone, "
      "'P1Y2M3DT4H5M6.78S'::interval, '1999-09-09'::date) ON CONFLICT DO NOTHING");
}

TEST(Fixtures, NumericTypesOfTheRisingWaveConfigConvert) {
  const TableInfo table("public", "orders",
                        {{"o_key", "bigint"},
                         {"o_smallint", "smallint"},
                         {"o_integer", "integer"},
                         {"o_bigint", "bigint"},
                         {"o_real", "real"},
                         {"o_double", "double precision"},
                         {"o_numeric", "numeric"},
                         {"o_numeric_6_3", "numeric(6,3)"},
                         {"o_money", "money"}},
                        {"o_key"}, false);
  EXPECT_EQ(sql_of(fixture("pg_v1.9_read_numeric_types_rwconfig.json"), &table),
            "INSERT INTO \"public\".\"orders\" (\"o_key\", \"o_smallint\", \"o_integer\", "
            "\"o_bigint\", \"o_real\", \"o_double\", \"o_numeric\", \"o_numeric_6_3\", "
            "\"o_money\") VALUES (0, 32767, 2147483647, 9223372036854775807, '9.999'::real, "
            "'9.999999'::double precision, '123456.789'::numeric, '123.456'::numeric(6,3), "
            "'123.12'::money) ON CONFLICT DO NOTHING");
}

TEST(Fixtures, OtherTypesOfTheRisingWaveConfigConvert) {
  const TableInfo table("public", "orders",
                        {{"o_key", "bigint"},
                         {"o_boolean", "boolean"},
                         {"o_bit", "bit(1)"},
                         {"o_bytea", "bytea"},
                         {"o_json", "jsonb"},
                         {"o_xml", "xml"},
                         {"o_uuid", "uuid"},
                         {"o_point", "point"},
                         {"o_enum", "public.bear"},
                         {"o_char", "character(1)"},
                         {"o_varchar", "character varying"},
                         {"o_character", "character(1)"},
                         {"o_character_varying", "character varying(10)"}},
                        {"o_key"}, false);
  EXPECT_EQ(sql_of(fixture("pg_v1.9_read_bytea_json_xml_uuid_point_enum.json"), &table),
            "INSERT INTO \"public\".\"orders\" (\"o_key\", \"o_boolean\", \"o_bit\", "
            "\"o_bytea\", \"o_json\", \"o_xml\", \"o_uuid\", \"o_point\", \"o_enum\", "
            "\"o_char\", \"o_varchar\", \"o_character\", \"o_character_varying\") VALUES (1, "
            "false, '1'::bit(1), '\\x0123456789abcdef'::bytea, "
            "'{\"k1\": \"v1\", \"k2\": 11}'::jsonb, '<!--hahaha-->'::xml, "
            "'60f14fe2-f857-404a-b586-3b5375b3259f'::uuid, '(1,2)'::point, 'polar'::public.bear, "
            "'h', 'ha', 'h', 'hahaha') ON CONFLICT DO NOTHING");
}

TEST(Fixtures, TransactionBeginAndEndParse) {
  EventParser parser;
  const auto begin = parser.parse_transaction_metadata(fixture("pg_doc_tx_begin.json"));
  EXPECT_EQ(begin.status, TransactionMetadata::Status::begin);
  EXPECT_EQ(begin.id, "571:53195829");
  EXPECT_EQ(begin.tx_id(), 571);
  EXPECT_FALSE(begin.event_count);
  const auto end = parser.parse_transaction_metadata(fixture("pg_doc_tx_end.json"));
  EXPECT_EQ(end.status, TransactionMetadata::Status::end);
  EXPECT_EQ(end.tx_id(), 571);
  EXPECT_EQ(end.event_count, 2);
  ASSERT_EQ(end.data_collections.size(), 2u);
  EXPECT_EQ(end.data_collections[1].data_collection, "s2.a");
  EXPECT_EQ(end.data_collections[1].event_count, 1);
  EXPECT_EQ(end.ts_ms, 1486500577691);
}

TEST(Fixtures, ThingsThatAreNotChangeEventsAreRefused) {
  for (const char* name : {"pg_v1.4_key_schemaless.json", "pg_v3.0_message_key_schemaless.json",
                           "pg_unwrapped_int_array_and_2d_text_array_bug_schema_enabled.json"}) {
    const std::string reason = refusal(fixture(name), nullptr);
    EXPECT_NE(reason.find("not a Debezium change event"), std::string::npos) << name << reason;
  }
}

}  // namespace
}  // namespace tapedeck::transform
