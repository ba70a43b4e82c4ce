// Slot safety: gauges, the low-room warning and the lost-slot error.
#include "capture/slot_guard.hpp"

#include <fmt/format.h>

namespace tapedeck::capture {

double wal_status_code(std::string_view wal_status) {
  if (wal_status == "reserved") return 0;
  if (wal_status == "extended") return 1;
  if (wal_status == "unreserved") return 2;
  if (wal_status == "lost") return 3;
  return -1;
}

std::optional<std::string> slot_retention_warning(std::string_view slot,
                                                  const pg::SlotRetention& retention,
                                                  double fraction) {
  if (retention.max_slot_wal_keep_bytes < 0 || !retention.safe_wal_size) return std::nullopt;
  const double limit = static_cast<double>(retention.max_slot_wal_keep_bytes) * fraction;
  if (static_cast<double>(*retention.safe_wal_size) >= limit) return std::nullopt;
  return fmt::format(
      "replication slot {} retains {} bytes of WAL; only {} bytes more (safe_wal_size) before "
      "PostgreSQL invalidates it (max_slot_wal_keep_size {} bytes, warning below {:.0f}%): "
      "make transform and NATS catch up, or raise max_slot_wal_keep_size",
      slot, retention.retained_bytes, *retention.safe_wal_size, retention.max_slot_wal_keep_bytes,
      fraction * 100);
}

Error lost_slot_error(std::string_view slot) {
  return Error(ErrorSource::config, Recovery::fail,
               fmt::format("replication slot {} is lost (wal_status = 'lost'): PostgreSQL removed "
                           "WAL it still needed, so changes are missing from the recording. Drop "
                           "the slot (SELECT pg_drop_replication_slot('{}')), start capture again "
                           "(it creates a new slot), then take a fresh backup (tapedeck "
                           "backup run) so no session spans the gap; see docs/operations.md, "
                           "\"A lost replication slot\"",
                           slot, slot));
}

}  // namespace tapedeck::capture
