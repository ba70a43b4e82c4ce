// Quoting of SQL identifiers and literals (standard_conforming_strings = on).
#include "core/sql_quote.hpp"

#include <cstring>

#include "core/error.hpp"

namespace tapedeck::sql {
namespace {

// Appends `text` between two `quote` characters, doubling each `quote` inside.
void append_quoted(std::string& out, std::string_view text, char quote, const char* what) {
  if (std::memchr(text.data(), '\0', text.size()) != nullptr) {
    throw Error(ErrorSource::input, Recovery::invalid,
                std::string(what) +
                    " contains a NUL byte, which PostgreSQL text cannot hold; remove it at the "
                    "source");
  }
  out.reserve(out.size() + text.size() + 2);
  out.push_back(quote);
  std::size_t start = 0;
  for (std::size_t at = text.find(quote); at != std::string_view::npos;
       at = text.find(quote, at + 1)) {
    out.append(text.data() + start, at + 1 - start);
    out.push_back(quote);
    start = at + 1;
  }
  out.append(text.data() + start, text.size() - start);
  out.push_back(quote);
}

}  // namespace

void append_identifier(std::string& out, std::string_view name) {
  append_quoted(out, name, '"', "an SQL identifier");
}

std::string quote_identifier(std::string_view name) {
  std::string out;
  append_identifier(out, name);
  return out;
}

void append_literal(std::string& out, std::string_view text) {
  append_quoted(out, text, '\'', "an SQL string literal");
}

std::string quote_literal(std::string_view text) {
  std::string out;
  append_literal(out, text);
  return out;
}

void quote_literal_in_place(std::string& out, std::size_t from) {
  const std::string_view text = std::string_view(out).substr(from);
  if (text.find('\0') != std::string_view::npos) {
    out.resize(from);
    append_literal(out, std::string_view("\0", 1));  // throws the NUL error
  }
  std::size_t quotes = 0;
  for (char c : text) quotes += c == '\'' ? 1 : 0;
  if (quotes == 0) {
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(from), '\'');
    out.push_back('\'');
    return;
  }
  const std::string copy(text);
  out.resize(from);
  append_literal(out, copy);
}

void append_qualified_name(std::string& out, std::string_view schema, std::string_view name) {
  if (!schema.empty()) {
    append_identifier(out, schema);
    out.push_back('.');
  }
  append_identifier(out, name);
}

std::string qualified_name(std::string_view schema, std::string_view name) {
  std::string out;
  append_qualified_name(out, schema, name);
  return out;
}

}  // namespace tapedeck::sql
