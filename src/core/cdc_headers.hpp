// NATS headers on change events: the contract between capture (which sets them) and
// transform (which reads them).
#pragma once

#include <string_view>

namespace tapedeck::cdc {

// The commit LSN of the event's transaction, "16/B374D848".
inline constexpr std::string_view kCommitLsnHeader = "Tapedeck-Commit-Lsn";
// The replica identity key columns as a JSON array, ["id","tenant"].
inline constexpr std::string_view kKeyColumnsHeader = "Tapedeck-Key-Columns";
// A primary key change is a delete of the old key and a create of the new row (Debezium's
// shape). The delete carries the new key, the create the old key, as Debezium 3.2+ does.
inline constexpr std::string_view kNewKeyHeader = "__debezium.newkey";
inline constexpr std::string_view kOldKeyHeader = "__debezium.oldkey";

}  // namespace tapedeck::cdc
