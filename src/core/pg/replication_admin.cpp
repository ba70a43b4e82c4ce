// Publication and slot administration with parameterised catalog queries.
#include "core/pg/replication_admin.hpp"

#include "core/error.hpp"
#include "core/sql_quote.hpp"

namespace tapedeck::pg {

namespace {
constexpr std::string_view kPublicationExists =
    "SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1";
constexpr std::string_view kSlotState =
    "SELECT plugin, active, restart_lsn::text, confirmed_flush_lsn::text, wal_status "
    "FROM pg_catalog.pg_replication_slots WHERE slot_name = $1";
// max_slot_wal_keep_size is in MB (-1: unlimited); restart_lsn is NULL once the slot is lost.
constexpr std::string_view kSlotRetention =
    "SELECT wal_status, "
    "COALESCE(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), restart_lsn), 0)"
    "::bigint, safe_wal_size, "
    "(SELECT CASE WHEN setting::bigint < 0 THEN -1 ELSE setting::bigint * 1048576 END "
    "FROM pg_catalog.pg_settings WHERE name = 'max_slot_wal_keep_size') "
    "FROM pg_catalog.pg_replication_slots WHERE slot_name = $1";
constexpr std::string_view kDropSlot =
    "SELECT pg_catalog.pg_drop_replication_slot(slot_name) "
    "FROM pg_catalog.pg_replication_slots WHERE slot_name = $1";
}  // namespace

bool ensure_publication(Connection& connection, std::string_view name,
                        const std::vector<TableName>& tables) {
  if (connection.exec_params(kPublicationExists, Params::of(name)).rows() > 0) return false;
  std::string sql = "CREATE PUBLICATION ";
  sql::append_identifier(sql, name);
  if (tables.empty()) {
    sql += " FOR ALL TABLES";
  } else {
    sql += " FOR TABLE ";
    for (std::size_t i = 0; i < tables.size(); ++i) {
      if (i > 0) sql += ", ";
      sql::append_qualified_name(sql, tables[i].schema, tables[i].name);
    }
  }
  try {
    connection.exec(sql);
  } catch (const Error& error) {
    if (error.code() == "42710") return false;  // created meanwhile by someone else
    throw;
  }
  return true;
}

bool drop_publication(Connection& connection, std::string_view name) {
  if (connection.exec_params(kPublicationExists, Params::of(name)).rows() == 0) return false;
  std::string sql = "DROP PUBLICATION IF EXISTS ";
  sql::append_identifier(sql, name);
  connection.exec(sql);
  return true;
}

std::optional<SlotState> replication_slot(Connection& connection, std::string_view slot) {
  const Result result = connection.exec_params(kSlotState, Params::of(slot));
  if (result.rows() == 0) return std::nullopt;
  SlotState state;
  state.plugin = result.get<std::optional<std::string>>(0, 0).value_or("");
  state.active = result.get<bool>(0, 1);
  if (!result.is_null(0, 2)) state.restart_lsn = Lsn::parse(result.text(0, 2)).value_or(Lsn{});
  if (!result.is_null(0, 3)) {
    state.confirmed_flush_lsn = Lsn::parse(result.text(0, 3)).value_or(Lsn{});
  }
  state.wal_status = result.get<std::optional<std::string>>(0, 4).value_or("");
  return state;
}

std::optional<SlotRetention> slot_retention(Connection& connection, std::string_view slot) {
  const Result result = connection.exec_params(kSlotRetention, Params::of(slot));
  if (result.rows() == 0) return std::nullopt;
  SlotRetention retention;
  retention.wal_status = result.get<std::optional<std::string>>(0, 0).value_or("");
  retention.retained_bytes = result.get<std::int64_t>(0, 1);
  if (!result.is_null(0, 2)) retention.safe_wal_size = result.get<std::int64_t>(0, 2);
  retention.max_slot_wal_keep_bytes = result.get<std::int64_t>(0, 3);
  return retention;
}

bool drop_replication_slot(Connection& connection, std::string_view slot) {
  return connection.exec_params(kDropSlot, Params::of(slot)).rows() > 0;
}

}  // namespace tapedeck::pg
