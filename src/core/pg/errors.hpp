// PostgreSQL error classification: what a caller should do about a SQLSTATE.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace tapedeck::pg {

// Recovery::retry for failures a later attempt can get past: connection exceptions
// (class 08), admin/crash shutdown and cannot-connect-now (57P01..57P03), serialization
// failure (40001), deadlock (40P01) and insufficient resources (class 53). Recovery::fail
// for every other SQLSTATE. An empty SQLSTATE (libpq met the failure itself, without a
// server message) is treated as a lost connection: retry.
Recovery classify_sqlstate(std::string_view sqlstate);

// The statement as it appears in error messages and logs: runs of white space folded into
// one space, trimmed, and cut to `max_chars` with "..." when longer.
std::string shorten_sql(std::string_view sql, std::size_t max_chars = 120);

}  // namespace tapedeck::pg
