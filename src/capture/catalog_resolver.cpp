// TypeResolver over the Live DB's catalog (pg_type, pg_enum, pg_attribute, pg_index).
#include "capture/catalog_resolver.hpp"

#include <string>

#include "core/pg/params.hpp"

namespace tapedeck::capture {

namespace {

constexpr const char* kTypeStatement = "tapedeck_capture_type";
constexpr const char* kTypeQuery = R"(
SELECT n.nspname, t.typname, t.typtype, t.typcategory, t.typelem::int8, t.typbasetype::int8,
       t.typtypmod
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.oid = $1::int8::oid)";

constexpr const char* kEnumLabelStatement = "tapedeck_capture_enum_labels";
constexpr const char* kEnumLabelQuery = R"(
SELECT e.enumlabel FROM pg_catalog.pg_enum e
WHERE e.enumtypid = $1::int8::oid ORDER BY e.enumsortorder)";

constexpr const char* kNotNullStatement = "tapedeck_capture_not_null";
constexpr const char* kNotNullQuery = R"(
SELECT a.attname FROM pg_catalog.pg_attribute a
WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull
ORDER BY a.attnum)";

constexpr const char* kPrimaryKeyStatement = "tapedeck_capture_primary_key";
constexpr const char* kPrimaryKeyQuery = R"(
SELECT a.attname
FROM pg_catalog.pg_index i
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = $1::int8::oid AND i.indisprimary
ORDER BY k.position)";

constexpr const char* kPublishedColumnsStatement = "tapedeck_capture_published_columns";
constexpr const char* kPublishedColumnsQuery = R"(
SELECT p.schemaname::text, p.tablename::text, a.attname::text, a.atttypid::int8, a.atttypmod,
       pg_catalog.format_type(a.atttypid, a.atttypmod)
FROM pg_catalog.pg_publication_tables p
JOIN pg_catalog.pg_namespace n ON n.nspname = p.schemaname
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE p.pubname = $1
ORDER BY p.schemaname, p.tablename, a.attnum)";

TypeInfo::Kind kind_of(char typtype, char category, std::uint32_t element) {
  switch (typtype) {
    case 'e':
      return TypeInfo::Kind::enum_;
    case 'd':
      return TypeInfo::Kind::domain;
    case 'c':
      return TypeInfo::Kind::composite;
    case 'r':
      return TypeInfo::Kind::range;
    case 'm':
      return TypeInfo::Kind::multirange;
    case 'b':
      return category == 'A' && element != 0 ? TypeInfo::Kind::array : TypeInfo::Kind::base;
    default:
      return TypeInfo::Kind::unknown;
  }
}

}  // namespace

CatalogResolver::CatalogResolver(pg::Connection& live) : live_(live) {
  live_.prepare(kTypeStatement, kTypeQuery);
  live_.prepare(kEnumLabelStatement, kEnumLabelQuery);
  live_.prepare(kNotNullStatement, kNotNullQuery);
  live_.prepare(kPrimaryKeyStatement, kPrimaryKeyQuery);
  live_.prepare(kPublishedColumnsStatement, kPublishedColumnsQuery);
}

std::optional<TypeInfo> CatalogResolver::resolve_type(std::uint32_t oid) {
  const pg::Result result = live_.exec_prepared(kTypeStatement, pg::Params::of(oid));
  if (result.rows() == 0) return std::nullopt;
  TypeInfo info;
  info.oid = oid;
  info.namespace_ = result.get<std::string>(0, 0);
  info.name = result.get<std::string>(0, 1);
  const std::string typtype = result.get<std::string>(0, 2);
  const std::string category = result.get<std::string>(0, 3);
  info.element_oid = static_cast<std::uint32_t>(result.get<std::int64_t>(0, 4));
  info.kind = kind_of(typtype.empty() ? ' ' : typtype[0], category.empty() ? ' ' : category[0],
                      info.element_oid);
  if (info.kind == TypeInfo::Kind::domain) {
    info.base_oid = static_cast<std::uint32_t>(result.get<std::int64_t>(0, 5));
    info.base_type_modifier = result.get<int>(0, 6);
  }
  if (info.kind == TypeInfo::Kind::enum_) {
    // Labels one per row: a text[] literal would need parsing for quotes and commas.
    const pg::Result labels = live_.exec_prepared(kEnumLabelStatement, pg::Params::of(oid));
    for (int row = 0; row < labels.rows(); ++row) {
      info.enum_labels.push_back(labels.get<std::string>(row, 0));
    }
  }
  return info;
}

RelationDetails CatalogResolver::relation_details(std::uint32_t relation_oid) {
  RelationDetails details;
  const pg::Result not_null = live_.exec_prepared(kNotNullStatement, pg::Params::of(relation_oid));
  for (int row = 0; row < not_null.rows(); ++row) {
    details.not_null.push_back(not_null.get<std::string>(row, 0));
  }
  const pg::Result key = live_.exec_prepared(kPrimaryKeyStatement, pg::Params::of(relation_oid));
  if (key.rows() > 0) {
    std::vector<std::string> columns;
    for (int row = 0; row < key.rows(); ++row) columns.push_back(key.get<std::string>(row, 0));
    details.primary_key = std::move(columns);
  }
  return details;
}

std::vector<PublishedColumn> CatalogResolver::published_columns(const std::string& publication) {
  const pg::Result result =
      live_.exec_prepared(kPublishedColumnsStatement, pg::Params::of(publication));
  std::vector<PublishedColumn> columns;
  columns.reserve(static_cast<std::size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) {
    PublishedColumn column;
    column.schema = result.get<std::string>(row, 0);
    column.table = result.get<std::string>(row, 1);
    column.column = result.get<std::string>(row, 2);
    column.type_oid = static_cast<std::uint32_t>(result.get<std::int64_t>(row, 3));
    column.type_modifier = result.get<int>(row, 4);
    column.type_name = result.get<std::string>(row, 5);
    columns.push_back(std::move(column));
  }
  return columns;
}

}  // namespace tapedeck::capture
