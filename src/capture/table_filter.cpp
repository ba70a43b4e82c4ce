// Which tables capture records: the publication's table list and the tables left out.
#include "capture/table_filter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <variant>

#include "core/error.hpp"
#include "core/schema/live_schema.hpp"

namespace tapedeck::capture {

pg::TableName parse_table_name(std::string_view text, std::string_view key) {
  const std::size_t dot = text.find('.');
  pg::TableName name;
  if (dot == std::string_view::npos) {
    name = {"public", std::string(text)};
  } else {
    name = {std::string(text.substr(0, dot)), std::string(text.substr(dot + 1))};
  }
  if (name.schema.empty() || name.name.empty()) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("{}: '{}' is not a table name; write schema.table", key, text));
  }
  return name;
}

TableFilter::TableFilter(std::vector<pg::TableName> include, std::vector<pg::TableName> exclude)
    : excluded_(std::move(exclude)) {
  for (const char* unrecorded : schema::kUnrecordedLiveTables) {
    excluded_.push_back(parse_table_name(unrecorded, "kUnrecordedLiveTables"));
  }
  for (auto& table : include) {
    if (!excluded(table.schema, table.name)) publication_tables_.push_back(std::move(table));
  }
  // Schema changes are part of the recording whichever tables it names.
  const pg::TableName schema_changes{schema::kSchemaChangesSchema, schema::kSchemaChangesTable};
  if (!publication_tables_.empty() && !excluded(schema_changes.schema, schema_changes.name) &&
      std::none_of(
          publication_tables_.begin(), publication_tables_.end(), [&](const pg::TableName& table) {
            return table.schema == schema_changes.schema && table.name == schema_changes.name;
          })) {
    publication_tables_.push_back(schema_changes);
  }
}

TableFilter TableFilter::from_lists(const std::vector<std::string>& include,
                                    const std::vector<std::string>& exclude) {
  std::vector<pg::TableName> included;
  std::vector<pg::TableName> excluded;
  for (const auto& name : include) {
    included.push_back(parse_table_name(name, "capture.include_tables"));
  }
  for (const auto& name : exclude) {
    excluded.push_back(parse_table_name(name, "capture.exclude_tables"));
  }
  return TableFilter(std::move(included), std::move(excluded));
}

bool TableFilter::excluded(std::string_view schema, std::string_view table) const {
  return std::any_of(excluded_.begin(), excluded_.end(), [&](const pg::TableName& name) {
    return name.schema == schema && name.name == table;
  });
}

bool TableFilter::admit(pgoutput::Message& message, const RelationCache& relations) const {
  auto excluded_oid = [&](std::uint32_t oid) {
    const RelationInfo* relation = relations.find(oid);
    return relation != nullptr && excluded(relation->schema, relation->name);
  };
  if (const auto* insert = std::get_if<pgoutput::Insert>(&message)) {
    return !excluded_oid(insert->relation_oid);
  }
  if (const auto* update = std::get_if<pgoutput::Update>(&message)) {
    return !excluded_oid(update->relation_oid);
  }
  if (const auto* del = std::get_if<pgoutput::Delete>(&message)) {
    return !excluded_oid(del->relation_oid);
  }
  if (auto* truncate = std::get_if<pgoutput::Truncate>(&message)) {
    std::erase_if(truncate->relation_oids, excluded_oid);
    return !truncate->relation_oids.empty();
  }
  return true;
}

}  // namespace tapedeck::capture
