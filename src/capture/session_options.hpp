// The Live DB connection string for the replication connection, with the session settings
// the value codec expects (DateStyle ISO, IntervalStyle postgres, extra_float_digits 3) and
// money's one locale (core/money_locale.hpp).
#pragma once

#include <string>
#include <string_view>

namespace tapedeck::capture {

// The `-c` settings pgoutput's text output must be produced under (value_codec.hpp).
inline constexpr std::string_view kReplicationSessionOptions =
    "-c datestyle=ISO -c intervalstyle=postgres -c extra_float_digits=3";

// `dsn` (key=value or postgres[ql]:// URI) with kReplicationSessionOptions and
// kMoneyLocaleOption appended to its `options` (added when absent, kept after what the DSN says
// otherwise, so ours win). Pure.
// A DSN that cannot be parsed (unterminated quote, key without '=') throws
// Error(config, invalid) without echoing the DSN, which may hold a password.
std::string with_session_options(std::string_view dsn);

}  // namespace tapedeck::capture
