// The shape of a recorded statement where it is a contract between transform, which renders
// it, and msgop, which applies it.
#pragma once

#include <string_view>

namespace tapedeck::recorded_statement {

// A TRUNCATE event is rendered as this prefix and one quoted table name. One TRUNCATE of
// several tables arrives as one such statement per table, in a row; msgop applies such a run
// as one command, since PostgreSQL refuses to truncate a table referenced by a foreign key
// unless the referencing table is truncated by the same command.
inline constexpr std::string_view kTruncateOnly = "TRUNCATE ONLY ";

}  // namespace tapedeck::recorded_statement
