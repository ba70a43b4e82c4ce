// Encoded events have the structure of real Debezium output (fixtures) and Debezium's semantics.
#include "capture/debezium_encoder.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "core/error.hpp"
#include "pgoutput_builder.hpp"

namespace tapedeck::capture {
namespace {

using json = nlohmann::ordered_json;
using testing::Bytes;

json fixture(const std::string& name) {
  std::ifstream in(std::string(TAPEDECK_FIXTURE_DIR) + "/debezium/" + name);
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

std::vector<std::string> keys(const json& object) {
  std::vector<std::string> out;
  for (const auto& item : object.items()) out.push_back(item.key());
  return out;
}

// Every key of `real` is in `ours` with a value of the same JSON type (null matches anything
// optional); nested objects are compared the same way, except row images, whose columns belong
// to the fixture's own table.
void expect_same_structure(const json& real, const json& ours, const std::string& path) {
  ASSERT_TRUE(ours.is_object()) << path;
  for (const auto& [key, value] : real.items()) {
    ASSERT_TRUE(ours.contains(key)) << path << "." << key << " missing";
    const json& mine = ours.at(key);
    if (value.is_null() || mine.is_null()) continue;
    if (value.is_number()) {
      EXPECT_TRUE(mine.is_number()) << path << "." << key;
      if (value.is_number_integer()) {
        EXPECT_TRUE(mine.is_number_integer()) << path << "." << key;
      }
    } else {
      EXPECT_EQ(value.type(), mine.type()) << path << "." << key;
    }
    const bool row_image = key == "before" || key == "after";
    if (value.is_object() && mine.is_object() && !row_image) {
      expect_same_structure(value, mine, std::string(path).append(".").append(key));
    }
  }
}

constexpr std::int64_t kCommitMicros2000 = 582'500'000'000'000;  // 2018-06-15T21:33:20Z
constexpr std::int64_t kCommitUnixMicros = kCommitMicros2000 + pgoutput::kPostgresEpochOffsetMicros;
constexpr std::int64_t kNow = 1'700'000'000'123'456;

EncoderSettings base_settings(bool schemas = false) {
  EncoderSettings s;
  s.topic_prefix = "dbserver1";
  s.database_name = "postgres";
  s.schemas_enable = schemas;
  return s;
}

class Stream {
 public:
  explicit Stream(EncoderSettings settings = base_settings())
      : encoder(std::move(settings), relations) {}

  std::vector<EncodedEvent> feed(std::string_view bytes, std::uint64_t wal_start = 0) {
    std::vector<EncodedEvent> out;
    encoder.on_message(pgoutput::decode(bytes), Lsn{wal_start}, kNow, out);
    return out;
  }

  RelationCache relations;
  DebeziumEncoder encoder;
};

// A customers table as in the Debezium tutorial: id int PK, first_name text NOT NULL, email text.
class NotNullResolver : public TypeResolver {
 public:
  std::optional<TypeInfo> resolve_type(std::uint32_t) override { return std::nullopt; }
  RelationDetails relation_details(std::uint32_t) override {
    RelationDetails d;
    d.not_null = {"id", "first_name"};
    d.primary_key = std::vector<std::string>{"id"};
    return d;
  }
};

Bytes customers(char identity = 'd') {
  return testing::relation_message(
      16400, "inventory", "customers", identity,
      {{"id", 23, -1, true}, {"first_name", 25}, {"email", 1043, 259}, {"bio", 25}});
}

Bytes insert_customer(const std::string& id, const std::string& name) {
  Bytes b('I');
  b.u32(16400).u8('N').tuple({{'t', id}, {'t', name}, {'t', "bob@marley.com"}, {'t', "x"}});
  return b;
}

TEST(DebeziumEncoder, InsertHasTheEnvelopeAndSourceOfRealOutputInDebeziumsFieldOrder) {
  Stream s;
  s.feed(customers());
  s.feed(testing::begin_message(0x20D4A00, kCommitMicros2000, 767), 0x20D0000);
  const auto events = s.feed(insert_customer("1005", "Bob"), 0x20D49B0);
  ASSERT_EQ(events.size(), 2u);  // BEGIN, then the change
  const json event = json::parse(events[1].value);

  EXPECT_EQ(keys(event), (std::vector<std::string>{"before", "after", "source", "transaction", "op",
                                                   "ts_ms", "ts_us", "ts_ns"}));
  EXPECT_EQ(keys(event["source"]),
            (std::vector<std::string>{"version", "connector", "name", "ts_ms", "snapshot", "db",
                                      "sequence", "ts_us", "ts_ns", "schema", "table", "txId",
                                      "lsn", "xmin"}));
  expect_same_structure(fixture("pg_v2.1_insert_payload_only.json"), event, "payload");
  expect_same_structure(fixture("pg_v3.0_message_m_schemaless.json")["source"], event["source"],
                        "source");

  EXPECT_TRUE(event["before"].is_null());
  EXPECT_EQ(event["after"], json::parse(R"({"id":1005,"first_name":"Bob",)"
                                        R"("email":"bob@marley.com","bio":"x"})"));
  EXPECT_EQ(event["op"], "c");
  EXPECT_EQ(event["ts_ms"], kNow / 1000);
  EXPECT_EQ(event["ts_us"], kNow);
  EXPECT_EQ(event["ts_ns"], kNow * 1000);
  const json& source = event["source"];
  EXPECT_EQ(source["version"], "2.7.3.Final");
  EXPECT_EQ(source["connector"], "postgresql");
  EXPECT_EQ(source["name"], "dbserver1");
  EXPECT_EQ(source["ts_ms"], kCommitUnixMicros / 1000);
  EXPECT_EQ(source["ts_us"], kCommitUnixMicros);
  EXPECT_EQ(source["ts_ns"], kCommitUnixMicros * 1000);
  EXPECT_EQ(source["snapshot"], "false");
  EXPECT_EQ(source["db"], "postgres");
  EXPECT_EQ(source["sequence"], "[null,\"34425264\"]");
  EXPECT_EQ(source["schema"], "inventory");
  EXPECT_EQ(source["table"], "customers");
  EXPECT_EQ(source["txId"], 767);
  EXPECT_EQ(source["lsn"], 0x20D49B0);
  EXPECT_TRUE(source["xmin"].is_null());
  EXPECT_EQ(event["transaction"],
            json::parse(R"({"id":"767:34425264","total_order":1,"data_collection_order":1})"));

  EXPECT_EQ(events[1].subject, "dbserver1.inventory.customers");
  EXPECT_EQ(events[1].message_id, "0/20D4A00:1");
  EXPECT_EQ(events[1].commit_lsn.value, 0x20D4A00u);
  EXPECT_EQ(*events[1].key_columns, std::vector<std::string>{"id"});
}

TEST(DebeziumEncoder, SchemasEnabledWrapsTheEnvelopeWithItsConnectSchema) {
  Stream s(base_settings(true));
  s.feed(customers());
  s.feed(testing::begin_message(500, kCommitMicros2000, 7));
  const auto events = s.feed(insert_customer("1", "Ann"), 400);
  const json event = json::parse(events.at(1).value);
  EXPECT_EQ(keys(event), (std::vector<std::string>{"schema", "payload"}));
  const json real = fixture("pg_v1.2_update_replica_full_schema_enabled.json");
  expect_same_structure(real, event, "");

  const json& schema = event["schema"];
  EXPECT_EQ(schema["name"], "dbserver1.inventory.customers.Envelope");
  EXPECT_EQ(schema["version"], 2);
  std::vector<std::string> fields;
  for (const auto& f : schema["fields"]) fields.push_back(f["field"]);
  EXPECT_EQ(fields, (std::vector<std::string>{"before", "after", "source", "transaction", "op",
                                              "ts_ms", "ts_us", "ts_ns"}));
  // Every field of the real schema exists in ours with the same type, source included.
  for (const auto& real_field : real["schema"]["fields"]) {
    const auto it = std::find_if(schema["fields"].begin(), schema["fields"].end(),
                                 [&](const json& f) { return f["field"] == real_field["field"]; });
    ASSERT_NE(it, schema["fields"].end()) << real_field["field"];
    EXPECT_EQ((*it)["type"], real_field["type"]) << real_field["field"];
    if (real_field["field"] == "source") {
      for (const auto& real_source_field : real_field["fields"]) {
        const auto sit =
            std::find_if((*it)["fields"].begin(), (*it)["fields"].end(),
                         [&](const json& f) { return f["field"] == real_source_field["field"]; });
        ASSERT_NE(sit, (*it)["fields"].end()) << real_source_field["field"];
        EXPECT_EQ((*sit)["type"], real_source_field["type"]);
        EXPECT_EQ((*sit)["optional"], real_source_field["optional"]);
      }
    }
  }
  const json& after = schema["fields"][1];
  EXPECT_EQ(after["name"], "dbserver1.inventory.customers.Value");
  EXPECT_EQ(after["optional"], true);
  EXPECT_EQ(after["fields"][0], json::parse(R"({"type":"int32","optional":true,"field":"id"})"));
  EXPECT_EQ(after["fields"][2],
            json::parse(R"({"type":"string","optional":true,"field":"email"})"));
  EXPECT_EQ(event["payload"]["after"]["first_name"], "Ann");
}

TEST(DebeziumEncoder, SchemaMarksNotNullColumnsAsRequired) {
  NotNullResolver resolver;
  RelationCache relations(&resolver);
  DebeziumEncoder encoder(base_settings(true), relations);
  std::vector<EncodedEvent> out;
  encoder.on_message(pgoutput::decode(customers()), Lsn{}, kNow, out);
  encoder.on_message(pgoutput::decode(testing::begin_message(500, 0, 7)), Lsn{}, kNow, out);
  encoder.on_message(pgoutput::decode(insert_customer("1", "Ann")), Lsn{400}, kNow, out);
  const json fields = json::parse(out.back().value)["schema"]["fields"][1]["fields"];
  EXPECT_EQ(fields[0]["optional"], false);
  EXPECT_EQ(fields[1]["optional"], false);
  EXPECT_EQ(fields[2]["optional"], true);
}

TEST(DebeziumEncoder, TransactionMetadataBeginAndEndMatchTheDocumentedShape) {
  Stream s;
  s.feed(customers());
  s.feed(testing::relation_message(16500, "s2", "a", 'd', {{"k", 20, -1, true}}));
  std::vector<EncodedEvent> all;
  for (auto& e : s.feed(testing::begin_message(900, kCommitMicros2000, 571))) all.push_back(e);
  for (auto& e : s.feed(insert_customer("1", "A"), 800)) all.push_back(e);
  for (auto& e : s.feed(insert_customer("2", "B"), 810)) all.push_back(e);
  Bytes other('I');
  other.u32(16500).u8('N').tuple({{'t', "9"}});
  for (auto& e : s.feed(other, 820)) all.push_back(e);
  for (auto& e : s.feed(testing::commit_message(900, 950, kCommitMicros2000), 950)) {
    all.push_back(e);
  }
  ASSERT_EQ(all.size(), 5u);
  const json begin = json::parse(all[0].value);
  const json end = json::parse(all[4].value);
  expect_same_structure(fixture("pg_doc_tx_begin.json"), begin, "begin");
  expect_same_structure(fixture("pg_doc_tx_end.json"), end, "end");
  EXPECT_EQ(begin["status"], "BEGIN");
  EXPECT_EQ(begin["id"], "571:800");
  EXPECT_TRUE(begin["event_count"].is_null());
  EXPECT_EQ(begin["ts_ms"], kCommitUnixMicros / 1000);
  EXPECT_EQ(end["status"], "END");
  EXPECT_EQ(end["id"], "571:950");
  EXPECT_EQ(end["event_count"], 3);
  EXPECT_EQ(end["data_collections"],
            json::parse(R"([{"data_collection":"inventory.customers","event_count":2},)"
                        R"({"data_collection":"s2.a","event_count":1}])"));
  EXPECT_EQ(all[0].subject, "dbserver1.transaction");
  EXPECT_EQ(all[4].subject, "dbserver1.transaction");

  std::vector<std::string> ids;
  ids.reserve(all.size());
  for (const auto& e : all) ids.push_back(e.message_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"0/384:0", "0/384:1", "0/384:2", "0/384:3", "0/384:4"}));
  const json third = json::parse(all[3].value);
  EXPECT_EQ(third["transaction"]["total_order"], 3);
  EXPECT_EQ(third["transaction"]["data_collection_order"], 1);
  EXPECT_EQ(json::parse(all[2].value)["transaction"]["data_collection_order"], 2);
}

TEST(DebeziumEncoder, SequenceCarriesThePreviousCommitLsn) {
  Stream s;
  s.feed(customers());
  s.feed(testing::begin_message(900, 0, 1));
  s.feed(insert_customer("1", "A"), 800);
  s.feed(testing::commit_message(900, 950, 0));
  EXPECT_EQ(s.encoder.last_commit_lsn()->value, 950u);
  s.feed(testing::begin_message(1900, 0, 2));
  const auto events = s.feed(insert_customer("2", "B"), 1800);
  EXPECT_EQ(json::parse(events.at(1).value)["source"]["sequence"], "[\"950\",\"1800\"]");
}

TEST(DebeziumEncoder, DeleteWithDefaultIdentityHasRealValuesOnlyForTheKey) {
  NotNullResolver resolver;
  RelationCache relations(&resolver);
  DebeziumEncoder encoder(base_settings(), relations);
  std::vector<EncodedEvent> out;
  encoder.on_message(pgoutput::decode(customers()), Lsn{}, kNow, out);
  encoder.on_message(pgoutput::decode(testing::begin_message(500, 0, 7)), Lsn{}, kNow, out);
  Bytes del('D');
  del.u32(16400).u8('K').tuple({{'t', "1"}, {'n', ""}, {'n', ""}, {'n', ""}});
  encoder.on_message(pgoutput::decode(del), Lsn{400}, kNow, out);
  const json event = json::parse(out.back().value);
  EXPECT_EQ(event["op"], "d");
  EXPECT_TRUE(event["after"].is_null());
  // first_name is NOT NULL: the JSON converter shows the fallback "", the others are null.
  EXPECT_EQ(event["before"], json::parse(R"({"id":1,"first_name":"","email":null,"bio":null})"));
  json real = fixture("pg_doc_delete_replica_default_payload.json");
  real["source"]["snapshot"] = "false";  // the documentation example shows a boolean by mistake
  expect_same_structure(real, event, "payload");
}

TEST(DebeziumEncoder, UpdateWithDefaultIdentityHasNullBeforeAndPlaceholderForToast) {
  Stream s;
  s.feed(customers());
  s.feed(testing::begin_message(500, 0, 7));
  Bytes update('U');
  update.u32(16400).u8('N').tuple(
      {{'t', "1004"}, {'t', "Dana"}, {'t', "annek@noanswer.org"}, {'u', ""}});
  const auto events = s.feed(update, 400);
  const json event = json::parse(events.at(1).value);
  EXPECT_EQ(event["op"], "u");
  EXPECT_TRUE(event["before"].is_null());
  EXPECT_EQ(event["after"]["bio"], "__debezium_unavailable_value");
  expect_same_structure(fixture("pg_v0.10_update_toast_unavailable_schemaless.json"), event,
                        "payload");
  expect_same_structure(fixture("pg_v1.4_update_replica_default_before_null_schemaless.json"),
                        event, "payload");
}

TEST(DebeziumEncoder, UpdateWithFullIdentityHasTheWholeOldRowAndResolvesToastFromIt) {
  Stream s;
  s.feed(customers('f'));
  s.feed(testing::begin_message(500, 0, 7));
  Bytes update('U');
  update.u32(16400)
      .u8('O')
      .tuple({{'t', "111"}, {'t', "scooter"}, {'n', ""}, {'t', "long bio"}})
      .u8('N')
      .tuple({{'t', "111"}, {'t', "scooter 2"}, {'n', ""}, {'u', ""}});
  const auto events = s.feed(update, 400);
  const json event = json::parse(events.at(1).value);
  EXPECT_EQ(event["before"],
            json::parse(R"({"id":111,"first_name":"scooter","email":null,"bio":"long bio"})"));
  EXPECT_EQ(event["after"]["first_name"], "scooter 2");
  EXPECT_EQ(event["after"]["bio"], "long bio");
  expect_same_structure(fixture("pg_v1.2_update_replica_full_schemaless.json"), event, "payload");
}

TEST(DebeziumEncoder, PrimaryKeyChangeBecomesDeleteThenCreate) {
  Stream s;
  s.feed(customers());
  s.feed(testing::begin_message(500, 0, 7));
  Bytes update('U');
  update.u32(16400)
      .u8('K')
      .tuple({{'t', "1"}, {'n', ""}, {'n', ""}, {'n', ""}})
      .u8('N')
      .tuple({{'t', "2"}, {'t', "A"}, {'t', "a@b"}, {'t', "x"}});
  const auto events = s.feed(update, 400);
  ASSERT_EQ(events.size(), 3u);
  const json del = json::parse(events[1].value);
  const json create = json::parse(events[2].value);
  EXPECT_EQ(del["op"], "d");
  EXPECT_EQ(del["before"]["id"], 1);
  EXPECT_TRUE(del["after"].is_null());
  EXPECT_EQ(create["op"], "c");
  EXPECT_TRUE(create["before"].is_null());
  EXPECT_EQ(create["after"]["id"], 2);
  EXPECT_EQ(events[1].message_id, "0/1F4:1");
  EXPECT_EQ(events[2].message_id, "0/1F4:2");
  // Each half names the other key, as Debezium's __debezium.newkey/oldkey headers do.
  EXPECT_EQ(events[1].key_change_header, "__debezium.newkey");
  EXPECT_EQ(json::parse(events[1].key_change), json::parse(R"({"id":2})"));
  EXPECT_EQ(events[2].key_change_header, "__debezium.oldkey");
  EXPECT_EQ(json::parse(events[2].key_change), json::parse(R"({"id":1})"));
  EXPECT_TRUE(events[0].key_change_header.empty());
}

TEST(DebeziumEncoder, KeyChangeHeadersCarryTheKeySchemaWhenSchemasAreEnabled) {
  Stream s(base_settings(true));
  s.feed(customers());
  s.feed(testing::begin_message(500, 0, 7));
  Bytes update('U');
  update.u32(16400)
      .u8('K')
      .tuple({{'t', "1"}, {'n', ""}, {'n', ""}, {'n', ""}})
      .u8('N')
      .tuple({{'t', "2"}, {'t', "A"}, {'t', "a@b"}, {'t', "x"}});
  const auto events = s.feed(update, 400);
  ASSERT_EQ(events.size(), 3u);
  const json new_key = json::parse(events[1].key_change);
  EXPECT_EQ(new_key["payload"], json::parse(R"({"id":2})"));
  EXPECT_EQ(new_key["schema"]["type"], "struct");
  EXPECT_EQ(new_key["schema"]["fields"].size(), 1u);
  EXPECT_EQ(new_key["schema"]["fields"][0]["field"], "id");
  EXPECT_EQ(new_key["schema"]["fields"][0]["optional"], false);
  EXPECT_EQ(json::parse(events[2].key_change)["payload"], json::parse(R"({"id":1})"));
}

TEST(DebeziumEncoder, TruncateHasSourceAndOpButNoRowImages) {
  Stream s;
  s.feed(customers());
  s.feed(testing::begin_message(500, 0, 556));
  Bytes truncate('T');
  truncate.u32(1).u8(0).u32(16400);
  const auto events = s.feed(truncate, 450);
  ASSERT_EQ(events.size(), 2u);
  const json event = json::parse(events[1].value);
  EXPECT_EQ(event["op"], "t");
  EXPECT_FALSE(event.contains("before"));
  EXPECT_FALSE(event.contains("after"));
  EXPECT_EQ(event["source"]["table"], "customers");
  EXPECT_EQ(events[1].subject, "dbserver1.inventory.customers");
  json real = fixture("pg_doc_truncate_payload.json");
  real["source"]["snapshot"] = "false";  // the documentation example shows a boolean by mistake
  expect_same_structure(real, event, "payload");
}

TEST(DebeziumEncoder, LogicalMessageMatchesTheRealMessageEvent) {
  Stream s;
  Bytes message('M');
  message.u8(0).u64(26997904).str("test-prefix").u32(5).raw("hello");
  const auto events = s.feed(message, 26997904);
  ASSERT_EQ(events.size(), 1u);
  const json event = json::parse(events[0].value);
  expect_same_structure(fixture("pg_v3.0_message_m_schemaless.json"), event, "payload");
  EXPECT_EQ(event["message"]["content"], "aGVsbG8=");
  EXPECT_EQ(events[0].subject, "dbserver1.message");
}

TEST(DebeziumEncoder, AlterTableMidStreamRebuildsTheRelation) {
  Stream s(base_settings(true));
  s.feed(testing::relation_message(16600, "public", "t", 'd', {{"id", 23, -1, true}}));
  s.feed(testing::begin_message(500, 0, 7));
  Bytes first('I');
  first.u32(16600).u8('N').tuple({{'t', "1"}});
  const json before_alter = json::parse(s.feed(first, 100).at(1).value);
  EXPECT_EQ(before_alter["schema"]["fields"][1]["fields"].size(), 1u);
  s.feed(
      testing::relation_message(16600, "public", "t", 'd', {{"id", 23, -1, true}, {"note", 25}}));
  Bytes second('I');
  second.u32(16600).u8('N').tuple({{'t', "2"}, {'t', "added"}});
  const json after_alter = json::parse(s.feed(second, 200).at(0).value);
  EXPECT_EQ(after_alter["schema"]["fields"][1]["fields"].size(), 2u);
  EXPECT_EQ(after_alter["payload"]["after"]["note"], "added");
}

TEST(DebeziumEncoder, TableWithoutKeyHasNoKeyColumns) {
  Stream s;
  s.feed(testing::relation_message(16700, "public", "log", 'd', {{"line", 25}}));
  s.feed(testing::begin_message(500, 0, 7));
  Bytes insert('I');
  insert.u32(16700).u8('N').tuple({{'t', "x"}});
  const auto events = s.feed(insert, 100);
  EXPECT_TRUE(events.at(1).key_columns->empty());
  EXPECT_EQ(key_columns_header(*events.at(1).key_columns), "[]");
}

TEST(DebeziumEncoder, TransactionMetadataCanBeTurnedOff) {
  EncoderSettings settings = base_settings();
  settings.provide_transaction_metadata = false;
  Stream s(settings);
  s.feed(customers());
  s.feed(testing::begin_message(500, 0, 7));
  const auto events = s.feed(insert_customer("1", "A"), 100);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(json::parse(events[0].value)["transaction"].is_null());
  EXPECT_TRUE(s.feed(testing::commit_message(500, 520, 0)).empty());
}

TEST(DebeziumEncoder, ChangesOutOfOrderAreRefused) {
  Stream s;
  s.feed(customers());
  EXPECT_THROW(s.feed(insert_customer("1", "A")), Error);  // no Begin
  s.feed(testing::begin_message(500, 0, 7));
  Bytes unknown('I');
  unknown.u32(99).u8('N').tuple({{'t', "1"}});
  try {
    s.feed(unknown);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.recovery(), Recovery::not_found);
  }
}

TEST(DebeziumEncoder, IdsSubjectsAndHeadersArePureFunctions) {
  EXPECT_EQ(message_id(Lsn{0x16B374D848}, 3), "16/B374D848:3");
  EXPECT_EQ(table_subject("p", "public", "orders"), "p.public.orders");
  EXPECT_EQ(table_subject("p", "my schema", "Odd \"Name\" t*>"), "p.my_schema.Odd__Name__t__");
  // One token each, never an empty one.
  EXPECT_EQ(table_subject("p", ".Sch..ema", "ta.ble."), "p._Sch__ema.ta_ble_");
  EXPECT_EQ(transaction_subject("p"), "p.transaction");
  EXPECT_EQ(key_columns_header({"id", "ten\"ant"}), R"(["id","ten\"ant"])");
}

}  // namespace
}  // namespace tapedeck::capture
