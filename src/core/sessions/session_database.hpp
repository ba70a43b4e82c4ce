// A session's database on the playback server: the one place it is created, found and
// dropped (dbop restores into it, msgop and replaymgr drop it when the session ends).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/pg/connection.hpp"

namespace tapedeck::session {

// All take a connection to the playback server as a role allowed to create databases (any
// database of it, never the session database itself, which cannot be dropped from within).

// Creates `name` empty from template0, so nothing of template1 clashes with a dump's objects.
// Throws Error(postgres) when it exists already.
void create_database(pg::Connection& admin, std::string_view name);

// Drops `name` WITH (FORCE): connections still open on it are cut. No error when it does not
// exist.
void drop_database_if_exists(pg::Connection& admin, std::string_view name);

// Which of `names` exist on the server, in no particular order.
std::vector<std::string> existing_databases(pg::Connection& admin,
                                            const std::vector<std::string>& names);

}  // namespace tapedeck::session
