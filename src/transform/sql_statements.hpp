// A query string as PostgreSQL's simple query protocol splits it: statements and their tags.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tapedeck::transform {

// The statements of `query` in order, split at top-level semicolons. Quotes ('...', E'...',
// "..."), dollar quotes ($$...$$, $tag$...$tag$), line comments and nested block comments are
// honoured, and parentheses too (a semicolon inside them does not end a statement). Each
// statement is trimmed of the whitespace and comments around it, so it can be followed by
// ";" safely; empty statements are left out. Never throws: an unterminated quote or comment
// runs to the end of the text, as the server would refuse it anyway.
std::vector<std::string_view> split_statements(std::string_view query);

// The command tag a statement gets, as far as tapedeck replays schema changes:
// "CREATE TABLE", "CREATE TABLE AS", "ALTER TABLE", "DROP TABLE", "CREATE SCHEMA",
// "DROP SCHEMA", "CREATE INDEX", "DROP INDEX"; for any other statement its first two
// keywords upper-cased ("INSERT INTO", "BEGIN"). CREATE's modifiers (OR REPLACE, GLOBAL,
// LOCAL, TEMP, TEMPORARY, UNLOGGED, UNIQUE) are skipped.
std::string command_tag(std::string_view statement);

}  // namespace tapedeck::transform
