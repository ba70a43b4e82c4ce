// `tapedeck capture` end to end: tables without a key, TRUNCATE, and relations that appear or
// change while capture runs.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace tapedeck::capture::testing {
namespace {

std::vector<std::string> field_names(const json& struct_schema) {
  std::vector<std::string> out;
  for (const auto& field : struct_schema["fields"]) out.push_back(field["field"]);
  return out;
}

json after_schema(const StreamEvent& event) {
  const json value = event.value();
  for (const auto& field : value["schema"]["fields"]) {
    if (field["field"] == "after") return field;
  }
  return json();
}

TEST(CaptureRelations, ATableWithoutPrimaryKeyStreamsInsertsAndRefusesUpdatesUnderDefaultIdentity) {
  CaptureHarness h;
  h.exec("CREATE TABLE nokey (a int, b text)");
  h.start_capture();
  h.exec("INSERT INTO nokey VALUES (1, 'x'), (2, NULL)");
  // PostgreSQL itself refuses an UPDATE of a published table that has no replica identity.
  EXPECT_THROW(h.exec("UPDATE nokey SET b = 'y' WHERE a = 1"), Error);

  const auto events = h.read_distinct(4, 60s);
  const auto rows = h.table_events(events, "public.nokey");
  ASSERT_EQ(rows.size(), 2u) << h.log_tail();
  EXPECT_EQ(rows[0].payload()["after"], json::parse(R"({"a":1,"b":"x"})"));
  EXPECT_EQ(rows[1].payload()["after"], json::parse(R"({"a":2,"b":null})"));
  // No key (Debezium's key is null): the key-columns header is an empty list.
  EXPECT_EQ(rows[0].key_columns.value_or("absent"), "[]");
}

TEST(CaptureRelations, ATableWithoutPrimaryKeyUnderFullIdentityCarriesTheWholeOldRow) {
  CaptureHarness h;
  h.exec("CREATE TABLE fullrow (a int, b text); ALTER TABLE fullrow REPLICA IDENTITY FULL");
  h.start_capture();
  h.exec(
      "INSERT INTO fullrow VALUES (1, 'x'); UPDATE fullrow SET b = 'y' WHERE a = 1; "
      "DELETE FROM fullrow WHERE a = 1;");
  // One query string: one implicit transaction.
  const auto events = h.read_distinct(5, 60s);
  const auto rows = h.table_events(events, "public.fullrow");
  ASSERT_EQ(rows.size(), 3u) << h.log_tail();
  const json update = rows[1].payload();
  EXPECT_EQ(update["op"], "u");
  EXPECT_EQ(update["before"], json::parse(R"({"a":1,"b":"x"})"));
  EXPECT_EQ(update["after"], json::parse(R"({"a":1,"b":"y"})"));
  const json del = rows[2].payload();
  EXPECT_EQ(del["op"], "d");
  EXPECT_EQ(del["before"], json::parse(R"({"a":1,"b":"y"})"));
  EXPECT_TRUE(del["after"].is_null());
}

TEST(CaptureRelations, TruncateBecomesOneTruncateEventPerTable) {
  CaptureHarness h;
  h.exec(
      "CREATE TABLE t1 (id int PRIMARY KEY); CREATE TABLE t2 (id int PRIMARY KEY);"
      "INSERT INTO t1 VALUES (1); INSERT INTO t2 VALUES (1);");
  h.start_capture();
  h.exec("TRUNCATE t1, t2");
  const auto events = h.read_distinct(4, 60s);
  ASSERT_EQ(events.size(), 4u) << h.log_tail();
  std::set<std::string> tables;
  for (const std::string table : {"public.t1", "public.t2"}) {
    const auto rows = h.table_events(events, table);
    ASSERT_EQ(rows.size(), 1u) << table;
    const json payload = rows[0].payload();
    EXPECT_EQ(payload["op"], "t");
    // A truncate event has no row images (PGDOC; fixture pg_doc_truncate_payload.json).
    EXPECT_FALSE(payload.contains("before"));
    EXPECT_FALSE(payload.contains("after"));
    tables.insert(payload["source"]["table"].get<std::string>());
  }
  EXPECT_EQ(tables, (std::set<std::string>{"t1", "t2"}));
}

TEST(CaptureRelations, ATableCreatedWhileCaptureRunsIsCaptured) {
  CaptureHarness h;
  h.exec("CREATE TABLE early (id int PRIMARY KEY)");
  h.start_capture();
  h.exec("INSERT INTO early VALUES (1)");
  // Qualified: capture created the schema tapedeck, which the stack's user (tapedeck) has
  // first on its search path.
  h.exec("CREATE TABLE public.late (id int PRIMARY KEY, name text NOT NULL)");
  h.exec("INSERT INTO public.late VALUES (7, 'seven')");
  // Three transactions of three messages: the CREATE TABLE is recorded too, as a row of
  // tapedeck.schema_changes (capture installs the event triggers; the stack's role is a
  // superuser).
  const auto events = h.read_distinct(9, 60s);
  const auto changes = h.table_events(events, "tapedeck.schema_changes");
  ASSERT_EQ(changes.size(), 1u) << h.log_tail();
  EXPECT_EQ(changes[0].payload()["after"]["command_tag"], "CREATE TABLE");
  const auto rows = h.table_events(events, "public.late");
  ASSERT_EQ(rows.size(), 1u) << h.log_tail();
  EXPECT_EQ(rows[0].payload()["after"], json::parse(R"({"id":7,"name":"seven"})"));
  EXPECT_EQ(rows[0].key_columns.value_or(""), R"(["id"])");
  const json schema = after_schema(rows[0]);
  EXPECT_EQ(field_names(schema), (std::vector<std::string>{"id", "name"}));
  EXPECT_EQ(schema["fields"][1]["optional"], false);
}

TEST(CaptureRelations, AddColumnMidStreamShowsTheNewRelationInLaterEvents) {
  CaptureHarness h;
  h.exec("CREATE TABLE grow (id int PRIMARY KEY, a text)");
  h.start_capture();
  h.exec("INSERT INTO grow VALUES (1, 'one')");
  h.exec("ALTER TABLE grow ADD COLUMN n numeric(5,2) DEFAULT 1.5");
  h.exec("INSERT INTO grow VALUES (2, 'two', 2.25)");
  h.exec("UPDATE grow SET a = 'uno' WHERE id = 1");
  h.exec("ALTER TABLE grow DROP COLUMN a");
  h.exec("INSERT INTO grow VALUES (3, 3.5)");
  const auto events = h.read_distinct(12, 60s);
  const auto rows = h.table_events(events, "public.grow");
  ASSERT_EQ(rows.size(), 4u) << h.log_tail();

  EXPECT_EQ(rows[0].payload()["after"], json::parse(R"({"id":1,"a":"one"})"));
  EXPECT_EQ(field_names(after_schema(rows[0])), (std::vector<std::string>{"id", "a"}));
  // numeric(5,2) in tapedeck's default decimal_handling_mode=string: the number's text.
  EXPECT_EQ(rows[1].payload()["after"], json::parse(R"({"id":2,"a":"two","n":"2.25"})"));
  EXPECT_EQ(field_names(after_schema(rows[1])), (std::vector<std::string>{"id", "a", "n"}));
  EXPECT_EQ(rows[2].payload()["after"], json::parse(R"({"id":1,"a":"uno","n":"1.50"})"));
  EXPECT_EQ(rows[3].payload()["after"], json::parse(R"({"id":3,"n":"3.50"})"));
  EXPECT_EQ(field_names(after_schema(rows[3])), (std::vector<std::string>{"id", "n"}));
}

}  // namespace
}  // namespace tapedeck::capture::testing
