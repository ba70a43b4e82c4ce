// Finding the UPDATEs of a catch-up group that a later UPDATE of the same row overwrites.
#include "msgop/overwritten_updates.hpp"

#include <charconv>
#include <unordered_set>
#include <utility>

#include "core/recorded_statement.hpp"

namespace tapedeck::msgop {

namespace {

// The parts of `text` separated by `separator` where it stands outside quoted literals and
// identifiers and outside parentheses and brackets; nullopt when a quote is not closed.
std::optional<std::vector<std::string_view>> split_top_level(std::string_view text,
                                                             std::string_view separator) {
  std::vector<std::string_view> parts;
  int depth = 0;
  std::size_t part_start = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const char c = text[at];
    if (c == '\'' || c == '"') {
      // Standard-conforming: a doubled quote is the only escape.
      std::size_t end = at + 1;
      for (;;) {
        end = text.find(c, end);
        if (end == std::string_view::npos) return std::nullopt;
        if (end + 1 < text.size() && text[end + 1] == c) {
          end += 2;
          continue;
        }
        break;
      }
      at = end + 1;
      continue;
    }
    if (c == '(' || c == '[') ++depth;
    if ((c == ')' || c == ']') && depth > 0) --depth;
    if (depth == 0 && text.compare(at, separator.size(), separator) == 0) {
      parts.push_back(text.substr(part_start, at - part_start));
      at += separator.size();
      part_start = at;
      continue;
    }
    ++at;
  }
  parts.push_back(text.substr(part_start));
  return parts;
}

bool is_lower_identifier_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' && c <= '9');
}

// `"name" = <value>` or `name = <value>` (a lowercase bare name, which PostgreSQL reads as the
// quoted one): the column's name as PostgreSQL reads it and the value's text; nullopt otherwise.
std::optional<std::pair<std::string, std::string_view>> column_equals(std::string_view text) {
  std::string name;
  std::size_t at = 0;
  if (text.starts_with('"')) {
    at = 1;
    for (;;) {
      const std::size_t end = text.find('"', at);
      if (end == std::string_view::npos) return std::nullopt;
      name.append(text.substr(at, end - at));
      if (end + 1 < text.size() && text[end + 1] == '"') {
        name.push_back('"');
        at = end + 2;
        continue;
      }
      at = end + 1;
      break;
    }
  } else {
    while (at < text.size() && is_lower_identifier_char(text[at], at == 0)) ++at;
    if (at == 0) return std::nullopt;
    name = text.substr(0, at);
  }
  constexpr std::string_view kEquals = " = ";
  if (text.compare(at, kEquals.size(), kEquals) != 0) return std::nullopt;
  const std::string_view value = text.substr(at + kEquals.size());
  if (value.empty()) return std::nullopt;
  return std::pair{std::move(name), value};
}

// A condition's value that is one value: a parameter, with a cast after it or not. Anything
// more (an OR, a COLLATE, an expression) may not find one row by key.
bool is_one_value(std::string_view value) {
  if (!value.starts_with('$')) return false;
  std::size_t at = 1;
  while (at < value.size() && value[at] >= '0' && value[at] <= '9') ++at;
  if (at == 1) return false;
  std::string_view cast = value.substr(at);
  if (cast.empty()) return true;
  if (!cast.starts_with("::")) return false;
  cast.remove_prefix(2);
  std::string word;
  auto ends_the_type = [&] {
    for (const std::string_view keyword : {"OR", "AND", "NOT", "IS", "IN", "LIKE", "ILIKE",
                                           "SIMILAR", "BETWEEN", "COLLATE", "AT", "ESCAPE"}) {
      if (word == keyword) return true;
    }
    word.clear();
    return false;
  };
  for (const char c : cast) {
    const bool name_char =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (name_char) {
      word.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
      continue;
    }
    if (c != ' ' && c != '.' && c != '"' && c != '[' && c != ']' && c != '(' && c != ')' &&
        c != ',') {
      return false;
    }
    if (ends_the_type()) return false;
  }
  return !ends_the_type();
}

// `value` with each parameter replaced by its type and text, length-prefixed so that no two
// different values read alike; nullopt when a parameter number is out of range.
std::optional<std::string> with_values(std::string_view value, const ShapedStatement& update) {
  std::string out;
  std::size_t at = 0;
  while (at < value.size()) {
    const char c = value[at];
    if (c == '\'' || c == '"') {
      // A literal the shaper left in place (inside an array constructor, say): copied whole.
      std::size_t end = at + 1;
      for (;;) {
        end = value.find(c, end);
        if (end == std::string_view::npos) return std::nullopt;
        if (end + 1 < value.size() && value[end + 1] == c) {
          end += 2;
          continue;
        }
        break;
      }
      out.append(value.substr(at, end + 1 - at));
      at = end + 1;
      continue;
    }
    if (c != '$') {
      out.push_back(c);
      ++at;
      continue;
    }
    std::size_t end = at + 1;
    while (end < value.size() && value[end] >= '0' && value[end] <= '9') ++end;
    std::size_t number = 0;
    const auto parsed = std::from_chars(value.data() + at + 1, value.data() + end, number);
    if (parsed.ec != std::errc{} || number == 0 || number > update.types.size()) {
      return std::nullopt;
    }
    const std::string_view text = update.values.text(number - 1);
    out += '$';
    out += std::to_string(update.types[number - 1]);
    out += ':';
    out += std::to_string(text.size());
    out += ':';
    out.append(text);
    at = end;
  }
  return out;
}

}  // namespace

std::optional<std::string> overwritable_row(const ShapedStatement& update) {
  const std::string_view shape = update.shape;
  if (!shape.starts_with(recorded_statement::kUpdate)) return std::nullopt;
  const auto set_split = split_top_level(shape, " SET ");
  if (!set_split || set_split->size() != 2) return std::nullopt;
  const auto where_split = split_top_level((*set_split)[1], " WHERE ");
  if (!where_split || where_split->size() != 2) return std::nullopt;
  const auto assignments = split_top_level((*where_split)[0], ", ");
  const auto conditions = split_top_level((*where_split)[1], " AND ");
  if (!assignments || !conditions) return std::nullopt;

  std::vector<std::pair<std::string, std::string_view>> sets;
  for (const std::string_view assignment : *assignments) {
    auto parsed = column_equals(assignment);
    if (!parsed) return std::nullopt;
    sets.push_back(std::move(*parsed));
  }
  std::string identity(shape);
  identity.push_back('\0');
  for (const std::string_view condition : *conditions) {
    const auto key = column_equals(condition);
    if (!key || !is_one_value(key->second)) return std::nullopt;
    auto key_value = with_values(key->second, update);
    if (!key_value) return std::nullopt;
    // The key stays as it is only where the SET writes the condition's very text back.
    for (const auto& [column, value] : sets) {
      if (column != key->first) continue;
      const auto set_value = with_values(value, update);
      if (!set_value || *set_value != *key_value) return std::nullopt;
    }
    identity += *key_value;
    identity.push_back('\0');
  }
  return identity;
}

std::vector<bool> overwritten_updates(std::span<const RecordedTransaction> group) {
  std::size_t total = 0;
  for (const auto& transaction : group) total += transaction.statements.size();
  std::vector<bool> overwritten(total, false);
  // The rows the UPDATEs after the current statement write, back to the last statement that
  // might move a row to another key.
  std::unordered_set<std::string> written_later;
  ShapedStatement shaped;
  std::size_t index = total;
  for (auto transaction = group.rbegin(); transaction != group.rend(); ++transaction) {
    for (auto statement = transaction->statements.rbegin();
         statement != transaction->statements.rend(); ++statement) {
      --index;
      if (statement->starts_with(recorded_statement::kUpdate)) {
        std::optional<std::string> row;
        if (shape_statement(*statement, shaped)) row = overwritable_row(shaped);
        if (!row) {
          written_later.clear();
        } else if (!written_later.insert(std::move(*row)).second) {
          overwritten[index] = true;
        }
      } else if (!statement->starts_with("INSERT INTO ") &&
                 !statement->starts_with(recorded_statement::kDelete)) {
        written_later.clear();
      }
    }
  }
  return overwritten;
}

}  // namespace tapedeck::msgop
