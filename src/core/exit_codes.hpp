// The process exit codes of `tapedeck`: one named constant each (documented in
// docs/operations.md), and the one rule that maps an error to its code.
#pragma once

#include "core/error.hpp"

namespace tapedeck::exit_code {

// Everything asked was done (a service: it stopped because it was told to).
inline constexpr int ok = 0;
// A failure: a server, the data or tapedeck itself; a service stopped by a failure it could
// not retry.
inline constexpr int failed = 1;
// The request itself is wrong: the configuration, the arguments or the input
// (Recovery::invalid). Running it again unchanged cannot help.
inline constexpr int invalid_input = 2;
// `tapedeck verify` ran to the end and the caught-up database differs from the newer backup.
inline constexpr int verify_diverged = 3;
// (Command-line syntax errors exit with CLI11's own codes, 100 and up; --help exits 0.)

// The exit code for a process that ends on `error`.
inline int for_error(const Error& error) {
  return error.recovery() == Recovery::invalid ? invalid_input : failed;
}

}  // namespace tapedeck::exit_code
