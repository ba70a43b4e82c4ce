// Which tables capture records: the publication's table list and the tables left out.
#include "capture/table_filter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <variant>

#include "core/error.hpp"
#include "core/schema/live_schema.hpp"

namespace tapedeck::capture {

namespace {

// A double-quoted identifier at the start of `text`, '""' standing for '"': its name and the
// length it took, or nullopt when the closing quote is missing.
std::optional<std::pair<std::string, std::size_t>> quoted_identifier(std::string_view text) {
  std::string name;
  for (std::size_t at = 1; at < text.size(); ++at) {
    if (text[at] != '"') {
      name.push_back(text[at]);
    } else if (at + 1 < text.size() && text[at + 1] == '"') {
      name.push_back('"');
      ++at;
    } else {
      return std::pair{std::move(name), at + 1};
    }
  }
  return std::nullopt;
}

}  // namespace

pg::TableName parse_table_name(std::string_view text, std::string_view key) {
  const auto invalid = [&](std::string_view why) {
    return Error(ErrorSource::config, Recovery::invalid,
                 fmt::format("{}: '{}' is not a table name ({}); write schema.table, with a part "
                             "that holds '.' or '\"' in double quotes (\"a.b\".\"t\"\"x\")",
                             key, text, why));
  };
  // Each part: a quoted identifier taken as written, or the text up to the first '.' (the
  // table: the rest), taken as written too (no case folding).
  std::vector<std::string> parts;
  std::string_view rest = text;
  while (true) {
    if (!rest.empty() && rest.front() == '"') {
      auto quoted = quoted_identifier(rest);
      if (!quoted) throw invalid("a quote is not closed");
      parts.push_back(std::move(quoted->first));
      rest.remove_prefix(quoted->second);
      if (rest.empty()) break;
      if (rest.front() != '.') throw invalid("text follows a closing quote");
      rest.remove_prefix(1);
    } else {
      const std::size_t dot = parts.empty() ? rest.find('.') : std::string_view::npos;
      parts.emplace_back(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    if (parts.size() == 2) throw invalid("more than two parts");
  }
  pg::TableName name = parts.size() == 1 ? pg::TableName{"public", std::move(parts[0])}
                                         : pg::TableName{std::move(parts[0]), std::move(parts[1])};
  if (name.schema.empty() || name.name.empty()) throw invalid("an empty part");
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
  included.reserve(include.size());
  excluded.reserve(exclude.size());
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
