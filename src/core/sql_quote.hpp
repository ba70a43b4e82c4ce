// The one SQL quoting module: identifiers and string literals rendered so no value can escape.
#pragma once

#include <string>
#include <string_view>

namespace tapedeck::sql {

// Literals assume standard_conforming_strings = on (the PostgreSQL default since 9.1):
// inside '...' only the quote is special, so it is doubled and a backslash stays a
// backslash. A session that turned the setting off must not run these statements.
//
// Every function refuses a NUL byte (PostgreSQL text cannot hold one) with
// Error(input, invalid). They are pure and thread-safe.

// "name" with every '"' doubled. Always quoted, so case and reserved words survive.
std::string quote_identifier(std::string_view name);
void append_identifier(std::string& out, std::string_view name);

// 'text' with every '\'' doubled.
std::string quote_literal(std::string_view text);
void append_literal(std::string& out, std::string_view text);

// Turns the text appended to `out` from offset `from` on into a quoted literal in place
// (same rules as append_literal), so a value can be formatted straight into the statement.
void quote_literal_in_place(std::string& out, std::size_t from);

// "schema"."name"; an empty schema gives the bare quoted "name".
std::string qualified_name(std::string_view schema, std::string_view name);
void append_qualified_name(std::string& out, std::string_view schema, std::string_view name);

}  // namespace tapedeck::sql
