// tapedeck.watermarks and tapedeck.watermark_holds (TransformMsg DB): the one accessor.
// transform advances a stream's watermark (how far the store holds everything) and holds it
// before transactions that arrived with messages missing; capture reads it to confirm the slot
// only that far; msgop and replaymgr read how far the recording is complete from it;
// `tapedeck statements stats` lists both. The DDL is in core/schema/store_schema.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lsn.hpp"
#include "core/pg/connection.hpp"

namespace tapedeck::recording::watermarks {

// Moves the watermark `name` to `lsn`, never backwards (a redelivered batch cannot rewind it),
// and never to or past a held transaction.
void advance(pg::Connection& store, std::string_view name, Lsn lsn);

// Holds the watermark `name` before the capture transaction at `commit_lsn`, whose message
// positions `missing` (an int8multirange literal) did not arrive. A transaction held already
// stays missing only what neither pass delivered. Returns whether it is held now (false: the
// passes together delivered everything).
bool hold(pg::Connection& store, std::string_view name, Lsn commit_lsn, std::string_view missing);
// The message at `position` of the transaction at `commit_lsn` arrived (an END: nothing after
// it is missing either). Returns whether that released a hold.
bool arrived(pg::Connection& store, std::string_view name, Lsn commit_lsn, std::uint64_t position,
             bool end);
// The held transactions of the watermark `name`, oldest first.
std::vector<Lsn> held(pg::Connection& store, std::string_view name);

// The held transactions (of any watermark) committed in the window (since, until] (timestamptz
// text; nullopt for no bound), described for a message, oldest first.
std::vector<std::string> held_in_window(pg::Connection& store,
                                        const std::optional<std::string>& since,
                                        const std::optional<std::string>& until);

struct Hold {
  std::string name;
  std::string commit_lsn;
  std::string missing;     // "{[2,3),[7,)}"
  std::string noticed_at;  // timestamptz as PostgreSQL prints it
};
// Every hold, by watermark and commit LSN.
std::vector<Hold> list_holds(pg::Connection& store);

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
