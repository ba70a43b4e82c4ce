// Relations and types announced by the pgoutput stream, by oid, plus the catalog look-up hook.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "capture/pgoutput.hpp"

namespace tapedeck::capture {

// What capture needs to know about a type that is not built in. Filled by a TypeResolver from
// pg_type / pg_enum (the I/O side), or from a pgoutput Type message (name only, kind unknown).
struct TypeInfo {
  enum class Kind { unknown, base, enum_, domain, array, composite, range, multirange };

  std::uint32_t oid = 0;
  std::string namespace_;
  std::string name;  // pg_type.typname, e.g. "mood", "hstore", "_mood"
  Kind kind = Kind::unknown;
  std::vector<std::string> enum_labels;  // enum: labels in enumsortorder
  std::uint32_t base_oid = 0;            // domain: the base type
  std::int32_t base_type_modifier = -1;  // domain: the base type's typmod (pg_type.typtypmod)
  std::uint32_t element_oid = 0;         // array: the element type
};

// Catalog facts of a relation that pgoutput does not send.
struct RelationDetails {
  std::vector<std::string> not_null;  // names of NOT NULL columns (pg_attribute.attnotnull)
  // Primary key column names in key order; nullopt when not known. Under REPLICA IDENTITY FULL
  // pgoutput flags every column as a key column, so only the catalog knows the real key.
  std::optional<std::vector<std::string>> primary_key;
};

// Looks up catalog facts that pgoutput does not send. Implemented by the I/O side over a normal
// connection to the Live DB; called from the thread that owns the RelationCache: relation_details
// when a Relation message arrives, resolve_type the first time a non-built-in type oid is used
// after that. May throw Error (postgres, ...), which the caller treats like a lost connection.
class TypeResolver {
 public:
  virtual ~TypeResolver() = default;
  // nullopt when the type does not exist (anymore).
  virtual std::optional<TypeInfo> resolve_type(std::uint32_t oid) = 0;
  // Default: nothing known (all columns nullable, key from the replica identity flags).
  virtual RelationDetails relation_details(std::uint32_t /*relation_oid*/) { return {}; }
};

struct ColumnInfo {
  std::string name;
  std::uint32_t type_oid = 0;
  std::int32_t type_modifier = -1;
  bool key = false;       // part of the replica identity (pgoutput flag)
  bool not_null = false;  // from TypeResolver::relation_details
};

// A relation as last announced. `version` grows every time the relation is replaced, so caches
// built from it (the encoder's per-relation schema) know when to rebuild.
struct RelationInfo {
  std::uint32_t oid = 0;
  std::string schema;  // pgoutput sends "" for pg_catalog; kept as sent
  std::string name;
  pgoutput::ReplicaIdentity replica_identity = pgoutput::ReplicaIdentity::default_;
  std::vector<ColumnInfo> columns;
  // Indexes into `columns` of the row's key, as Debezium's event key: the primary key when the
  // resolver knows it, else the replica identity columns unless the identity is FULL/NOTHING.
  std::vector<std::size_t> key_columns;
  std::uint64_t version = 0;
};

// Owns the relations and types seen on one replication stream. Single-threaded: the stream's
// reader thread applies messages and the encoder reads, one after the other. A relation is
// replaced whole when a new Relation message arrives (ALTER TABLE mid-stream); PostgreSQL
// re-sends the Relation after every reconnect, so nothing needs to survive a restart.
class RelationCache {
 public:
  explicit RelationCache(TypeResolver* resolver = nullptr) : resolver_(resolver) {}

  // Stores (or replaces) a relation; the strings are copied. Asks the resolver for the NOT NULL
  // columns, and forgets what it knew of the column types, so an enum that gained a label or a
  // changed domain is looked up again.
  const RelationInfo& apply(const pgoutput::Relation& relation);
  // Remembers the namespace and name of a type announced with a Type message.
  void apply(const pgoutput::Type& type);

  const RelationInfo* find(std::uint32_t oid) const;
  // Throws Error(input, not_found) when no Relation message announced `oid`.
  const RelationInfo& get(std::uint32_t oid) const;

  // Catalog facts of a non-built-in type, resolved on first use; nullptr when unknown.
  const TypeInfo* type(std::uint32_t oid);

 private:
  TypeResolver* resolver_;
  std::unordered_map<std::uint32_t, RelationInfo> relations_;
  std::unordered_map<std::uint32_t, std::optional<TypeInfo>> types_;
  std::uint64_t next_version_ = 1;
};

}  // namespace tapedeck::capture
