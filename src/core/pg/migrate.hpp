// Versioned schema migrations: each component's tables are created and evolved by the project.
#pragma once

#include <span>
#include <string_view>

#include "core/pg/connection.hpp"

namespace tapedeck::pg {

struct Migration {
  int version;  // 1, 2, 3 ... in order, never renumbered once released
  std::string_view description;
  std::string_view sql;  // one or more statements
};

// Applies every migration of `component` newer than the version recorded in
// tapedeck.schema_migrations, each in its own transaction together with its record. An
// advisory lock per component lets several processes start at once: one migrates, the
// others wait and then find nothing to do. Returns the version the database is at.
// Throws Error(postgres, fail) naming the component and version when one fails, and
// Error(postgres, fail) when the database is at a newer version than this binary knows.
int migrate(Connection& connection, std::string_view component,
            std::span<const Migration> migrations);

// For tools that only read: checks, without changing anything, that the database holds
// `component`'s schema at the version this binary knows. Throws Error(postgres, not_found)
// when it holds none (the wrong database, or one no service has used yet) and Error(postgres,
// fail) when it is older or newer, each naming `database` (what the DSN is for) and what to do.
void require_schema(Connection& connection, std::string_view component,
                    std::span<const Migration> migrations, std::string_view database);

}  // namespace tapedeck::pg
