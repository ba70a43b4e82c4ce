// Connection strings as they may appear in logs: every secret masked.
#pragma once

#include <string>
#include <string_view>

namespace tapedeck::pg {

// `dsn` (key=value or postgresql:// URI form) rewritten as key=value pairs with every
// secret option (password, sslpassword: the ones libpq marks for hidden display) shown as
// "********". A string libpq cannot parse gives "<unparseable connection string>" so that
// nothing of it, and so no password, is ever printed.
std::string mask_dsn(std::string_view dsn);

}  // namespace tapedeck::pg
