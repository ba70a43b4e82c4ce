// Taking a recorded statement's values out as parameters.
#include "msgop/statement_shape.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "core/recorded_statement.hpp"

namespace tapedeck::msgop {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool starts_identifier(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool equals_keyword(std::string_view word, std::string_view keyword) {
  if (word.size() != keyword.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != keyword[i]) return false;
  }
  return true;
}

// The scanner's type for an integer constant, by its value with its sign.
std::uint32_t integer_type(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return kNumericType;
  if (value >= std::numeric_limits<std::int32_t>::min() &&
      value <= std::numeric_limits<std::int32_t>::max()) {
    return kInt4Type;
  }
  return kInt8Type;
}

class Shaper {
 public:
  Shaper(std::string_view sql, ShapedStatement& out) : sql_(sql), out_(out) {
    out_.shape.clear();
    out_.types.clear();
    out_.values.clear();
  }

  bool run() {
    while (at_ < sql_.size()) {
      const char c = sql_[at_];
      if (c == '\'') {
        if (!literal()) return false;
      } else if (c == '"') {
        if (!quoted_identifier()) return false;
      } else if (starts_identifier(c)) {
        if (!identifier()) return false;
      } else if (is_digit(c) || (c == '-' && at_ + 1 < sql_.size() && is_digit(sql_[at_ + 1]) &&
                                 value_position())) {
        if (!number()) return false;
      } else if (c == ':' && at_ + 1 < sql_.size() && sql_[at_ + 1] == ':') {
        if (!type_name()) return false;
      } else if (c == '$' || c == ';' || (c == '-' && next_is('-')) || (c == '/' && next_is('*'))) {
        return false;  // a parameter, dollar quote, second command or comment
      } else {
        if (c == '[') ++brackets_;
        if (c == ']' && brackets_ > 0) --brackets_;
        copy(1);
        if (!is_space(c)) {
          last_ = c;
          last_word_ = {};
        }
      }
      if (out_.types.size() > kMaxParameters) return false;
    }
    return !out_.types.empty();
  }

 private:
  bool next_is(char c) const { return at_ + 1 < sql_.size() && sql_[at_ + 1] == c; }

  void copy(std::size_t length) {
    out_.shape.append(sql_.substr(at_, length));
    at_ += length;
  }

  // Where a value stands: after "(", "," or "=" outside brackets, or after DISTINCT FROM.
  bool value_position() const {
    if (brackets_ > 0) return false;
    if (last_ == '(' || last_ == ',' || last_ == '=') return true;
    return equals_keyword(last_word_, "FROM") && distinct_from_;
  }

  // Adds a parameter for `value` to the shape; false (the statement is left whole) where "$n"
  // would stand right after a letter or digit ("FROM-1" read as "FROM$1", one word).
  bool parameter(std::optional<std::string_view> value, std::uint32_t type) {
    if (!out_.shape.empty() && detail::continues_word(out_.shape.back())) return false;
    if (value) {
      out_.values.add(*value);
    } else {
      out_.values.add(std::nullopt);
    }
    out_.types.push_back(type);
    out_.shape.push_back('$');
    out_.shape.append(std::to_string(out_.types.size()));
    last_ = '$';
    last_word_ = {};
    return true;
  }

  bool literal() {
    // A letter right before the quote makes it E'', B'', X'', U&'' or N'': not followed here.
    if (at_ > 0 && (detail::continues_word(sql_[at_ - 1]) || sql_[at_ - 1] == '&')) return false;
    const std::size_t start = at_;
    bool doubled = false;
    std::size_t end = start + 1;
    for (;;) {
      end = sql_.find('\'', end);
      if (end == std::string_view::npos) return false;
      if (end + 1 < sql_.size() && sql_[end + 1] == '\'') {
        doubled = true;
        end += 2;
        continue;
      }
      break;
    }
    // Quoted literals separated by whitespace with a newline are one literal to PostgreSQL.
    std::size_t next = end + 1;
    bool newline = false;
    while (next < sql_.size() && is_space(sql_[next])) newline |= sql_[next++] == '\n';
    if (newline && next < sql_.size() && sql_[next] == '\'') return false;

    if (!value_position()) {
      copy(end + 1 - start);
      last_ = '\'';
      last_word_ = {};
      return true;
    }
    // "$1" followed by a digit or a letter would read as another parameter, or not at all.
    if (end + 1 < sql_.size() && detail::continues_word(sql_[end + 1])) return false;
    const std::string_view body = sql_.substr(start + 1, end - start - 1);
    if (body.find('\0') != std::string_view::npos) return false;
    std::string_view value = body;
    if (doubled) {
      unquoted_.clear();
      for (std::size_t i = 0; i < body.size(); ++i) {
        unquoted_.push_back(body[i]);
        if (body[i] == '\'') ++i;
      }
      value = unquoted_;
    }
    if (!parameter(value, kUnknownType)) return false;
    at_ = end + 1;
    return true;
  }

  bool quoted_identifier() {
    std::size_t end = at_ + 1;
    for (;;) {
      end = sql_.find('"', end);
      if (end == std::string_view::npos) return false;
      if (end + 1 < sql_.size() && sql_[end + 1] == '"') {
        end += 2;
        continue;
      }
      break;
    }
    copy(end + 1 - at_);
    last_ = '"';
    last_word_ = {};
    return true;
  }

  bool identifier() {
    std::size_t end = at_ + 1;
    while (end < sql_.size() && detail::continues_word(sql_[end])) ++end;
    const std::string_view word = sql_.substr(at_, end - at_);
    // NULL, true and false as transform writes them: a NULL is of unknown type as a quoted
    // literal is, and true or false a boolean, so as parameters they mean the same. Statements
    // then share their shape whatever a nullable or boolean column holds.
    if (value_position() && (word == "NULL" || word == "true" || word == "false")) {
      if (!parameter(word == "NULL" ? std::nullopt : std::optional(word),
                     word == "NULL" ? kUnknownType : kBoolType)) {
        return false;
      }
      at_ = end;
      return true;
    }
    // "IS [NOT] DISTINCT FROM <value>": FROM is a value position only there.
    distinct_from_ = equals_keyword(word, "FROM") && equals_keyword(last_word_, "DISTINCT");
    copy(end - at_);
    last_ = 'a';
    last_word_ = word;
    return true;
  }

  bool number() {
    const bool negative = sql_[at_] == '-';
    std::size_t end = at_ + (negative ? 1 : 0);
    while (end < sql_.size() && is_digit(sql_[end])) ++end;
    // 1.5, 1e3, 0x1F, 1_000 and the like stay as written.
    std::size_t token_end = end;
    while (token_end < sql_.size() && (starts_identifier(sql_[token_end]) ||
                                       is_digit(sql_[token_end]) || sql_[token_end] == '.')) {
      ++token_end;
    }
    const std::string_view text = sql_.substr(at_, end - at_);
    if (token_end != end || !value_position()) {
      copy(token_end - at_);
      last_ = '0';
      last_word_ = {};
      return true;
    }
    if (!parameter(text, integer_type(text))) return false;
    at_ = end;
    return true;
  }

  // "::" and the type after it, modifiers and array brackets included, as written. The type
  // ends where something else begins: a word that cannot be part of a type name, or any
  // character but a space, a dot or a bracket.
  bool type_name() {
    copy(2);
    for (;;) {
      std::size_t next = at_;
      while (next < sql_.size() && is_space(sql_[next])) ++next;
      if (next >= sql_.size()) break;
      const char c = sql_[next];
      if (starts_identifier(c)) {
        std::size_t end = next + 1;
        while (end < sql_.size() && detail::continues_word(sql_[end])) ++end;
        if (ends_type(sql_.substr(next, end - next))) break;
        copy(next - at_);
        identifier();
      } else if (c == '"') {
        copy(next - at_);
        if (!quoted_identifier()) return false;
      } else if (c == '.' || c == '[' || c == ']') {
        copy(next - at_ + 1);
        last_ = c;
        last_word_ = {};
      } else if (c == '(') {
        const std::size_t close = sql_.find(')', next);
        if (close == std::string_view::npos) return false;
        const std::string_view modifiers = sql_.substr(next, close + 1 - next);
        if (modifiers.find_first_of("'\"$;") != std::string_view::npos) return false;
        copy(close + 1 - at_);
        last_ = ')';
        last_word_ = {};
      } else {
        break;
      }
    }
    return true;
  }

  static bool ends_type(std::string_view word) {
    for (const std::string_view keyword :
         {"AND", "OR", "NOT", "IS", "WHERE", "FROM", "ROW", "LIMIT", "ON", "SET", "VALUES",
          "RETURNING", "IN", "AS", "DISTINCT", "OVERRIDING"}) {
      if (equals_keyword(word, keyword)) return true;
    }
    return false;
  }

  std::string_view sql_;
  ShapedStatement& out_;
  std::size_t at_ = 0;
  char last_ = ' ';             // the last significant character copied ('a': a word)
  std::string_view last_word_;  // the last word copied, when it was the last thing
  bool distinct_from_ = false;
  int brackets_ = 0;
  std::string unquoted_;
};

}  // namespace

bool shape_statement(std::string_view statement, ShapedStatement& out) {
  if (!statement.starts_with("INSERT INTO ") &&
      !statement.starts_with(recorded_statement::kUpdate) &&
      !statement.starts_with(recorded_statement::kDelete)) {
    return false;
  }
  return Shaper(statement, out).run();
}

bool multi_row_insert_shape(const ShapedStatement& row, std::size_t head, std::size_t rows,
                            std::string& shape, std::vector<std::uint32_t>& types) {
  const std::string_view values = std::string_view(row.shape).substr(head);
  const std::size_t width = row.types.size();
  shape.assign(row.shape, 0, head);
  types.clear();
  for (std::size_t r = 0; r < rows; ++r) {
    if (r > 0) shape += ", ";
    types.insert(types.end(), row.types.begin(), row.types.end());
    const bool read = for_each_parameter(
        values, [&](std::string_view text) { shape.append(text); },
        [&](std::size_t number) {
          shape.push_back('$');
          shape.append(std::to_string(number + r * width));
          return true;
        });
    if (!read) return false;
  }
  return true;
}

std::optional<PreparedShapes::Use> PreparedShapes::use(std::string_view shape,
                                                       std::span<const std::uint32_t> types) {
  key_.assign(shape);
  key_.push_back('\0');  // a shape holds no NUL
  key_.append(reinterpret_cast<const char*>(types.data()), types.size_bytes());
  if (const auto known = names_.find(key_); known != names_.end()) {
    return Use{known->second.name, known->second.id, false};
  }
  if (names_.size() >= capacity_ || used_bytes_ + shape.size() > budget_bytes_ ||
      refused_.contains(key_)) {
    return std::nullopt;
  }
  used_bytes_ += shape.size();
  ++next_;
  const auto added =
      names_.emplace(key_, Prepared{"tapedeck_shape_" + std::to_string(next_), next_}).first;
  return Use{added->second.name, next_, true};
}

void PreparedShapes::refuse(std::uint64_t id) {
  const auto prepared = std::find_if(names_.begin(), names_.end(),
                                     [id](const auto& entry) { return entry.second.id == id; });
  if (prepared == names_.end()) return;
  used_bytes_ -= prepared->first.find('\0');  // the key's shape, before its types
  refused_.insert(prepared->first);
  names_.erase(prepared);
}

}  // namespace tapedeck::msgop
