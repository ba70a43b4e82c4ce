// Reading the shape of a recorded statement back: the head of a one-row INSERT.
#include "core/recorded_statement.hpp"

namespace tapedeck::recorded_statement {

namespace {

// Skips one double-quoted identifier at `at`; npos if none.
std::size_t skip_identifier(std::string_view text, std::size_t at) {
  if (at >= text.size() || text[at] != '"') return std::string_view::npos;
  return skip_quoted(text, at);
}

// Skips `expected` at `at`; npos if it is not there.
std::size_t skip(std::string_view text, std::size_t at, std::string_view expected) {
  if (at == std::string_view::npos || text.substr(at, expected.size()) != expected) {
    return std::string_view::npos;
  }
  return at + expected.size();
}

}  // namespace

std::size_t single_row_insert_head(std::string_view statement) {
  constexpr std::size_t npos = std::string_view::npos;
  std::size_t at = skip(statement, 0, "INSERT INTO ");
  at = at == npos ? npos : skip_identifier(statement, at);
  if (at != npos && at < statement.size() && statement[at] == '.') {
    at = skip_identifier(statement, at + 1);
  }
  at = skip(statement, at, " (");
  while (at != npos) {
    at = skip_identifier(statement, at);
    if (skip(statement, at, ", ") == npos) break;
    at += 2;
  }
  at = skip(statement, at, ")");
  if (at == npos) return 0;
  std::size_t values = skip(statement, at, " VALUES ");
  if (values == npos) values = skip(statement, at, " OVERRIDING SYSTEM VALUE VALUES ");
  if (values == npos || values >= statement.size() || statement[values] != '(' ||
      !statement.ends_with(')')) {
    return 0;
  }
  return values;
}

std::size_t skip_quoted(std::string_view text, std::size_t at) {
  if (at >= text.size() || (text[at] != '\'' && text[at] != '"')) return std::string_view::npos;
  const char quote = text[at];
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] != quote) continue;
    if (i + 1 < text.size() && text[i + 1] == quote) {
      ++i;
      continue;
    }
    return i + 1;
  }
  return std::string_view::npos;
}

}  // namespace tapedeck::recorded_statement
