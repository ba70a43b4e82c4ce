// How msgop's connection to a session database applies the recording: as a replica, so the
// database's own triggers and foreign-key actions stay quiet, and with sequences moved past the
// values the applied rows use.
#pragma once

#include <string>
#include <vector>

#include "core/pg/connection.hpp"

namespace tapedeck::msgop {

// Makes `target` apply recorded statements and nothing else: session_replication_role =
// replica turns off ordinary triggers, rules and the foreign-key triggers (so ON DELETE
// CASCADE, audit and touch triggers do not act a second time: their effects are already in
// the recording), and commits do not wait for their WAL flush (see make_durable in the
// runner). Throws Error(postgres, fail) naming the fix when the playback user may not set the
// role. Literals are read as transform writes them whatever the server's defaults say
// (recorded_statement::kReadSettings). Returns the triggers that fire all the same (ENABLE
// ALWAYS or ENABLE REPLICA), as "schema.table.trigger", for the caller to warn about.
std::vector<std::string> prepare_replay_target(pg::Connection& target);

// Moves every sequence owned by a column (serial, bigserial, identity) in `target` to at least
// the largest value that column holds, so an insert into the session database that takes the
// next value never collides with a replayed row (replayed inserts carry their keys and never
// call nextval). A sequence already further on keeps its position. Returns how many moved.
int advance_owned_sequences(pg::Connection& target);

}  // namespace tapedeck::msgop
