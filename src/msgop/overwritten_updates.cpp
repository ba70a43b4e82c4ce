// Finding the UPDATEs of a catch-up group that a later UPDATE or DELETE of the same row makes
// void.
#include "msgop/overwritten_updates.hpp"

#include <charconv>
#include <unordered_map>
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
      at = recorded_statement::skip_quoted(text, at);
      if (at == std::string_view::npos) return std::nullopt;
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
    at = recorded_statement::skip_quoted(text, 0);
    if (at == std::string_view::npos) return std::nullopt;
    // The name inside, each doubled quote one.
    for (std::size_t i = 1; i + 1 < at; ++i) {
      name.push_back(text[i]);
      if (text[i] == '"') ++i;
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
// different values read alike; nullopt when a parameter number is out of range or a value is
// NULL (a NULL found by "=" is no row at all, never the same row as another).
std::optional<std::string> with_values(std::string_view value, const ShapedStatement& update) {
  std::string out;
  const bool read = for_each_parameter(
      value, [&](std::string_view text) { out.append(text); },
      [&](std::size_t number) {
        if (number > update.types.size() || update.values.is_null(number - 1)) return false;
        const std::string_view text = update.values.text(number - 1);
        out += '$';
        out += std::to_string(update.types[number - 1]);
        out += ':';
        out += std::to_string(text.size());
        out += ':';
        out.append(text);
        return true;
      });
  if (!read) return std::nullopt;
  return out;
}

// An INSERT as transform renders one (ON CONFLICT DO NOTHING for a snapshot read): it writes to
// no row that is already there. An upsert could read and write one.
bool adds_rows_only(std::string_view statement) {
  if (!statement.starts_with("INSERT INTO ")) return false;
  constexpr std::string_view kNothing = " ON CONFLICT DO NOTHING";
  const std::size_t conflict = statement.find(" ON CONFLICT ");
  return conflict == std::string_view::npos ||
         (conflict == statement.size() - kNothing.size() && statement.ends_with(kNothing));
}

// What an UPDATE or DELETE shape says of the row it finds: its table and key condition as
// written and, per key condition, the value's text and the text an UPDATE's SET writes to the
// same column, if it does. Nullopt for a shape that does not find one row by key this way.
// Shapes repeat, so overwritten_updates() reads each once.
struct KeyCondition {
  std::string_view value;
  std::optional<std::string_view> set_to;
};
struct RowParts {
  std::string_view table;
  std::string_view where;
  std::vector<KeyCondition> keys;
};

// The key conditions of `where`, with what `sets` writes to their columns.
bool read_keys(std::string_view where,
               const std::vector<std::pair<std::string, std::string_view>>& sets, RowParts& parts) {
  const auto conditions = split_top_level(where, " AND ");
  if (!conditions) return false;
  for (const std::string_view condition : *conditions) {
    const auto key = column_equals(condition);
    if (!key || !is_one_value(key->second)) return false;
    KeyCondition& part = parts.keys.emplace_back(KeyCondition{key->second, std::nullopt});
    for (const auto& [column, value] : sets) {
      if (column == key->first) part.set_to = value;
    }
  }
  parts.where = where;
  return true;
}

std::optional<RowParts> row_parts(std::string_view shape) {
  const bool update = shape.starts_with(recorded_statement::kUpdate);
  if (!update && !shape.starts_with(recorded_statement::kDelete)) return std::nullopt;
  const auto where_split = split_top_level(shape, " WHERE ");
  if (!where_split || where_split->size() != 2) return std::nullopt;
  // The table, and for an UPDATE its SET list, stand before the WHERE. Shorter than the prefix
  // where the separator took the prefix's space: "DELETE FROM WHERE …".
  std::string_view head = (*where_split)[0];
  const std::size_t prefix =
      update ? recorded_statement::kUpdate.size() : recorded_statement::kDelete.size();
  if (head.size() <= prefix) return std::nullopt;
  head.remove_prefix(prefix);
  std::vector<std::pair<std::string, std::string_view>> sets;
  if (update) {
    const auto set_split = split_top_level(head, " SET ");
    if (!set_split || set_split->size() != 2) return std::nullopt;
    head = (*set_split)[0];
    const auto assignments = split_top_level((*set_split)[1], ", ");
    if (!assignments) return std::nullopt;
    for (const std::string_view assignment : *assignments) {
      auto parsed = column_equals(assignment);
      if (!parsed) return std::nullopt;
      sets.push_back(std::move(*parsed));
    }
  }
  if (head.empty()) return std::nullopt;
  RowParts parts;
  parts.table = head;
  if (!read_keys((*where_split)[1], sets, parts)) return std::nullopt;
  return parts;
}

// Appends the row's key values to `identity`; false where an UPDATE changes its key: the SET
// must write each key column's condition text back, value for value.
bool append_key(const RowParts& parts, const ShapedStatement& statement, std::string& identity) {
  for (const KeyCondition& condition : parts.keys) {
    auto key_value = with_values(condition.value, statement);
    if (!key_value) return false;
    if (condition.set_to) {
      const auto set_value = with_values(*condition.set_to, statement);
      if (!set_value || *set_value != *key_value) return false;
    }
    identity += *key_value;
    identity.push_back('\0');
  }
  return true;
}

// The row an UPDATE or DELETE finds, the same text for both: its table and its key condition
// with the values in; nullopt when a value cannot be read.
std::optional<std::string> found_row(const RowParts& parts, const ShapedStatement& statement) {
  auto where = with_values(parts.where, statement);
  if (!where) return std::nullopt;
  std::string row(parts.table);
  row.push_back('\0');
  row += *where;
  return row;
}

}  // namespace

std::optional<std::string> overwritable_row(const ShapedStatement& update) {
  if (!update.shape.starts_with(recorded_statement::kUpdate)) return std::nullopt;
  const auto parts = row_parts(update.shape);
  if (!parts) return std::nullopt;
  std::string identity = update.shape;
  identity.push_back('\0');
  if (!append_key(*parts, update, identity)) return std::nullopt;
  return identity;
}

std::vector<bool> overwritten_updates(std::span<const RecordedTransaction> group) {
  std::size_t total = 0;
  for (const auto& transaction : group) total += transaction.statements.size();
  std::vector<bool> overwritten(total, false);
  // Each shape read once: its number (standing for the shape in an identity) and its parts.
  std::unordered_map<std::string, std::pair<std::size_t, std::optional<RowParts>>> shapes;
  auto parts_of = [&](const ShapedStatement& statement)
      -> const std::pair<std::size_t, std::optional<RowParts>>& {
    auto known = shapes.find(statement.shape);
    if (known == shapes.end()) {
      // The parts view the map's own copy of the shape, which stays where it is.
      known = shapes.emplace(statement.shape, std::pair{shapes.size(), std::nullopt}).first;
      known->second.second = row_parts(known->first);
    }
    return known->second;
  };
  // Back to the last statement that might move a row to another key: the rows the UPDATEs
  // after the current statement write (overwritable_row()'s identity, the shape as its number),
  // and the rows the DELETEs after it remove (found_row()).
  std::unordered_set<std::string> written_later;
  std::unordered_set<std::string> deleted_later;
  ShapedStatement shaped;
  std::string identity;
  std::size_t index = total;
  for (auto transaction = group.rbegin(); transaction != group.rend(); ++transaction) {
    for (auto statement = transaction->statements.rbegin();
         statement != transaction->statements.rend(); ++statement) {
      --index;
      if (statement->starts_with(recorded_statement::kDelete)) {
        if (shape_statement(*statement, shaped)) {
          const auto& parts = parts_of(shaped).second;
          if (parts) {
            if (auto row = found_row(*parts, shaped)) deleted_later.insert(std::move(*row));
          }
        }
        continue;
      }
      if (!statement->starts_with(recorded_statement::kUpdate)) {
        if (!adds_rows_only(*statement)) {
          written_later.clear();
          deleted_later.clear();
        }
        continue;
      }
      std::optional<std::string> row;
      if (shape_statement(*statement, shaped)) {
        const auto& [number, parts] = parts_of(shaped);
        identity = std::to_string(number);
        identity.push_back('\0');
        if (parts && append_key(*parts, shaped, identity)) row = found_row(*parts, shaped);
      }
      if (!row) {
        written_later.clear();
        deleted_later.clear();
      } else if (deleted_later.contains(*row) || !written_later.insert(identity).second) {
        overwritten[index] = true;
      }
    }
  }
  return overwritten;
}

}  // namespace tapedeck::msgop
