// The text form: PostgreSQL's own text output as a plain Connect string, for the types
// Debezium has no exact encoding for. Capture sends the output unchanged; transform quotes it
// and casts it to the column's type, so PostgreSQL's own input function reads it back.
#pragma once

#include <cstdint>
#include <string_view>

namespace tapedeck::debezium {

// --- PostgreSQL to Debezium (capture) ---

// The built-in types carried as their text form, by pg_type oid (stable across versions):
// the geometric types but point (box, path, polygon, circle, line, lseg), varbit (Debezium's
// Bits bytes lose its length), pg_lsn, tsquery and the built-in multiranges. User types
// decided by kind (composite, multirange, range) and whole arrays are capture's to choose:
// it knows them from the catalog, not by number.
bool is_text_form_builtin(std::uint32_t type_oid);

// --- Debezium to PostgreSQL (transform) ---

// True when a string arriving for an array column is the whole array's text form
// ("{...}", or "[1:2]={...}" with explicit bounds) rather than a value Debezium writes for a
// column it has no converter for (include.unknown.datatypes' base64 has neither '{' nor '[').
bool is_array_text_form(std::string_view text);

// True when a timetz string is PostgreSQL's text form ("12:00:00+05", the offset kept) rather
// than Debezium's io.debezium.time.ZonedTime ("07:00:00Z", normalised to UTC).
bool is_timetz_text_form(std::string_view text);

}  // namespace tapedeck::debezium
