// PostgreSQL client programs (pg_dump, pg_restore) run as children: which binary, and how to
// hand them a connection string without putting its password on the command line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tapedeck::pg {

// The client program `name` to use for a server of major version `server_major`: the one in
// /usr/lib/postgresql/<major>/bin when present (a client must not be older than the server),
// else `name` from PATH. Throws Error(config, not_found) when there is none.
std::string find_client_program(std::string_view name, int server_major);

// libpq environment variables (PGHOST=..., PGPASSWORD=...) for every option `dsn` sets, so a
// client program connects where the DSN says without the password on its command line (where
// `ps` would show it). Options libpq has no variable for are left out. PGOPTIONS (the DSN's
// options, else the inherited PGOPTIONS) ends with kMoneyLocaleOption: pg_dump writes money and
// pg_restore reads it in the same locale whatever the servers' own. Throws Error(config,
// invalid) naming `setting` (the key the DSN came from) when libpq cannot parse it, without
// repeating the DSN: it may hold a password.
std::vector<std::string> libpq_environment(std::string_view dsn, std::string_view setting);

}  // namespace tapedeck::pg
