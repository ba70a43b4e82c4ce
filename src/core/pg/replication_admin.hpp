// Publications and replication slots managed through a normal connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lsn.hpp"
#include "core/pg/connection.hpp"

namespace tapedeck::pg {

struct TableName {
  std::string schema;
  std::string name;
};

// Creates publication `name` FOR ALL TABLES (empty `tables`) or FOR TABLE the list, unless
// one of that name exists already (then it is left as it is: no table list is changed).
// Returns true when it created it. Safe against a concurrent creator.
bool ensure_publication(Connection& connection, std::string_view name,
                        const std::vector<TableName>& tables = {});
// Returns true when there was one to drop.
bool drop_publication(Connection& connection, std::string_view name);

struct SlotState {
  std::string plugin;
  bool active = false;
  Lsn restart_lsn;
  Lsn confirmed_flush_lsn;
  // pg_replication_slots.wal_status: reserved, extended, unreserved or lost (the slot was
  // invalidated: the WAL it needs is gone).
  std::string wal_status;
};
// The state of replication slot `slot`, nullopt when there is none.
std::optional<SlotState> replication_slot(Connection& connection, std::string_view slot);
// How much WAL `slot` holds back and how much more it may before PostgreSQL invalidates it.
struct SlotRetention {
  std::string wal_status;
  std::int64_t retained_bytes = 0;            // pg_current_wal_lsn() - restart_lsn (0 without one)
  std::optional<std::int64_t> safe_wal_size;  // NULL when max_slot_wal_keep_size = -1
  std::int64_t max_slot_wal_keep_bytes = -1;  // -1: no limit
};
// nullopt when there is no slot `slot`.
std::optional<SlotRetention> slot_retention(Connection& connection, std::string_view slot);
// Drops `slot` when it exists and returns true; a slot in use by a streaming connection
// throws Error (postgres, fail, 55006).
bool drop_replication_slot(Connection& connection, std::string_view slot);

}  // namespace tapedeck::pg
