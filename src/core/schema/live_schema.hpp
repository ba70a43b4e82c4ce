// tapedeck's own tables in the Live DB: the system time the timekeeper writes and the
// snapshot metadata the backup job records.
#pragma once

#include <span>

#include "core/pg/connection.hpp"
#include "core/pg/migrate.hpp"

namespace tapedeck::schema {

std::span<const pg::Migration> live_migrations();

int migrate_live(pg::Connection& live);

// Tables of the Live DB that capture leaves out of the publication: snapshot metadata
// describes the recording, it is not part of what is recorded.
inline constexpr const char* kUnrecordedLiveTables[] = {
    "tapedeck.backups", "tapedeck.backup_uploads", "tapedeck.schema_migrations"};

}  // namespace tapedeck::schema
