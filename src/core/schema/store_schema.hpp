// The TransformMsg DB ("store"): recorded statements, RTUS calls, dead letters. Written by
// transform, read by msgop and `tapedeck statements`, trimmed by the scheduler.
#pragma once

#include <span>

#include "core/pg/connection.hpp"
#include "core/pg/migrate.hpp"

namespace tapedeck::schema {

std::span<const pg::Migration> store_migrations();

// Creates or upgrades the store schema; returns its version.
int migrate_store(pg::Connection& store);

// For tools that only read the store: pg::require_schema for the TransformMsg DB (store.dsn).
void require_store(pg::Connection& store);

}  // namespace tapedeck::schema
