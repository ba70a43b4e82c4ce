// The Live DB catalog as transform needs it: TableInfo per table, cached, refreshed on demand.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "core/lsn.hpp"
#include "core/pg/connection.hpp"
#include "transform/change_event.hpp"
#include "transform/event_processor.hpp"
#include "transform/table_info.hpp"

namespace tapedeck::transform {

// Reads tables from the Live DB (column types printed by format_type() with search_path ''
// so user types come schema-qualified, domain base types, the replica identity key: the
// primary key, or the REPLICA IDENTITY USING INDEX columns; REPLICA IDENTITY FULL) and keeps
// them until refresh(). A table the catalog does not have is cached as absent too.
// Also supplies a recent full xid (for widen_xid), refreshed every `xid_refresh`.
// Owns its connection; one thread. Throws Error(postgres, retry) when the Live DB is down.
class Catalog final : public TableSource {
 public:
  explicit Catalog(std::string live_dsn,
                   std::chrono::milliseconds xid_refresh = std::chrono::minutes(1));

  // The table, or null when the Live DB has no such table.
  std::shared_ptr<const TableInfo> find(const std::string& schema,
                                        const std::string& table) override;
  // Forgets the cached entry so the next find() reads the catalog again.
  void refresh(const std::string& schema, const std::string& table) override;
  // Records which row schema the last event of a table carried and forgets the cached entry
  // when it differs from the previous one: the table's definition changed.
  void note_schema(const std::string& schema, const std::string& table,
                   const void* row_schema) override;

  // pg_current_snapshot()'s xmax, read at most every xid_refresh.
  Xid reference_xid() override;

  std::uint64_t loads() const { return loads_; }

 private:
  std::shared_ptr<const TableInfo> load(const std::string& schema, const std::string& table);
  pg::Connection& connection();

  std::string dsn_;
  std::unique_ptr<pg::Connection> connection_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const TableInfo>> tables_;
  std::map<std::pair<std::string, std::string>, const void*> schemas_;
  std::chrono::milliseconds xid_refresh_;
  std::chrono::steady_clock::time_point xid_read_at_;
  Xid xid_;
  std::uint64_t loads_ = 0;
};

}  // namespace tapedeck::transform
