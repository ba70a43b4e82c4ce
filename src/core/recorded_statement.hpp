// The shape of a recorded statement where it is a contract between transform, which renders
// it, and msgop, which applies it.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "core/money_locale.hpp"

namespace tapedeck::recorded_statement {

// The session settings every recorded statement is read under, as `name = value`: its text is
// UTF-8 (events are JSON), literals are standard-conforming (a backslash is a character), NULL in
// an array literal is a null element, XML is read as content (which every stored value is, a
// document included), and money in the one locale capture read it in (kMoneyLocaleSetting).
// Whatever applies recorded statements sets them first (msgop on its session database
// connection, `statements export` at the top of its script), since a server or database
// configured otherwise would read the same text as other values, silently.
inline constexpr std::array<std::string_view, 5> kReadSettings = {
    "client_encoding = 'UTF8'", "standard_conforming_strings = on", "array_nulls = on",
    "xmloption = content", kMoneyLocaleSetting};

// A TRUNCATE event is rendered as this prefix and one quoted table name. One TRUNCATE of
// several tables arrives as one such statement per table, in a row; msgop applies such a run
// as one command, since PostgreSQL refuses to truncate a table referenced by a foreign key
// unless the referencing table is truncated by the same command.
inline constexpr std::string_view kTruncateOnly = "TRUNCATE ONLY ";

// An UPDATE (op 'u') or DELETE (op 'd') event is rendered as a statement starting with one of
// these that changes exactly one row where it was recorded (a key, or one of identical rows by
// ctid); msgop checks that it changes exactly one row in the session database too.
inline constexpr std::string_view kUpdate = "UPDATE ";
inline constexpr std::string_view kDelete = "DELETE FROM ";

// A DDL statement (op 'D') is rendered as this prefix (the search_path it ran under, for its
// transaction) followed by ";\n" and the DDL itself: two commands in one text, which msgop
// applies as one simple query (pipeline mode takes one command per statement).
inline constexpr std::string_view kDdlSearchPath = "SELECT pg_catalog.set_config('search_path', ";

// An INSERT (op 'c', 'r') of one row is rendered as `INSERT INTO <table> (<columns>) VALUES (...)`,
// with `OVERRIDING SYSTEM VALUE` before VALUES where it sets an identity column generated always,
// every identifier double-quoted. Consecutive ones that share everything before their row may go
// as one multi-row INSERT during catch-up: PostgreSQL coerces each row's values to the target
// columns exactly as for a single row. Returns the length of that shared head (up to the row's
// opening parenthesis), or 0 when `statement` is not such an insert (DEFAULT VALUES, ON
// CONFLICT, anything else). Pure.
std::size_t single_row_insert_head(std::string_view statement);

// Skips the quoted literal ('...') or identifier ("...") opening at `at`, where a doubled quote
// stands for one (standard-conforming strings, as every recorded statement is read): the
// position just past its closing quote, or npos when `at` opens none or it is never closed.
// Pure.
std::size_t skip_quoted(std::string_view text, std::size_t at);

}  // namespace tapedeck::recorded_statement
