// Session databases: CREATE, DROP ... WITH (FORCE) and the pg_database lookup.
#include "core/sessions/session_database.hpp"

#include <nlohmann/json.hpp>

#include "core/pg/params.hpp"
#include "core/sql_quote.hpp"

namespace tapedeck::session {

namespace {

// The names come as one JSON array parameter, so any number of them is one statement.
constexpr const char* kExistingQuery =
    "SELECT datname FROM pg_database WHERE datname IN "
    "(SELECT jsonb_array_elements_text($1::jsonb))";

}  // namespace

void create_database(pg::Connection& admin, std::string_view name) {
  admin.exec("CREATE DATABASE " + sql::quote_identifier(name) + " TEMPLATE template0");
}

void drop_database_if_exists(pg::Connection& admin, std::string_view name) {
  admin.exec("DROP DATABASE IF EXISTS " + sql::quote_identifier(name) + " WITH (FORCE)");
}

std::vector<std::string> existing_databases(pg::Connection& admin,
                                            const std::vector<std::string>& names) {
  std::vector<std::string> present;
  if (names.empty()) return present;
  const auto result =
      admin.exec_params(kExistingQuery, pg::Params::of(nlohmann::json(names).dump()));
  for (int row = 0; row < result.rows(); ++row) present.emplace_back(result.text(row, 0));
  return present;
}

}  // namespace tapedeck::session
