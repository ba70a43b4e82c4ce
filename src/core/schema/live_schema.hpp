// tapedeck's own tables in the Live DB: the system time the timekeeper writes, the
// snapshot metadata the backup job records, and the schema changes its event triggers record.
#pragma once

#include <span>
#include <string_view>

#include "core/pg/connection.hpp"
#include "core/pg/migrate.hpp"

namespace tapedeck::schema {

std::span<const pg::Migration> live_migrations();

// Applies the migrations, then install_schema_change_triggers().
int migrate_live(pg::Connection& live);

enum class SchemaChangeRecording { installed, installed_now, missing };

// Creates the event triggers that write tapedeck.schema_changes, with a baseline row of every
// table's shape, when they are missing. Needs a superuser: without one it logs a warning that
// names what is lost and the SQL to run, and returns `missing`.
SchemaChangeRecording install_schema_change_triggers(pg::Connection& live);

// The SQL that installs the triggers (the warning quotes it).
std::string_view schema_change_triggers_sql();

// The table the event triggers write: capture always publishes it, transform turns its rows
// into schema-change statements.
inline constexpr const char* kSchemaChangesSchema = "tapedeck";
inline constexpr const char* kSchemaChangesTable = "schema_changes";

// Tables of the Live DB that capture leaves out of the publication: snapshot metadata
// describes the recording, it is not part of what is recorded.
inline constexpr const char* kUnrecordedLiveTables[] = {
    "tapedeck.backups", "tapedeck.backup_uploads", "tapedeck.schema_migrations",
    "tapedeck.backup_checksums", "tapedeck.verifications"};

}  // namespace tapedeck::schema
