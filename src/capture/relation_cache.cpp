// Relations and types announced by the pgoutput stream, by oid, plus the catalog look-up hook.
#include "capture/relation_cache.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace tapedeck::capture {

const RelationInfo& RelationCache::apply(const pgoutput::Relation& relation) {
  RelationInfo info;
  info.oid = relation.oid;
  info.schema = std::string(relation.namespace_);
  info.name = std::string(relation.name);
  info.replica_identity = relation.replica_identity;
  info.version = next_version_++;
  info.columns.reserve(relation.columns.size());
  for (const auto& column : relation.columns) {
    info.columns.push_back(ColumnInfo{std::string(column.name), column.type_oid,
                                      column.type_modifier, column.key, false});
    types_.erase(column.type_oid);
  }
  RelationDetails details;
  if (resolver_ != nullptr) details = resolver_->relation_details(relation.oid);
  for (const std::string& name : details.not_null) {
    for (auto& column : info.columns) {
      if (column.name == name) column.not_null = true;
    }
  }
  if (details.primary_key) {
    for (const std::string& name : *details.primary_key) {
      for (std::size_t i = 0; i < info.columns.size(); ++i) {
        if (info.columns[i].name == name) info.key_columns.push_back(i);
      }
    }
  } else if (info.replica_identity == pgoutput::ReplicaIdentity::default_ ||
             info.replica_identity == pgoutput::ReplicaIdentity::index) {
    for (std::size_t i = 0; i < info.columns.size(); ++i) {
      if (info.columns[i].key) info.key_columns.push_back(i);
    }
  }
  auto& slot = relations_[relation.oid];
  slot = std::move(info);
  return slot;
}

void RelationCache::apply(const pgoutput::Type& type) {
  auto& slot = types_[type.oid];
  if (slot && slot->kind != TypeInfo::Kind::unknown) return;  // resolved facts win over the name
  TypeInfo info;
  info.oid = type.oid;
  info.namespace_ = std::string(type.namespace_);
  info.name = std::string(type.name);
  slot = std::move(info);
}

const RelationInfo* RelationCache::find(std::uint32_t oid) const {
  auto it = relations_.find(oid);
  return it == relations_.end() ? nullptr : &it->second;
}

const RelationInfo& RelationCache::get(std::uint32_t oid) const {
  const RelationInfo* info = find(oid);
  if (info == nullptr) {
    throw Error(ErrorSource::input, Recovery::not_found,
                fmt::format("change for relation oid {} arrived before its pgoutput Relation "
                            "message; restart streaming from the slot so PostgreSQL resends it",
                            oid));
  }
  return *info;
}

const TypeInfo* RelationCache::type(std::uint32_t oid) {
  auto it = types_.find(oid);
  if (it != types_.end() && it->second && it->second->kind != TypeInfo::Kind::unknown) {
    return &*it->second;
  }
  if (resolver_ != nullptr) {
    std::optional<TypeInfo> resolved = resolver_->resolve_type(oid);
    if (resolved) {
      auto& slot = types_[oid];
      slot = std::move(resolved);
      return &*slot;
    }
  }
  it = types_.find(oid);
  return it != types_.end() && it->second ? &*it->second : nullptr;
}

}  // namespace tapedeck::capture
