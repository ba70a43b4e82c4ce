// tapedeck.watermarks (TransformMsg DB): the one accessor. transform advances a stream's
// watermark (how far the store holds everything); capture reads it to confirm the slot only
// that far; `tapedeck statements stats` lists them. The DDL is in core/schema/store_schema.cpp.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lsn.hpp"
#include "core/pg/connection.hpp"

namespace tapedeck::recording::watermarks {

// Moves the watermark `name` to `lsn`, never backwards (a redelivered batch cannot rewind it).
void advance(pg::Connection& store, std::string_view name, Lsn lsn);

// The watermark `name`, or nullopt when none was written yet. Throws Error(postgres, fail)
// when the stored value is not an LSN.
std::optional<Lsn> read(pg::Connection& store, std::string_view name);

// How far the recording is proven complete: the commit time of the newest stored statement at
// or below the watermark `name` (everything up to that commit LSN is stored), or nullopt when
// there is no watermark or nothing stored below it. A session may treat the moments up to this
// time as recorded; the timekeeper's 1 Hz tick keeps it within about a second of the Live DB's
// clock while capture and transform keep up.
std::optional<std::chrono::sys_time<std::chrono::microseconds>> recorded_until(
    pg::Connection& store, std::string_view name);

// Whether the table exists yet: transform creates the store's tables, and a reader that
// starts first waits for it.
bool table_exists(pg::Connection& store);

struct Watermark {
  std::string name;
  std::string lsn;         // "16/B374D848"
  std::string updated_at;  // timestamptz as PostgreSQL prints it
};
// Every watermark, by name.
std::vector<Watermark> list(pg::Connection& store);

}  // namespace tapedeck::recording::watermarks
