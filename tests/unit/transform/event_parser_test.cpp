// Event parsing: the three wire shapes, fields in any order, exact integers, clear refusals.
#include "transform/event_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "core/error.hpp"
#include "fixture_support.hpp"

namespace tapedeck::transform {
namespace {

const std::string kEnvelope =
    R"({"before":null,"after":{"id":1,"t":"x"},"source":{"version":"2.7.3.Final",)"
    R"("connector":"postgresql","name":"p","ts_ms":1700000000000,"ts_us":1700000000000123,)"
    R"("ts_ns":1723115239782690000,"snapshot":"false","db":"live",)"
    R"("sequence":"[\"24023119\",\"24023128\"]","schema":"public","table":"t","txId":767,)"
    R"("lsn":9223372036854775807,"xmin":null},"transaction":{"id":"767:34466480",)"
    R"("total_order":3,"data_collection_order":2},"op":"c","ts_ms":1700000000001})";

std::string refusal(const std::string& json, ParseOptions options = {}) {
  try {
    EventParser(options).parse_change_event(json);
  } catch (const Error& error) {
    EXPECT_EQ(error.source(), ErrorSource::input);
    EXPECT_EQ(error.recovery(), Recovery::invalid);
    return error.message();
  }
  ADD_FAILURE() << "accepted: " << json.substr(0, 200);
  return "";
}

void expect_refused(const std::string& json, const std::string& reason_part) {
  const std::string reason = refusal(json);
  EXPECT_NE(reason.find(reason_part), std::string::npos) << "reason: " << reason;
}

TEST(EventParser, ReadsEverySourceAndTransactionField) {
  EventParser parser;
  const ChangeEvent event = parser.parse_change_event(kEnvelope);
  EXPECT_EQ(event.op, Op::create);
  EXPECT_EQ(event.source.version, "2.7.3.Final");
  EXPECT_EQ(event.source.connector, "postgresql");
  EXPECT_EQ(event.source.name, "p");
  EXPECT_EQ(event.source.ts_ms, 1700000000000);
  EXPECT_EQ(event.source.ts_us, 1700000000000123);
  EXPECT_EQ(event.source.ts_ns, 1723115239782690000);
  EXPECT_EQ(event.source.snapshot, "false");
  EXPECT_EQ(event.source.db, "live");
  EXPECT_EQ(event.source.sequence_commit_lsn, 24023119u);
  EXPECT_EQ(event.source.sequence_lsn, 24023128u);
  EXPECT_EQ(event.source.schema, "public");
  EXPECT_EQ(event.source.table, "t");
  EXPECT_EQ(event.source.tx_id, 767);
  EXPECT_EQ(event.source.lsn, 9223372036854775807u);
  ASSERT_TRUE(event.transaction);
  EXPECT_EQ(event.transaction->id, "767:34466480");
  EXPECT_EQ(event.transaction->total_order, 3);
  EXPECT_EQ(event.transaction->data_collection_order, 2);
  EXPECT_EQ(event.ts_ms, 1700000000001);
  ASSERT_TRUE(event.after);
  ASSERT_EQ(event.after->size(), 2u);
  EXPECT_EQ((*event.after)[0].name, "id");
  EXPECT_EQ((*event.after)[0].value.text, "1");
  EXPECT_FALSE(event.before);
  EXPECT_FALSE(event.schema);
}

TEST(EventParser, AcceptsTheThreeWireShapesAlike) {
  EventParser parser;
  const auto bare = parser.parse_change_event(kEnvelope);
  const auto payload = parser.parse_change_event(R"({"payload":)" + kEnvelope + "}");
  const auto both = parser.parse_change_event(R"({"payload":)" + kEnvelope +
                                              R"(,"schema":{"type":"struct","fields":[]}})");
  for (const auto* event : {&payload, &both}) {
    EXPECT_EQ(event->source.lsn, bare.source.lsn);
    EXPECT_EQ(event->after->size(), bare.after->size());
  }
}

TEST(EventParser, ParsesFieldsInAnyOrder) {
  const std::string reordered =
      R"({"op":"d","source":{"table":"t","schema":"s","ts_ms":5,"lsn":7},)"
      R"("after":null,"before":{"k":"v"}})";
  const ChangeEvent event = EventParser().parse_change_event(reordered);
  EXPECT_EQ(event.op, Op::remove);
  EXPECT_EQ(event.source.lsn, 7u);
  ASSERT_TRUE(event.before);
  EXPECT_EQ((*event.before)[0].value.text, "v");
}

TEST(EventParser, KeepsNumbersAsExactText) {
  const ChangeEvent event = EventParser().parse_change_event(
      R"({"op":"c","source":{"schema":"s","table":"t","ts_ms":1},)"
      R"("after":{"big":123456789012345678901234567890.123456789,"neg":-9223372036854775808}})");
  EXPECT_EQ((*event.after)[0].value.text, "123456789012345678901234567890.123456789");
  EXPECT_EQ((*event.after)[1].value.text, "-9223372036854775808");
}

TEST(EventParser, ReadsTheRowSchemasOnceAndSharesThem) {
  EventParser parser;
  const auto json = testing::fixture("pg_v1.2_read_snapshot_schema_enabled.json");
  const auto first = parser.parse_change_event(json);
  const auto second = parser.parse_change_event(json);
  ASSERT_TRUE(first.schema);
  EXPECT_EQ(first.schema.get(), second.schema.get());
  const FieldSchema* weight = first.schema->after.find_field("weight");
  ASSERT_NE(weight, nullptr);
  EXPECT_EQ(weight->type, "double");
}

// A compact {schema, payload} message, as capture and Debezium's JsonConverter write it.
const std::string kRowSchema =
    R"({"type":"struct","optional":true,"name":"p.public.t.Value","field":"%s","fields":[)"
    R"({"type":"int64","optional":false,"field":"id"},)"
    R"({"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal",)"
    R"("parameters":{"scale":"2"},"field":"price"}]})";

std::string row_schema(const std::string& field) {
  std::string text = kRowSchema;
  text.replace(text.find("%s"), 2, field);
  return text;
}

const std::string kSchema = R"({"type":"struct","name":"p.public.t.Envelope","fields":[)" +
                            row_schema("before") + "," + row_schema("after") + "]}";

std::string with_schema(const std::string& payload) {
  return R"({"schema":)" + kSchema + R"(,"payload":)" + payload + "}";
}

std::string payload(int id, const std::string& op) {
  return R"({"before":)" +
         (op == "c" ? std::string("null")
                    : R"({"id":)" + std::to_string(id) + R"(,"price":"AQ=="})") +
         R"(,"after":)" +
         (op == "d" ? std::string("null")
                    : R"({"id":)" + std::to_string(id) + R"(,"price":"Ag=="})") +
         R"(,"source":{"schema":"public","table":"t","ts_ms":5,"lsn":)" + std::to_string(100 + id) +
         R"(},"op":")" + op + R"(","ts_ms":6})";
}

// What a parser read of an event, as text to compare.
std::string summary(const ChangeEvent& event) {
  std::string text = std::string(to_string(event.op)) + " " + event.source.schema + "." +
                     event.source.table + " lsn " + std::to_string(event.source.lsn.value_or(0));
  for (const auto* row : {&event.before, &event.after}) {
    text += " |";
    if (!*row) continue;
    for (const auto& field : **row) text += " " + field.name + "=" + field.value.text;
  }
  if (event.schema) {
    text += " schema:";
    for (const auto& field : event.schema->after.fields) text += " " + field.field;
  }
  return text;
}

TEST(EventParser, ReadsTheEventsAfterTheFirstOfASchemaLikeAFreshParserDoes) {
  EventParser parser;
  const auto first = parser.parse_change_event(with_schema(payload(1, "c")));
  ASSERT_TRUE(first.schema);
  for (const auto& [id, op] : {std::pair{2, "c"}, {3, "u"}, {4, "d"}, {5, "c"}}) {
    const std::string json = with_schema(payload(id, op));
    const auto again = parser.parse_change_event(json);
    EXPECT_EQ(summary(again), summary(EventParser().parse_change_event(json)));
    EXPECT_EQ(again.schema.get(), first.schema.get()) << "the schema is shared, not re-read";
  }
  const auto later = parser.parse_change_event(with_schema(payload(9, "u")));
  ASSERT_TRUE(later.after);
  EXPECT_EQ((*later.after)[1].value.text, "Ag==");
  EXPECT_EQ(later.source.lsn, 109u);
}

TEST(EventParser, ReadsEventsOfMoreTablesThanItRemembersLikeAFreshParserDoes) {
  // 40 schemas of several lengths, written to in turn: more than the parser keeps at hand.
  const auto message = [](int table, int id) {
    std::string schema = kSchema;
    schema.replace(schema.find("Envelope"), 8, "Envelope" + std::to_string(table));
    const std::string column = "price" + std::string(static_cast<std::size_t>(table % 5), 'x');
    for (auto at = schema.find("\"price\""); at != std::string::npos;
         at = schema.find("\"price\"", at + 1)) {
      schema.replace(at + 1, 5, column);
    }
    std::string body = payload(id, "u");
    for (auto at = body.find("\"price\""); at != std::string::npos;
         at = body.find("\"price\"", at + 1)) {
      body.replace(at + 1, 5, column);
    }
    return R"({"schema":)" + schema + R"(,"payload":)" + body + "}";
  };
  EventParser parser;
  for (int round = 0; round < 3; ++round) {
    for (int table = 0; table < 40; ++table) {
      const std::string json = message(table, round * 100 + table);
      EXPECT_EQ(summary(parser.parse_change_event(json)),
                summary(EventParser().parse_change_event(json)))
          << "table " << table << ", round " << round;
    }
  }
}

TEST(EventParser, RefusesABadPayloadAfterAKnownSchemaWithTheReasonOfAFreshParser) {
  const std::string bad_messages[] = {
      with_schema(payload(2, "c")).substr(0, 600),  // truncated
      with_schema(payload(2, "c")) + "{}",          // trailing content
      with_schema(R"({"op":"x","source":{"schema":"s","table":"t","ts_ms":1}})"),
      with_schema("null"),  // a tombstone
      R"({"schema":)" + kSchema + R"(,"payload":)" + payload(2, "c") +
          R"(,"op":"c"})",  // ambiguous
  };
  for (const auto& json : bad_messages) {
    EventParser parser;
    parser.parse_change_event(with_schema(payload(1, "c")));  // the schema is known now
    const std::string fresh = refusal(json);
    try {
      parser.parse_change_event(json);
      ADD_FAILURE() << "accepted: " << json.substr(json.size() > 300 ? json.size() - 300 : 0);
    } catch (const Error& error) {
      EXPECT_EQ(error.message(), fresh);
    }
  }
}

TEST(EventParser, TakesTheDocumentationsBooleanSnapshotAsItsString) {
  const auto event =
      EventParser().parse_change_event(testing::fixture("pg_doc_create_schema_enabled.json"));
  EXPECT_EQ(event.source.snapshot, "true");
}

TEST(EventParser, RefusesTruncatedJson) {
  expect_refused(kEnvelope.substr(0, kEnvelope.size() / 2), "malformed JSON");
  expect_refused(kEnvelope.substr(0, kEnvelope.size() - 1), "malformed JSON");
  expect_refused(R"({"op":"c","source":{"schema":"s")", "malformed JSON");
}

TEST(EventParser, RefusesTrailingContentAndNonObjects) {
  expect_refused(kEnvelope + "{}", "trailing content");
  expect_refused("[1,2]", "must be a JSON object");
  expect_refused("", "empty message");
  expect_refused("  null  ", "must be a JSON object");
}

TEST(EventParser, RefusesWrongJsonTypesNamingTheField) {
  expect_refused(R"({"op":"c","source":{"schema":"s","table":"t","ts_ms":"1"},"after":{}})",
                 "source.ts_ms must be an integer, not string");
  expect_refused(R"({"op":1,"source":{"schema":"s","table":"t","ts_ms":1},"after":{}})",
                 "op must be a string");
  expect_refused(R"({"op":"c","source":{"schema":"s","table":"t","ts_ms":1},"after":[1]})",
                 "after must be an object, not array");
  expect_refused(R"({"op":"c","source":{"schema":"s","table":"t","ts_ms":1,"txId":1.5},)"
                 R"("after":{}})",
                 "source.txId must be a 64-bit integer");
  expect_refused(R"({"op":"c","source":{"schema":"s","table":"t","ts_ms":1,)"
                 R"("sequence":"[1,2]"},"after":{}})",
                 "source.sequence");
}

TEST(EventParser, RefusesUnknownOpsAndMissingBlocks) {
  expect_refused(R"({"op":"x","source":{"schema":"s","table":"t","ts_ms":1}})", "unknown op \"x\"");
  expect_refused(R"({"op":"c","after":{"id":1}})", "source is missing");
  expect_refused(R"({"source":{"schema":"s","table":"t","ts_ms":1},"after":{"id":1}})",
                 "op is missing");
  expect_refused(R"({"op":"c","source":{"schema":"s","table":"t","ts_ms":1},"after":null})",
                 "needs an after row");
  expect_refused(R"({"op":"d","source":{"schema":"s","table":"t","ts_ms":1},"before":null})",
                 "cannot be replayed");
  expect_refused(R"({"op":"c","source":{"schema":"","table":"t","ts_ms":1},"after":{}})",
                 "needs source.schema and source.table");
  expect_refused(R"({"op":"c","source":{"schema":"s","table":"t"},"after":{}})", "source.ts_ms");
  expect_refused(R"({"schema":null,"payload":null})", "payload is null");
}

TEST(EventParser, RefusesHugeMessagesBeforeParsing) {
  ParseOptions options;
  options.max_message_bytes = 1000;
  const std::string huge = R"({"op":"c","after":{"t":")" + std::string(5000, 'x') + "\"}}";
  const std::string reason = refusal(huge, options);
  EXPECT_NE(reason.find("exceeds the limit of 1000 bytes"), std::string::npos) << reason;
}

TEST(EventParser, ParsesTransactionMetadataInsideAPayloadToo) {
  const auto metadata = EventParser().parse_transaction_metadata(
      R"({"schema":null,"payload":{"status":"END","id":"12:34","event_count":3,)"
      R"("data_collections":[{"data_collection":"public.t","event_count":3}],"ts_ms":9}})");
  EXPECT_EQ(metadata.status, TransactionMetadata::Status::end);
  EXPECT_EQ(metadata.tx_id(), 12);
  EXPECT_EQ(metadata.event_count, 3);
  ASSERT_EQ(metadata.data_collections.size(), 1u);
  EXPECT_THROW(EventParser().parse_transaction_metadata(R"({"status":"MIDDLE","id":"1:2"})"),
               Error);
}

TEST(EventParser, ParsesAKeyBareOrInsideTheConverterEnvelope) {
  EventParser parser;
  for (const char* json :
       {R"({"id":2,"tenant":"a"})",
        R"({"schema":{"type":"struct","fields":[]},"payload":{"id":2,"tenant":"a"}})"}) {
    const Row key = parser.parse_key(json);
    ASSERT_EQ(key.size(), 2u) << json;
    EXPECT_EQ(key[0].name, "id");
    EXPECT_EQ(key[0].value.text, "2");
    EXPECT_EQ(key[1].name, "tenant");
    EXPECT_EQ(key[1].value.text, "a");
  }
  EXPECT_THROW(parser.parse_key("[1]"), Error);
  EXPECT_THROW(parser.parse_key(R"({"id":)"), Error);
}

}  // namespace
}  // namespace tapedeck::transform
