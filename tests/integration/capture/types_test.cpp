// `tapedeck capture` end to end: every supported type, compared field by field with
// hand-checked Debezium encodings and with the structure of real Debezium events.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "harness.hpp"

namespace tapedeck::capture::testing {
namespace {

json fixture(const std::string& name) {
  std::ifstream in(std::string(TAPEDECK_FIXTURE_DIR) + "/debezium/" + name);
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

// Parsers read these by name (FORMAT.md); the key sets must match, the order may differ
// between Debezium versions and the hand-written documentation examples.
std::vector<std::string> sorted_keys(const json& object) {
  std::vector<std::string> out;
  for (const auto& item : object.items()) out.push_back(item.key());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> keys(const json& object) {
  std::vector<std::string> out;
  for (const auto& item : object.items()) out.push_back(item.key());
  return out;
}

// Every key of `real` is in `ours` with a value of the same JSON type (null matches anything
// optional); nested objects are compared the same way, except row images (the fixture's
// table is not ours).
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
      expect_same_structure(value, mine, fmt::format("{}.{}", path, key));
    }
  }
}

// The Connect schema of field `name` inside the struct schema `fields` (an array).
json field_schema(const json& fields, const std::string& name) {
  for (const auto& field : fields) {
    if (field.value("field", "") == name) return field;
  }
  ADD_FAILURE() << "no field " << name << " in schema";
  return json();
}

// These tests compare with Debezium's own encodings: its default (precise) decimals and its
// JSON arrays; tapedeck's defaults are string decimals and arrays as their text.
std::map<std::string, std::string> debezium_encodings() {
  return {{"TAPEDECK_CAPTURE_DECIMAL_HANDLING_MODE", "precise"},
          {"TAPEDECK_CAPTURE_ARRAY_HANDLING_MODE", "json"}};
}

constexpr const char* kCreateTypes = R"(
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE public.all_types (
  id integer PRIMARY KEY,
  flag boolean,
  small smallint,
  big bigint,
  real_v real,
  dbl double precision,
  price numeric(30,10),
  anynum numeric,
  txt text,
  vc varchar(40),
  bin bytea,
  doc json,
  docb jsonb,
  uid uuid,
  feeling mood,
  day date,
  tod time,
  ts timestamp,
  tstz timestamptz,
  dur interval,
  ints integer[],
  texts text[],
  huge text
);
)";

// One transaction: a row with a value in every column, a row of NULLs, a row of infinities.
constexpr const char* kInsertTypes = R"(
BEGIN;
INSERT INTO all_types VALUES (
  1, true, -32768, 9223372036854775807, 1.5, 3.141592653589793,
  12345678901234567890.0123456789, 1.005,
  E'it''s a "quote" \\ back\\slash', 'héllo ✓ 日本', '\x00ff10'::bytea,
  '{"k": [1, 2]}', '{"b": 1, "a": "x"}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'happy',
  '2024-02-29', '13:14:15.123456', '2018-06-20 15:13:16.945104',
  '2011-11-11 11:11:11.123456+08', '1 year 2 mons 3 days 04:05:06.78',
  '{1,NULL,3}', '{"a b","c\"d",NULL}',
  (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 5000) g));
INSERT INTO all_types (id) VALUES (2);
INSERT INTO all_types (id, day, ts, tstz) VALUES (3, 'infinity', 'infinity', '-infinity');
COMMIT;
UPDATE all_types SET small = 7 WHERE id = 1;
DELETE FROM all_types WHERE id = 3;
)";

TEST(CaptureTypes, EveryTypeArrivesEncodedAsDebeziumEncodesIt) {
  CaptureHarness h;
  h.exec(kCreateTypes);
  h.start_capture(debezium_encodings());
  h.exec(kInsertTypes);

  // BEGIN, 3 inserts, END; then UPDATE and DELETE, sent in one query string, are one
  // implicit transaction: BEGIN, update, delete, END.
  const auto events = h.read_distinct(9, 60s);
  ASSERT_EQ(distinct_ids(events), 9u) << h.log_tail();
  const auto rows = h.table_events(events, "public.all_types");
  ASSERT_EQ(rows.size(), 5u);

  const json full = rows[0].payload();
  ASSERT_EQ(full["op"], "c");
  const json& a = full["after"];
  EXPECT_EQ(a["id"], 1);
  EXPECT_EQ(a["flag"], true);
  EXPECT_EQ(a["small"], -32768);
  EXPECT_EQ(a["big"].get<std::int64_t>(), 9223372036854775807LL);
  EXPECT_DOUBLE_EQ(a["real_v"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(a["dbl"].get<double>(), 3.141592653589793);
  // Decimal: base64 of the big-endian two's-complement unscaled value
  // 123456789012345678900123456789.
  EXPECT_EQ(a["price"], "AY7pD/bDc+DuDATVFQ==");
  // VariableScaleDecimal: 1.005 = 1005 (0x03ED) at scale 3.
  EXPECT_EQ(a["anynum"], json::parse(R"({"scale":3,"value":"A+0="})"));
  EXPECT_EQ(a["txt"], "it's a \"quote\" \\ back\\slash");
  EXPECT_EQ(a["vc"], "héllo ✓ 日本");
  EXPECT_EQ(a["bin"], "AP8Q");
  EXPECT_EQ(a["doc"], "{\"k\": [1, 2]}");
  EXPECT_EQ(a["docb"], "{\"a\": \"x\", \"b\": 1}");
  EXPECT_EQ(a["uid"], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(a["feeling"], "happy");
  EXPECT_EQ(a["day"], 19782);              // days since 1970-01-01
  EXPECT_EQ(a["tod"], 47655123456LL);      // µs past midnight
  EXPECT_EQ(a["ts"], 1529507596945104LL);  // PGDOC's own example
  EXPECT_EQ(a["tstz"], "2011-11-11T03:11:11.123456Z");
  EXPECT_EQ(a["dur"], "P1Y2M3DT4H5M6.78S");  // interval.handling.mode=string
  EXPECT_EQ(a["ints"], json::parse("[1,null,3]"));
  EXPECT_EQ(a["texts"], json::parse(R"(["a b","c\"d",null])"));
  const auto huge = h.db().exec("SELECT huge FROM all_types WHERE id = 1");
  EXPECT_EQ(a["huge"].get<std::string>(), std::string(huge.text(0, 0)));
  EXPECT_EQ(a["huge"].get<std::string>().size(), 160000u);

  const json nulls = rows[1].payload()["after"];
  EXPECT_EQ(nulls["id"], 2);
  for (const auto& [name, value] : nulls.items()) {
    if (name != "id") {
      EXPECT_TRUE(value.is_null()) << name << " = " << value;
    }
  }

  const json inf = rows[2].payload()["after"];
  EXPECT_EQ(inf["day"], -2147472692);                               // Debezium's +infinity date
  EXPECT_EQ(inf["ts"].get<std::int64_t>(), 9223372036825200000LL);  // PGDOC "TIMESTAMP type"
  EXPECT_EQ(inf["tstz"], "-infinity");

  // An UPDATE that leaves the TOASTed column alone carries the placeholder instead.
  const json update = rows[3].payload();
  EXPECT_EQ(update["op"], "u");
  EXPECT_TRUE(update["before"].is_null());  // REPLICA IDENTITY DEFAULT, key unchanged
  EXPECT_EQ(update["after"]["small"], 7);
  EXPECT_EQ(update["after"]["huge"], "__debezium_unavailable_value");
  EXPECT_EQ(update["after"]["txt"], a["txt"]);

  // A DELETE under REPLICA IDENTITY DEFAULT: the key in `before`, nullable columns null.
  const json del = rows[4].payload();
  EXPECT_EQ(del["op"], "d");
  EXPECT_TRUE(del["after"].is_null());
  EXPECT_EQ(del["before"]["id"], 3);
  EXPECT_TRUE(del["before"]["day"].is_null());

  // Headers beyond Debezium Server's: commit LSN and key columns; the id is (commit LSN, pos).
  EXPECT_EQ(rows[0].key_columns.value_or(""), R"(["id"])");
  ASSERT_TRUE(rows[0].commit_lsn.has_value());
  EXPECT_EQ(rows[0].msg_id, *rows[0].commit_lsn + ":1");
  EXPECT_EQ(rows[2].msg_id, *rows[0].commit_lsn + ":3");
}

TEST(CaptureTypes, EventsHaveTheStructureAndSchemaLayoutOfRealDebeziumEvents) {
  CaptureHarness h;
  h.exec(kCreateTypes);
  h.start_capture(debezium_encodings());
  h.exec(kInsertTypes);
  const auto events = h.read_distinct(9, 60s);
  const auto rows = h.table_events(events, "public.all_types");
  ASSERT_EQ(rows.size(), 5u) << h.log_tail();

  const json insert = rows[0].value();
  EXPECT_EQ(keys(insert), (std::vector<std::string>{"schema", "payload"}));
  // Same keys and value types as real output, schema included.
  expect_same_structure(fixture("pg_v1.2_update_replica_full_schema_enabled.json"), rows[3].value(),
                        "");
  expect_same_structure(fixture("pg_v2.1_insert_payload_only.json"), insert["payload"], "payload");
  expect_same_structure(fixture("pg_v3.0_message_m_schemaless.json")["source"],
                        insert["payload"]["source"], "source");
  expect_same_structure(fixture("pg_v1.2_delete_replica_full_schema_enabled.json"), rows[4].value(),
                        "");
  EXPECT_EQ(keys(insert["payload"]),
            (std::vector<std::string>{"before", "after", "source", "transaction", "op", "ts_ms",
                                      "ts_us", "ts_ns"}));
  const json& source = insert["payload"]["source"];
  EXPECT_EQ(source["connector"], "postgresql");
  EXPECT_EQ(source["name"], h.prefix());
  EXPECT_EQ(source["db"], h.database());
  EXPECT_EQ(source["schema"], "public");
  EXPECT_EQ(source["table"], "all_types");
  EXPECT_EQ(source["snapshot"], "false");
  EXPECT_TRUE(source["txId"].is_number_integer());
  EXPECT_TRUE(source["lsn"].is_number_integer());
  EXPECT_TRUE(source["sequence"].is_string());
  EXPECT_EQ(json::parse(source["sequence"].get<std::string>()).size(), 2u);

  // The schema names and parameters each column's encoding needs (FORMAT.md §7).
  const json& schema = insert["schema"];
  EXPECT_EQ(schema["name"], h.prefix() + ".public.all_types.Envelope");
  const json after = field_schema(schema["fields"], "after");
  EXPECT_EQ(after["name"], h.prefix() + ".public.all_types.Value");
  const json& fields = after["fields"];
  EXPECT_EQ(field_schema(fields, "id"),
            json::parse(R"({"type":"int32","optional":false,"field":"id"})"));
  EXPECT_EQ(field_schema(fields, "small")["type"], "int16");
  EXPECT_EQ(field_schema(fields, "big")["type"], "int64");
  EXPECT_EQ(field_schema(fields, "real_v")["type"], "float");
  EXPECT_EQ(field_schema(fields, "dbl")["type"], "double");
  const json price = field_schema(fields, "price");
  EXPECT_EQ(price["name"], "org.apache.kafka.connect.data.Decimal");
  EXPECT_EQ(price["parameters"]["scale"], "10");
  EXPECT_EQ(price["parameters"]["connect.decimal.precision"], "30");
  EXPECT_EQ(field_schema(fields, "anynum")["name"], "io.debezium.data.VariableScaleDecimal");
  EXPECT_EQ(field_schema(fields, "bin")["type"], "bytes");
  EXPECT_EQ(field_schema(fields, "doc")["name"], "io.debezium.data.Json");
  EXPECT_EQ(field_schema(fields, "docb")["name"], "io.debezium.data.Json");
  EXPECT_EQ(field_schema(fields, "uid")["name"], "io.debezium.data.Uuid");
  const json feeling = field_schema(fields, "feeling");
  EXPECT_EQ(feeling["name"], "io.debezium.data.Enum");
  EXPECT_EQ(feeling["parameters"]["allowed"], "sad,ok,happy");
  EXPECT_EQ(field_schema(fields, "day")["name"], "io.debezium.time.Date");
  EXPECT_EQ(field_schema(fields, "tod")["name"], "io.debezium.time.MicroTime");
  EXPECT_EQ(field_schema(fields, "ts")["name"], "io.debezium.time.MicroTimestamp");
  EXPECT_EQ(field_schema(fields, "tstz")["name"], "io.debezium.time.ZonedTimestamp");
  EXPECT_EQ(field_schema(fields, "dur")["name"], "io.debezium.time.Interval");
  const json ints = field_schema(fields, "ints");
  EXPECT_EQ(ints["type"], "array");
  EXPECT_EQ(ints["items"]["type"], "int32");
  EXPECT_EQ(field_schema(fields, "texts")["items"]["type"], "string");
}

TEST(CaptureTypes, TransactionMetadataFramesEachTransactionWithEventCounts) {
  CaptureHarness h;
  h.exec("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY);");
  h.start_capture();
  h.exec(
      "BEGIN; INSERT INTO a VALUES (1), (2); INSERT INTO b VALUES (1); "
      "UPDATE a SET id = 3 WHERE id = 2; COMMIT;");
  // BEGIN, 3 creates, the key change as a delete and a create, END.
  const auto events = h.read_distinct(7, 60s);
  ASSERT_EQ(events.size(), 7u) << h.log_tail();
  const std::string tx_subject = h.prefix() + ".transaction";

  ASSERT_EQ(events.front().subject, tx_subject);
  const json begin = events.front().payload();
  EXPECT_EQ(sorted_keys(begin), sorted_keys(fixture("pg_doc_tx_begin.json")));
  EXPECT_EQ(begin["status"], "BEGIN");
  EXPECT_TRUE(begin["event_count"].is_null());
  EXPECT_TRUE(begin["data_collections"].is_null());

  ASSERT_EQ(events.back().subject, tx_subject);
  const json end = events.back().payload();
  EXPECT_EQ(sorted_keys(end), sorted_keys(fixture("pg_doc_tx_end.json")));
  EXPECT_EQ(end["status"], "END");
  EXPECT_EQ(end["event_count"], 5);
  EXPECT_EQ(end["data_collections"],
            json::parse(R"([{"data_collection":"public.a","event_count":4},)"
                        R"({"data_collection":"public.b","event_count":1}])"));

  // BEGIN and END ids share the xid before the colon; every event points into the frame.
  const std::string xid =
      begin["id"].get<std::string>().substr(0, begin["id"].get<std::string>().find(':'));
  EXPECT_EQ(end["id"].get<std::string>().rfind(xid + ":", 0), 0u);
  std::int64_t total_order = 0;
  for (std::size_t i = 1; i + 1 < events.size(); ++i) {
    const json payload = events[i].payload();
    EXPECT_EQ(std::to_string(payload["source"]["txId"].get<std::int64_t>()), xid);
    EXPECT_EQ(payload["transaction"]["total_order"], ++total_order);
    EXPECT_EQ(payload["transaction"]["id"].get<std::string>().rfind(xid + ":", 0), 0u);
  }
  // The UPDATE changed the key: Debezium emits a delete of the old key and a create.
  EXPECT_EQ(events[4].payload()["op"], "d");
  EXPECT_EQ(events[4].payload()["before"]["id"], 2);
  EXPECT_EQ(events[5].payload()["op"], "c");
  EXPECT_EQ(events[5].payload()["after"]["id"], 3);
  // Message ids are the commit LSN and the position in the transaction, BEGIN = 0.
  const std::string commit = events.front().commit_lsn.value_or("?");
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].msg_id, commit + ":" + std::to_string(i));
  }
}

// Types Debezium has no exact converter for travel as PostgreSQL's own text output in a plain
// string: composites (domains over them too), multiranges, base types such as jsonpath, and
// whole arrays whose elements a JSON array cannot carry (box[] is ';'-delimited). timetz keeps
// its offset by default. Nothing a table can hold is refused any more.
TEST(CaptureTypes, TypesWithoutAnExactConverterStreamAsTheirTextNoneIsRefused) {
  CaptureHarness h;
  h.exec(R"sql(
CREATE TYPE addr AS (street text, zip integer);
CREATE DOMAIN home AS addr CHECK ((VALUE).zip > 0);
CREATE TABLE public.shapes (
  id integer PRIMARY KEY, outline int4multirange, at addr, lives home, boxes box[],
  steps interval[], pathq jsonpath, tz timetz, homes home[]);
)sql");
  h.start_capture();
  h.exec(R"sql(
INSERT INTO public.shapes VALUES (1, '{[1,3), [5,8)}', ROW('Main St, "2"', 12345),
  ROW('x', 1), '{(1,1),(0,0);NULL}', '[0:1]={"1 day",NULL}', '$.a[*] ? (@ > 1)',
  '12:00:00+05', ARRAY[ROW(NULL, 2)::home, NULL]);
)sql");
  const auto events = h.read_distinct(3, 60s);
  const auto rows = h.table_events(events, "public.shapes");
  ASSERT_EQ(rows.size(), 1u) << h.log_tail();
  const json a = rows[0].payload()["after"];
  EXPECT_EQ(a["outline"], "{[1,3),[5,8)}");
  EXPECT_EQ(a["at"], R"x(("Main St, ""2""",12345))x");
  EXPECT_EQ(a["lives"], "(x,1)");
  EXPECT_EQ(a["boxes"], "{(1,1),(0,0);NULL}");
  EXPECT_EQ(a["steps"], R"([0:1]={"1 day",NULL})");
  EXPECT_EQ(a["pathq"], "$.\"a\"[*]?(@ > 1)");
  EXPECT_EQ(a["tz"], "12:00:00+05");
  EXPECT_EQ(a["homes"], R"x({"(,2)",NULL})x");
  const json after =
      field_schema(field_schema(rows[0].value()["schema"]["fields"], "after")["fields"], "at");
  EXPECT_EQ(after, json::parse(R"({"type":"string","optional":true,"field":"at"})"));
}

// pgoutput writes money in the walsender's lc_monetary, which capture pins to C: a database
// whose own locale writes 1000 as "1.000,00 €" (which read as 1.00) streams the amount itself.
TEST(CaptureTypes, MoneyStreamsAsItsAmountWhateverTheDatabasesMonetaryLocale) {
  CaptureHarness h;
  h.exec(
      "CREATE TABLE public.wallet (id integer PRIMARY KEY, amount money, history money[]); "
      "ALTER DATABASE " +
      h.database() + " SET lc_monetary = 'de_DE.UTF-8'");
  h.start_capture();
  {
    pg::Connection german(h.dsn());
    ASSERT_EQ(german.exec("SHOW lc_monetary").get<std::string>(0, 0), "de_DE.UTF-8")
        << "scripts/install-deps.sh generates the locale de_DE.UTF-8";
    german.exec(
        "INSERT INTO public.wallet VALUES (1, 1000::numeric::money, ARRAY[1234.5::numeric::money, "
        "NULL]), (2, (-1234.56)::numeric::money, NULL)");
  }
  const auto events = h.read_distinct(4, 60s);
  const auto rows = h.table_events(events, "public.wallet");
  ASSERT_EQ(rows.size(), 2u) << h.log_tail();
  EXPECT_EQ(rows[0].payload()["after"]["amount"], "1000.00");
  EXPECT_EQ(rows[0].payload()["after"]["history"], R"({"$1,234.50",NULL})");
  EXPECT_EQ(rows[1].payload()["after"]["amount"], "-1234.56");
}

// pgoutput writes text in the replication connection's client encoding, which capture sets to
// UTF-8 (every event is JSON): a LATIN1 database's text arrives as its characters.
TEST(CaptureTypes, TextOfALatin1DatabaseStreamsAsUtf8) {
  CaptureHarness h({}, {}, "ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  h.exec("CREATE TABLE public.names (id integer PRIMARY KEY, name text, names text[])");
  h.start_capture();
  h.exec(
      "SET client_encoding = 'UTF8'; INSERT INTO public.names VALUES (1, 'Zoë Müller-Ørsted', "
      "ARRAY['ÿ', 'café'])");
  const auto events = h.read_distinct(3, 60s);
  const auto rows = h.table_events(events, "public.names");
  ASSERT_EQ(rows.size(), 1u) << h.log_tail();
  EXPECT_EQ(rows[0].payload()["after"]["name"], "Zoë Müller-Ørsted");
  EXPECT_EQ(rows[0].payload()["after"]["names"], "{ÿ,café}");
}

// A SQL_ASCII database stores text unchecked. Valid UTF-8 streams; a value that is not stops
// capture at its change, saying why, without hammering the Live DB or flooding the log while
// it waits there.
TEST(CaptureTypes, TextThatIsNotUtf8InASqlAsciiDatabaseStopsCaptureAtItsChange) {
  CaptureHarness h({}, {}, "ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  h.exec("CREATE TABLE public.names (id integer PRIMARY KEY, name text)");
  h.start_capture();
  EXPECT_NE(h.log_text().find("the Live DB's encoding is SQL_ASCII"), std::string::npos)
      << h.log_tail();
  h.exec("INSERT INTO public.names VALUES (1, 'Zoë')");
  h.exec("INSERT INTO public.names VALUES (2, E'caf\\xe9')");
  h.exec("INSERT INTO public.names VALUES (3, 'after')");

  ASSERT_TRUE(
      eventually([&] { return h.log_text().find("is not valid UTF-8") != std::string::npos; }, 60s))
      << h.log_tail();
  const auto events = h.read_distinct(3, 10s);
  const auto rows = h.table_events(events, "public.names");
  ASSERT_EQ(rows.size(), 1u) << h.log_tail();
  EXPECT_EQ(rows[0].payload()["after"]["name"], "Zoë");
  // Capture keeps starting again from the slot, each time further apart, and warns once.
  std::this_thread::sleep_for(3s);
  const std::string log = h.log_text();
  std::size_t warnings = 0;
  for (auto at = log.find("streaming stopped:"); at != std::string::npos;
       at = log.find("streaming stopped:", at + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 1u) << h.log_tail();
  EXPECT_EQ(h.table_events(h.read_all(), "public.names").size(), 1u);
}

// A table created after capture started is checked when its first change arrives: a composite
// column, refused before, is recorded as its text.
TEST(CaptureTypes, ATableOfACompositeTypeCreatedWhileCaptureRunsIsRecorded) {
  CaptureHarness h;
  h.exec("CREATE TABLE public.plain (id integer PRIMARY KEY)");
  h.start_capture();
  h.exec("CREATE TYPE addr AS (street text, zip integer)");
  h.exec("CREATE TABLE public.later (id integer PRIMARY KEY, at addr)");
  h.exec("INSERT INTO public.later VALUES (1, ROW('Main St', 12345))");

  const auto events = h.read_distinct(3, 60s);
  const auto rows = h.table_events(events, "public.later");
  ASSERT_EQ(rows.size(), 1u) << h.log_tail();
  EXPECT_EQ(rows[0].payload()["after"]["at"], R"x(("Main St",12345))x");
}

}  // namespace
}  // namespace tapedeck::capture::testing
