// Slot safety: what the slot's WAL retention means for capture (pure logic, no I/O).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/pg/replication_admin.hpp"

namespace tapedeck::capture {

// pg_replication_slots.wal_status as a gauge value: reserved 0, extended 1, unreserved 2,
// lost 3, anything else (an unknown or empty status) -1.
double wal_status_code(std::string_view wal_status);

// The warning to log when the slot may hold back only `fraction` (0..1) of
// max_slot_wal_keep_size more WAL before PostgreSQL invalidates it; nullopt when there is room
// or no limit (max_slot_wal_keep_size = -1).
std::optional<std::string> slot_retention_warning(std::string_view slot,
                                                  const pg::SlotRetention& retention,
                                                  double fraction);

// The error capture stops with once slot `slot` is lost (wal_status = 'lost'): final (config),
// naming the slot and the way back (docs/operations.md, "A lost replication slot").
Error lost_slot_error(std::string_view slot);

}  // namespace tapedeck::capture
