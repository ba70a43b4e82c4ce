// TypeResolver over the Live DB's catalog (pg_type, pg_enum, pg_attribute, pg_index).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capture/relation_cache.hpp"
#include "core/pg/connection.hpp"

namespace tapedeck::capture {

// Answers the RelationCache's catalog questions with one query each over a normal connection
// to the Live DB. The RelationCache caches the answers and asks again when a Relation message
// replaces a relation (ALTER TABLE, or a new stream), so nothing is cached here. The catalog
// is read as it is now, not as of the change's WAL position (Debezium does the same).
// Holds a reference to `live`, which must outlive it; used by the streaming thread only.
// A lost connection throws Error(postgres, retry): the stream is restarted.
// One column of a table in the publication, as the catalog says now.
struct PublishedColumn {
  std::string schema;
  std::string table;
  std::string column;
  std::uint32_t type_oid = 0;
  std::int32_t type_modifier = -1;
  std::string type_name;  // format_type(): "box", "numeric(10,2)", "public.mood[]"
};

class CatalogResolver final : public TypeResolver {
 public:
  explicit CatalogResolver(pg::Connection& live);

  std::optional<TypeInfo> resolve_type(std::uint32_t oid) override;
  RelationDetails relation_details(std::uint32_t relation_oid) override;
  // Every column of every table `publication` lists (dropped columns left out), so capture
  // can refuse a type it cannot carry before it streams.
  std::vector<PublishedColumn> published_columns(const std::string& publication);

 private:
  pg::Connection& live_;
};

}  // namespace tapedeck::capture
