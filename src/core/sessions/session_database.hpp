// A session's database on the playback server: the one place it is created, found and
// dropped (dbop restores into it, msgop and replaymgr drop it when the session ends).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/pg/connection.hpp"

namespace tapedeck::session {

// All take a connection to the playback server as a role allowed to create databases (any
// database of it, never the session database itself, which cannot be dropped from within).

// The encoding and locale of the Live DB when a snapshot was taken (tapedeck.backups'
// database_locale): a session database created with them sorts, compares and classifies text
// as the Live DB did.
struct DatabaseLocale {
  std::string encoding;  // "UTF8"
  std::string collate;   // LC_COLLATE
  std::string ctype;     // LC_CTYPE
  char provider = 'c';   // pg_database.datlocprovider: c libc, i ICU, b builtin
  std::string locale;    // the ICU or builtin locale (daticulocale, datlocale)
};

// The JSON object the backup job records ({"encoding", "collate", "ctype", "provider",
// "locale"}). Throws Error(input, invalid) naming what is wrong.
DatabaseLocale parse_database_locale(std::string_view json);

// The CREATE DATABASE statement for `name` from template0 (nothing of template1 clashes with a
// dump's objects), with `locale` when given, for a server of major version `server_major`.
// Throws Error(config, invalid) when that server cannot take the locale's provider. Pure.
std::string create_database_sql(std::string_view name, const std::optional<DatabaseLocale>& locale,
                                int server_major);

// Creates `name` empty (create_database_sql). Throws Error(postgres) when it exists already or
// the server refuses the locale (one it does not have): the message names the locale.
void create_database(pg::Connection& admin, std::string_view name,
                     const std::optional<DatabaseLocale>& locale = std::nullopt);

// Drops `name` WITH (FORCE): connections still open on it are cut. No error when it does not
// exist.
void drop_database_if_exists(pg::Connection& admin, std::string_view name);

// Which of `names` exist on the server, in no particular order.
std::vector<std::string> existing_databases(pg::Connection& admin,
                                            const std::vector<std::string>& names);

}  // namespace tapedeck::session
