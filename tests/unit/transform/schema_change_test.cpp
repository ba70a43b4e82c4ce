// Schema-change rows: which DDL statement is replayed, what is refused, the recorded shapes.
#include "transform/schema_change.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "transform/event_parser.hpp"

namespace tapedeck::transform {
namespace {

SchemaChange ddl(std::string tag, int ordinal, std::string query, bool nested = false) {
  SchemaChange change;
  change.command_tag = std::move(tag);
  change.ordinal = ordinal;
  change.query = std::move(query);
  change.nested = nested;
  change.search_path = "app, public";
  return change;
}

std::string refusal(const SchemaChange& change) {
  try {
    replay_statement(change);
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::invalid);
    return error.message();
  }
  ADD_FAILURE() << "replayed " << change.query;
  return {};
}

constexpr const char* kSearchPath =
    "SELECT pg_catalog.set_config('search_path', 'app, public', true);\n";

TEST(ReplayStatement, IsTheStatementThatFiredUnderItsSearchPath) {
  EXPECT_EQ(replay_statement(ddl("ALTER TABLE", 1, "alter table t add c int;")),
            std::string(kSearchPath) + "alter table t add c int");
}

TEST(ReplayStatement, TakesOnlyTheDdlOutOfAQueryThatAlsoChangesData) {
  const std::string query =
      "ALTER TABLE t ADD a int; INSERT INTO t VALUES (1, 'x;y'); ALTER TABLE t ADD b int; "
      "CREATE INDEX ON t (a)";
  EXPECT_EQ(replay_statement(ddl("ALTER TABLE", 1, query)),
            std::string(kSearchPath) + "ALTER TABLE t ADD a int");
  EXPECT_EQ(replay_statement(ddl("ALTER TABLE", 2, query)),
            std::string(kSearchPath) + "ALTER TABLE t ADD b int");
  EXPECT_EQ(replay_statement(ddl("CREATE INDEX", 1, query)),
            std::string(kSearchPath) + "CREATE INDEX ON t (a)");
}

TEST(ReplayStatement, RefusesDdlRunInsideAFunctionOrDoBlock) {
  const auto reason = refusal(ddl("CREATE TABLE", 1, "SELECT make_tables()", true));
  EXPECT_NE(reason.find("inside a function or a DO block"), std::string::npos) << reason;
  EXPECT_NE(reason.find("SELECT make_tables()"), std::string::npos) << reason;
}

TEST(ReplayStatement, RefusesAFiringTheQueryTextDoesNotHold) {
  const auto reason = refusal(ddl("CREATE TABLE", 2, "CREATE TABLE a (x int); SELECT f()"));
  EXPECT_NE(reason.find("holds 1 such statement"), std::string::npos) << reason;
}

TEST(ReplayStatement, RefusesWhenARollbackMakesTheFiringAmbiguous) {
  refusal(ddl("ALTER TABLE", 1,
              "BEGIN; ALTER TABLE t ADD a int; ROLLBACK; BEGIN; ALTER TABLE t ADD b int; COMMIT"));
  EXPECT_EQ(replay_statement(ddl("ALTER TABLE", 1, "BEGIN; ALTER TABLE t ADD a int; ROLLBACK")),
            std::string(kSearchPath) + "ALTER TABLE t ADD a int");
}

TEST(ReplayStatement, QuotesTheSearchPath) {
  auto change = ddl("DROP TABLE", 1, "DROP TABLE t");
  change.search_path = "\"it's\"";
  EXPECT_EQ(replay_statement(change),
            "SELECT pg_catalog.set_config('search_path', '\"it''s\"', true);\nDROP TABLE t");
}

// What its casts and expressions store depends on these; they are set for the replaying
// transaction only. Those that change how the text itself reads are not set but checked.
TEST(ReplayStatement, RunsUnderTheSettingsTheChangeRanWith) {
  auto change = ddl("ALTER TABLE", 1, "ALTER TABLE t ALTER ts TYPE timestamptz");
  change.settings = {{"TimeZone", "America/New_York"},
                     {"DateStyle", "SQL, DMY"},
                     {"extra_float_digits", "1"},
                     {"standard_conforming_strings", "on"},
                     {"array_nulls", "on"},
                     {"a_setting_from_a_later_version", "x"}};
  EXPECT_EQ(replay_statement(change),
            "SELECT pg_catalog.set_config('search_path', 'app, public', true), "
            "pg_catalog.set_config('TimeZone', 'America/New_York', true), "
            "pg_catalog.set_config('DateStyle', 'SQL, DMY', true), "
            "pg_catalog.set_config('extra_float_digits', '1', true);\n"
            "ALTER TABLE t ALTER ts TYPE timestamptz");
}

TEST(ReplayStatement, RefusesTextTheReplayingSessionWouldReadOtherwise) {
  auto escaped = ddl("ALTER TABLE", 1, R"(ALTER TABLE t ADD c text DEFAULT 'a\nb')");
  escaped.settings = {{"standard_conforming_strings", "off"}};
  EXPECT_NE(refusal(escaped).find("standard_conforming_strings = off"), std::string::npos);
  auto plain = ddl("ALTER TABLE", 1, "ALTER TABLE t ADD c text DEFAULT 'ab'");
  plain.settings = escaped.settings;
  EXPECT_EQ(replay_statement(plain), std::string(kSearchPath) + plain.query);

  auto arrays = ddl("ALTER TABLE", 1, "ALTER TABLE t ADD c text[] DEFAULT '{x,NULL}'");
  arrays.settings = {{"array_nulls", "off"}};
  EXPECT_NE(refusal(arrays).find("array_nulls = off"), std::string::npos);
  auto document = ddl("ALTER TABLE", 1, "ALTER TABLE t ADD c xml DEFAULT '<a/>'");
  document.settings = {{"xmloption", "document"}};
  EXPECT_NE(refusal(document).find("xmloption = document"), std::string::npos);
}

TEST(TableShape, ReadsWhatTheLiveDbFunctionWrites) {
  const auto shape = parse_table_shape(
      R"({"schema" : "s", "table" : "t", "replica_identity" : "d", "columns" : [)"
      R"({"name" : "id", "type" : "integer", "base_type" : "", "identity_always" : true},)"
      R"j({"name" : "amount", "type" : "s.money_d", "base_type" : "numeric(10,2)", "identity_always" : false}],)j"
      R"( "key" : ["id"]})");
  ASSERT_NE(shape.table, nullptr);
  EXPECT_EQ(shape.table->schema(), "s");
  EXPECT_EQ(shape.table->table(), "t");
  ASSERT_EQ(shape.table->columns().size(), 2u);
  EXPECT_TRUE(shape.table->columns()[0].identity_always);
  EXPECT_EQ(shape.table->columns()[1].base_type, "numeric(10,2)");
  EXPECT_EQ(shape.table->key_columns(), std::vector<std::string>{"id"});
  EXPECT_FALSE(shape.table->replica_identity_full());
}

TEST(TableShape, AcceptsAKeylessFullIdentityTable) {
  const auto shape = parse_table_shape(
      R"({"schema":"s","table":"t","replica_identity":"f","columns":[)"
      R"({"name":"a","type":"text","base_type":"","identity_always":false}],"key":null})");
  EXPECT_TRUE(shape.table->key_columns().empty());
  EXPECT_TRUE(shape.table->replica_identity_full());
}

TEST(TableShape, RefusesMalformedShapes) {
  EXPECT_THROW(parse_table_shape("{"), Error);
  EXPECT_THROW(parse_table_shape(R"({"schema":"s"})"), Error);
}

// A shape of table app.t with columns given as JSON objects.
TableShape shape_with(const std::string& columns) {
  return parse_table_shape(R"({"schema":"app","table":"t","replica_identity":"d","key":["id"],)"
                           R"("columns":[)" +
                           columns + "]}");
}

constexpr const char* kId =
    R"({"name":"id","type":"integer","base_type":"","identity_always":false,"attnum":1,)"
    R"("missing":null,"default_not_constant":false})";

TEST(AddedColumnFills, GiveExistingRowsTheValueTheLiveDbGaveThem) {
  const auto before = shape_with(kId);
  const auto after = shape_with(
      std::string(kId) +
      R"(,{"name":"at","type":"timestamp with time zone","base_type":"","identity_always":false,)"
      R"("attnum":2,"missing":"{\"2026-12-06 12:01:53.39738+00\"}","default_not_constant":true},)"
      R"({"name":"who","type":"text","base_type":"","identity_always":false,"attnum":3,)"
      R"("missing":"{\"it's \\\"q\\\" \\\\ x\"}","default_not_constant":false},)"
      R"({"name":"n","type":"integer","base_type":"","identity_always":false,"attnum":4,)"
      R"("missing":"{0}","default_not_constant":false})");
  EXPECT_EQ(added_column_fills(before.table.get(), *after.table),
            ";\nUPDATE \"app\".\"t\" SET \"at\" = ('2026-12-06 12:01:53.39738+00'::timestamp with "
            "time zone) WHERE \"at\"::text IS DISTINCT FROM ('2026-12-06 "
            "12:01:53.39738+00'::timestamp with time zone)::text"
            ";\nUPDATE \"app\".\"t\" SET \"who\" = ('it''s \"q\" \\ x'::text) WHERE "
            "\"who\"::text IS DISTINCT FROM ('it''s \"q\" \\ x'::text)::text"
            ";\nUPDATE \"app\".\"t\" SET \"n\" = ('0'::integer) WHERE \"n\"::text IS DISTINCT "
            "FROM ('0'::integer)::text");
}

TEST(AddedColumnFills, FailTheReplayOfAVolatileDefaultWhenTheTableHasRows) {
  const auto before = shape_with(kId);
  const auto after =
      shape_with(std::string(kId) +
                 R"(,{"name":"r","type":"double precision","base_type":"","identity_always":false,)"
                 R"("attnum":2,"missing":null,"default_not_constant":true})");
  const std::string fill = added_column_fills(before.table.get(), *after.table);
  EXPECT_TRUE(
      fill.starts_with(";\nDO $tapedeck$ BEGIN IF EXISTS (SELECT FROM \"app\".\"t\") "
                       "THEN RAISE EXCEPTION '%', 'tapedeck: column \"r\" of \"app\".\"t\" "
                       "was added with a default that is not a constant"))
      << fill;
  EXPECT_TRUE(fill.ends_with("END $tapedeck$")) << fill;
}

TEST(AddedColumnFills, LeaveRenamedAndConstantOrDefaultlessColumnsAlone) {
  const auto before = shape_with(
      std::string(kId) +
      R"(,{"name":"old","type":"integer","base_type":"","identity_always":false,"attnum":2,)"
      R"("missing":"{7}","default_not_constant":false})");
  // "old" renamed to "new" keeps its number and its missing value: not added.
  const auto after = shape_with(
      std::string(kId) +
      R"(,{"name":"new","type":"integer","base_type":"","identity_always":false,"attnum":2,)"
      R"("missing":"{7}","default_not_constant":false},)"
      R"({"name":"plain","type":"text","base_type":"","identity_always":false,"attnum":3,)"
      R"("missing":null,"default_not_constant":false})");
  EXPECT_EQ(added_column_fills(before.table.get(), *after.table), "");
  EXPECT_EQ(added_column_fills(nullptr, *after.table), "");
  // A shape recorded before column numbers were: added cannot be told from renamed.
  const auto unnumbered = parse_table_shape(
      R"({"schema":"app","table":"t","replica_identity":"d","key":["id"],"columns":[)"
      R"({"name":"id","type":"integer","base_type":"","identity_always":false}]})");
  EXPECT_EQ(added_column_fills(unnumbered.table.get(), *after.table), "");
}

TEST(SchemaChangeEvent, ReadsTheTriggersRow) {
  const std::string json =
      R"({"op":"c","source":{"schema":"tapedeck","table":"schema_changes","ts_ms":1},)"
      R"("before":null,"after":{"id":7,"event":"ddl_command_end","command_tag":"ALTER TABLE",)"
      R"("ordinal":1,"nested":false,"query":"alter table s.t add b text","search_path":"public",)"
      R"("objects":"s.t","shapes":"[{\"schema\":\"s\",\"table\":\"t\",\"replica_identity\":\"d\",)"
      R"(\"columns\":[{\"name\":\"a\",\"type\":\"integer\",\"base_type\":\"\",\"identity_always\":false},)"
      R"({\"name\":\"b\",\"type\":\"text\",\"base_type\":\"\",\"identity_always\":false}],\"key\":null}]"}})";
  const auto event = EventParser().parse_change_event(json);
  EXPECT_TRUE(is_schema_changes_table(event.source.schema, event.source.table));
  const auto change = parse_schema_change(event);
  EXPECT_EQ(change.kind, SchemaChange::Kind::ddl);
  EXPECT_EQ(change.command_tag, "ALTER TABLE");
  EXPECT_TRUE(change.settings.empty());  // recorded before Live DB migration 6
  ASSERT_EQ(change.shapes.size(), 1u);
  EXPECT_EQ(change.shapes[0].table->columns().size(), 2u);
}

TEST(SchemaChangeEvent, ReadsTheSettingsItRanUnder) {
  const std::string json =
      R"({"op":"c","source":{"schema":"tapedeck","table":"schema_changes","ts_ms":1},)"
      R"("before":null,"after":{"event":"ddl_command_end","command_tag":"ALTER TABLE",)"
      R"("ordinal":1,"nested":false,"query":"alter table t add b text","search_path":"public",)"
      R"("objects":"t","shapes":"[]",)"
      R"("settings":"{\"TimeZone\" : \"Europe/Paris\", \"DateStyle\" : \"ISO, DMY\"}"}})";
  const auto change = parse_schema_change(EventParser().parse_change_event(json));
  ASSERT_EQ(change.settings.size(), 2u);
  // By name (the order does not matter: each is set on its own).
  EXPECT_EQ(change.settings[0], (std::pair<std::string, std::string>{"DateStyle", "ISO, DMY"}));
  EXPECT_EQ(change.settings[1], (std::pair<std::string, std::string>{"TimeZone", "Europe/Paris"}));

  const std::string malformed =
      R"({"op":"c","source":{"schema":"tapedeck","table":"schema_changes","ts_ms":1},)"
      R"("before":null,"after":{"event":"ddl_command_end","command_tag":"ALTER TABLE",)"
      R"("ordinal":1,"nested":false,"query":"q","search_path":"public","objects":"t",)"
      R"("shapes":"[]","settings":"[1]"}})";
  EXPECT_THROW(parse_schema_change(EventParser().parse_change_event(malformed)), Error);
}

TEST(SchemaChangeEvent, ReadsTheDroppedTables) {
  const std::string json =
      R"({"op":"c","source":{"schema":"tapedeck","table":"schema_changes","ts_ms":1},)"
      R"("before":null,"after":{"event":"sql_drop","command_tag":"DROP SCHEMA","ordinal":0,)"
      R"("nested":false,"query":"","search_path":"",)"
      R"("objects":"[{\"schema\":\"s\",\"table\":\"x\"}]","shapes":"[]"}})";
  const auto change = parse_schema_change(EventParser().parse_change_event(json));
  EXPECT_EQ(change.kind, SchemaChange::Kind::drop);
  ASSERT_EQ(change.dropped.size(), 1u);
  EXPECT_EQ(change.dropped[0].first, "s");
  EXPECT_EQ(change.dropped[0].second, "x");
}

}  // namespace
}  // namespace tapedeck::transform
