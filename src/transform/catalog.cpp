// Catalog queries against the Live DB.
#include "transform/catalog.hpp"

#include <charconv>

#include "core/error.hpp"

namespace tapedeck::transform {
namespace {

// Columns in attnum order: name, type, base type of a domain (or of an array of a domain),
// the table's replica identity and oid, whether the column is an identity GENERATED ALWAYS.
constexpr const char* kColumnsSql = R"(
SELECT a.attname,
       format_type(a.atttypid, a.atttypmod),
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod)
            WHEN e.typtype = 'd' THEN format_type(e.typbasetype, e.typtypmod) || '[]'
       END,
       c.relreplident,
       c.oid,
       a.attidentity = 'a'
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typlen = -1 AND t.typelem <> 0
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
ORDER BY a.attnum)";

// The replica identity key: the REPLICA IDENTITY USING INDEX columns when relreplident = 'i',
// else the primary key, in index column order.
constexpr const char* kKeySql = R"(
SELECT a.attname
FROM pg_catalog.pg_index i
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = $1::oid AND (CASE WHEN $2 = 'i' THEN i.indisreplident ELSE i.indisprimary END)
ORDER BY k.ord)";

}  // namespace

Catalog::Catalog(std::string live_dsn, std::chrono::milliseconds xid_refresh)
    : dsn_(std::move(live_dsn)), xid_refresh_(xid_refresh) {}

pg::Connection& Catalog::connection() {
  if (!connection_ || !connection_->alive()) {
    connection_.reset();
    auto connection = std::make_unique<pg::Connection>(dsn_, "tapedeck-transform-catalog");
    connection->exec("SET search_path = ''");
    connection_ = std::move(connection);
  }
  return *connection_;
}

std::shared_ptr<const TableInfo> Catalog::find(const std::string& schema,
                                               const std::string& table) {
  auto key = std::make_pair(schema, table);
  if (const auto found = tables_.find(key); found != tables_.end()) return found->second;
  auto info = load(schema, table);
  tables_.emplace(std::move(key), info);
  return info;
}

void Catalog::refresh(const std::string& schema, const std::string& table) {
  tables_.erase(std::make_pair(schema, table));
}

void Catalog::note_schema(const std::string& schema, const std::string& table,
                          const void* row_schema) {
  auto key = std::make_pair(schema, table);
  const auto found = schemas_.find(key);
  if (found == schemas_.end()) {
    schemas_.emplace(std::move(key), row_schema);
    return;
  }
  if (found->second == row_schema) return;
  found->second = row_schema;
  refresh(schema, table);
}

std::shared_ptr<const TableInfo> Catalog::load(const std::string& schema,
                                               const std::string& table) {
  ++loads_;
  auto& live = connection();
  const auto columns = live.exec_params(kColumnsSql, pg::Params::of(schema, table));
  if (columns.rows() == 0) return nullptr;
  std::vector<ColumnInfo> infos;
  infos.reserve(static_cast<std::size_t>(columns.rows()));
  for (int row = 0; row < columns.rows(); ++row) {
    infos.emplace_back(std::string(columns.text(row, 0)), std::string(columns.text(row, 1)),
                       std::string(columns.text(row, 2)));
    infos.back().identity_always = columns.get<bool>(row, 5);
  }
  const std::string identity(columns.text(0, 3));
  const std::string oid(columns.text(0, 4));
  const auto keys = live.exec_params(kKeySql, pg::Params::of(oid, identity));
  std::vector<std::string> key_columns;
  for (int row = 0; row < keys.rows(); ++row) key_columns.emplace_back(keys.text(row, 0));
  return std::make_shared<const TableInfo>(schema, table, std::move(infos), std::move(key_columns),
                                           identity == "f");
}

Xid Catalog::reference_xid() {
  const auto now = std::chrono::steady_clock::now();
  if (xid_.value == 0 || now - xid_read_at_ >= xid_refresh_) {
    const auto result =
        connection().exec("SELECT pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())");
    const auto text = result.text(0, 0);
    std::uint64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    xid_ = Xid{value};
    xid_read_at_ = now;
  }
  return xid_;
}

}  // namespace tapedeck::transform
