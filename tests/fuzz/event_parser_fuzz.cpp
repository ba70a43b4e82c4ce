// libFuzzer target: any bytes through the event parser and, when they parse, the SQL renderer.
// Refusals (tapedeck::Error) are the expected outcome for bad input; anything else (another
// exception, a sanitizer report, a hang) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "transform/event_parser.hpp"
#include "transform/sql_renderer.hpp"
#include "transform/table_info.hpp"

namespace {

using namespace tapedeck::transform;

// Catalog types a fuzzed column may get, so values are also decoded by catalog type.
constexpr const char* kTypes[] = {"integer",
                                  "bigint",
                                  "smallint",
                                  "boolean",
                                  "real",
                                  "double precision",
                                  "numeric(10,2)",
                                  "numeric",
                                  "text",
                                  "character varying(20)",
                                  "date",
                                  "time without time zone",
                                  "time with time zone",
                                  "timestamp without time zone",
                                  "timestamp with time zone",
                                  "interval",
                                  "bytea",
                                  "bit(8)",
                                  "bit varying",
                                  "json",
                                  "jsonb",
                                  "uuid",
                                  "point",
                                  "money",
                                  "integer[]",
                                  "text[]",
                                  "numeric(5,1)[]",
                                  "public.mood"};

// A table whose columns are the event's own, with types chosen by `salt`.
TableInfo table_for(const ChangeEvent& event, std::uint8_t salt) {
  std::vector<ColumnInfo> columns;
  std::vector<std::string> key;
  const auto add = [&](const Row& row) {
    for (const auto& field : row) {
      bool known = false;
      for (const auto& column : columns) known = known || column.name == field.name;
      if (known) continue;
      const std::size_t type = (std::hash<std::string>{}(field.name) + salt) % std::size(kTypes);
      columns.emplace_back(field.name, kTypes[type]);
      if (key.empty() && (salt & 1)) key.push_back(field.name);
    }
  };
  if (event.before) add(*event.before);
  if (event.after) add(*event.after);
  return TableInfo(event.source.schema, event.source.table, std::move(columns), std::move(key),
                   (salt & 2) != 0);
}

void render(const SqlRenderer& renderer, const ChangeEvent& event, const TableInfo* table) {
  try {
    const RenderedStatement statement = renderer.render(event, table);
    // A statement always ends without a semicolon (the exporter adds one) and is not empty.
    if (!statement.skipped && (statement.sql.empty() || statement.sql.back() == ';')) {
      __builtin_trap();
    }
  } catch (const tapedeck::Error&) {
    // refused: the service dead-letters it
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One parser for the whole run, as one consumer thread keeps one (its buffers are reused).
  static EventParser parser(ParseOptions{1u << 20});
  static const SqlRenderer precise{};
  static const SqlRenderer as_string{DecodeOptions{DecimalHandling::string}};
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  const std::uint8_t salt = size > 0 ? data[size / 2] : 0;

  try {
    const ChangeEvent event = parser.parse_change_event(json);
    render(precise, event, nullptr);
    const TableInfo table = table_for(event, salt);
    render(precise, event, &table);
    render(as_string, event, &table);
  } catch (const tapedeck::Error&) {
    // not a change event
  }
  try {
    const TransactionMetadata metadata = parser.parse_transaction_metadata(json);
    (void)metadata.tx_id();
  } catch (const tapedeck::Error&) {
    // not transaction metadata
  }
  return 0;
}
