// Migration runner.
#include "core/pg/migrate.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/pg/transaction.hpp"

namespace tapedeck::pg {

namespace {

constexpr std::string_view kBookkeeping = R"(
CREATE SCHEMA IF NOT EXISTS tapedeck;
CREATE TABLE IF NOT EXISTS tapedeck.schema_migrations (
  component   text        NOT NULL,
  version     integer     NOT NULL,
  description text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (component, version)
))";

constexpr std::string_view kLock =
    "SELECT pg_advisory_xact_lock(hashtext('tapedeck.migrate.' || $1))";
constexpr std::string_view kCurrent =
    "SELECT coalesce(max(version), 0) FROM tapedeck.schema_migrations WHERE component = $1";
constexpr std::string_view kRecord =
    "INSERT INTO tapedeck.schema_migrations (component, version, description) VALUES ($1, $2, $3)";

int latest_version(std::span<const Migration> migrations) {
  return migrations.empty() ? 0 : migrations.back().version;
}

}  // namespace

int migrate(Connection& connection, std::string_view component,
            std::span<const Migration> migrations) {
  {
    // CREATE ... IF NOT EXISTS still races between sessions; serialise on a global lock.
    Transaction setup(connection);
    setup.exec("SELECT pg_advisory_xact_lock(hashtext('tapedeck.migrate'))");
    setup.exec(kBookkeeping);
    setup.commit();
  }
  const int known = latest_version(migrations);
  int current = 0;
  for (const auto& migration : migrations) {
    Transaction step(connection);
    step.exec_params(kLock, Params::of(component));
    current = step.exec_params(kCurrent, Params::of(component)).get<int>(0, 0);
    if (current > known) {
      throw Error(
          ErrorSource::postgres, Recovery::fail,
          fmt::format("the {} schema is at version {}, newer than this tapedeck knows ({}); "
                      "run a newer tapedeck",
                      component, current, known));
    }
    if (migration.version <= current) continue;
    try {
      step.exec(migration.sql);
      step.exec_params(kRecord, Params::of(component, migration.version, migration.description));
      step.commit();
    } catch (const Error& error) {
      throw Error(ErrorSource::postgres, Recovery::fail,
                  fmt::format("migrating the {} schema to version {} ({}) failed: {}", component,
                              migration.version, migration.description, error.message()),
                  error.code())
          .caused_by(std::current_exception());
    }
    current = migration.version;
    log::get("migrate")->info("{} schema migrated to version {}: {}", component, current,
                              migration.description);
  }
  return std::max(current, known);
}

void require_schema(Connection& connection, std::string_view component,
                    std::span<const Migration> migrations, std::string_view database) {
  const bool bookkept =
      connection.exec("SELECT to_regclass('tapedeck.schema_migrations') IS NOT NULL")
          .get<bool>(0, 0);
  const int current =
      bookkept ? connection.exec_params(kCurrent, Params::of(component)).get<int>(0, 0) : 0;
  const int known = latest_version(migrations);
  if (current == 0) {
    throw Error(ErrorSource::postgres, Recovery::not_found,
                fmt::format("the {} holds no tapedeck {} schema: check its DSN, or start the "
                            "services that write it once",
                            database, component));
  }
  if (current != known) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("the {} schema of the {} is at version {}, this tapedeck reads "
                            "version {}: {}",
                            component, database, current, known,
                            current < known ? "start this tapedeck's services once to migrate it"
                                            : "run a newer tapedeck"));
  }
}

}  // namespace tapedeck::pg
