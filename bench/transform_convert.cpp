// Parse + convert throughput of transform's pure core over the Debezium fixture mix.
// Run: build/bench/bench_transform_convert  (prints events/s as items_per_second)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "transform/event_parser.hpp"
#include "transform/sql_renderer.hpp"

namespace {

using namespace tapedeck::transform;

// The Debezium examples the tests use too (tests/fixtures/debezium, sources in SOURCES.md).
std::filesystem::path fixtures_dir() {
  return std::filesystem::path(TAPEDECK_FIXTURE_DIR) / "debezium";
}

std::vector<std::string> lines_of(const std::string& name) {
  std::ifstream file(fixtures_dir() / name);
  if (!file) {
    std::cerr << "bench_transform_convert: cannot read the fixture " << (fixtures_dir() / name)
              << "\n";
    std::exit(2);
  }
  std::stringstream text;
  text << file.rdbuf();
  if (name.ends_with(".json")) return {text.str()};
  std::vector<std::string> lines;
  for (std::string line; std::getline(text, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// The catalog of every table the fixtures touch.
std::map<std::string, TableInfo> catalog() {
  std::map<std::string, TableInfo> tables;
  const auto add = [&](TableInfo table) {
    tables.emplace(table.schema() + "." + table.table(), std::move(table));
  };
  add(TableInfo("inventory", "products",
                {{"id", "integer"},
                 {"name", "character varying(255)"},
                 {"description", "character varying(512)"},
                 {"weight", "double precision"}},
                {"id"}, true));
  add(TableInfo("inventory", "orderline",
                {{"id", "integer"},
                 {"item", "character varying(255)"},
                 {"quantity", "integer"},
                 {"status", "character varying(20)"},
                 {"totalprice", "numeric(10,2)"},
                 {"order_id", "integer"}},
                {"id"}, false));
  add(TableInfo(
      "inventory", "purchaseorder",
      {{"id", "integer"}, {"customerid", "integer"}, {"orderdate", "timestamp without time zone"}},
      {"id"}, false));
  for (const char* schema : {"inventory", "public"}) {
    add(TableInfo(schema, "customers",
                  {{"id", "integer"},
                   {"first_name", "character varying(255)"},
                   {"last_name", "character varying(255)"},
                   {"email", "character varying(255)"},
                   {"biography", "text"}},
                  {"id"}, false));
  }
  add(TableInfo("public", "orders",
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
                 {"o_character_varying", "character varying(10)"},
                 {"o_smallint", "smallint"},
                 {"o_integer", "integer"},
                 {"o_bigint", "bigint"},
                 {"o_real", "real"},
                 {"o_double", "double precision"},
                 {"o_numeric", "numeric"},
                 {"o_numeric_6_3", "numeric(6,3)"},
                 {"o_money", "money"}},
                {"o_key"}, false));
  return tables;
}

void convert(benchmark::State& state, const std::vector<std::string>& files) {
  std::vector<std::string> events;
  for (const auto& file : files) {
    for (auto& line : lines_of(file)) events.push_back(std::move(line));
  }
  const auto tables = catalog();
  EventParser parser;
  SqlRenderer renderer;
  ChangeEvent event;
  RenderedStatement statement;
  std::size_t bytes = 0;
  for (const auto& e : events) bytes += e.size();
  for (auto _ : state) {
    for (const auto& json : events) {
      parser.parse_change_event(json, event);
      const auto found = tables.find(event.source.schema + "." + event.source.table);
      renderer.render(event, found == tables.end() ? nullptr : &found->second, statement);
      benchmark::DoNotOptimize(statement.sql.data());
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void BM_FixtureMix(benchmark::State& state) {
  convert(
      state,
      {"pg_v1.2_products_sequence_schemaless.jsonl", "pg_v1.4_orders_sequence_schemaless.jsonl",
       "pg_v2.1_insert_payload_only.json", "pg_v2.1_read_snapshot_payload_only.json",
       "pg_v0.10_update_toast_unavailable_schemaless.json",
       "pg_doc_update_replica_default_payload.json", "pg_doc_delete_replica_default_payload.json",
       "pg_v1.9_read_bytea_json_xml_uuid_point_enum.json",
       "pg_v1.9_read_numeric_types_rwconfig.json", "pg_v1.2_read_snapshot_schema_enabled.json",
       "pg_v1.2_update_replica_full_schema_enabled.json", "pg_doc_create_schema_enabled.json"});
}
BENCHMARK(BM_FixtureMix);

void BM_Schemaless(benchmark::State& state) {
  convert(state, {"pg_v1.2_products_sequence_schemaless.jsonl",
                  "pg_v1.4_orders_sequence_schemaless.jsonl"});
}
BENCHMARK(BM_Schemaless);

void BM_SchemaEnabled(benchmark::State& state) {
  convert(state,
          {"pg_v1.2_read_snapshot_schema_enabled.json",
           "pg_v1.2_update_replica_full_schema_enabled.json",
           "pg_v1.2_delete_replica_full_schema_enabled.json", "pg_doc_create_schema_enabled.json"});
}
BENCHMARK(BM_SchemaEnabled);

}  // namespace

BENCHMARK_MAIN();
