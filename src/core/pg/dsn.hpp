// Connection strings: masked for logs, and re-targeted at another database.
#pragma once

#include <string>
#include <string_view>

namespace tapedeck::pg {

// `dsn` (key=value or postgresql:// URI form) rewritten as key=value pairs with every
// secret option (password, sslpassword: the ones libpq marks for hidden display) shown as
// "********". A string libpq cannot parse gives "<unparseable connection string>" so that
// nothing of it, and so no password, is ever printed.
std::string mask_dsn(std::string_view dsn);

// `dsn` (key=value or postgresql:// URI form) rewritten as key=value pairs with its dbname
// replaced by `dbname` (added when absent); every other option, secrets included, is kept
// as is, so the result connects to the same server as `dsn`. Used to reach a session
// database on the playback server named by playback.dsn. Throws Error(config, invalid)
// when libpq cannot parse `dsn` (the message never repeats the DSN, it may hold a password)
// or when `dbname` is empty.
std::string with_dbname(std::string_view dsn, std::string_view dbname);

// `dsn` with its dbname replaced as by with_dbname and every secret option (password,
// sslpassword) left out, so it can be handed to a client: the client connects with its own
// credentials (~/.pgpass, PGPASSWORD, a certificate). Throws as with_dbname does.
std::string with_dbname_without_secrets(std::string_view dsn, std::string_view dbname);

}  // namespace tapedeck::pg
