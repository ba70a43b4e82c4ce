// A recorded INSERT, UPDATE or DELETE with its values taken out as parameters, so that
// catch-up prepares each shape of statement once and sends only values after that: PostgreSQL
// then skips parsing and planning each statement, which is most of what a one-row change costs.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/pg/params.hpp"
#include "core/recorded_statement.hpp"

namespace tapedeck::msgop {

// Parameter types for PQprepare, as PostgreSQL's own scanner types a constant: 0 (unknown,
// resolved from where the value is used) for a quoted literal and NULL; bool for true and false;
// int4, int8 or numeric for an integer, by the size of its value.
inline constexpr std::uint32_t kUnknownType = 0;
inline constexpr std::uint32_t kBoolType = 16;
inline constexpr std::uint32_t kInt4Type = 23;
inline constexpr std::uint32_t kInt8Type = 20;
inline constexpr std::uint32_t kNumericType = 1700;

// The most parameters one statement may carry in PostgreSQL's wire protocol.
inline constexpr std::size_t kMaxParameters = 65535;

struct ShapedStatement {
  std::string shape;                 // the statement with $1..$n where its values were
  std::vector<std::uint32_t> types;  // one per parameter
  pg::Params values;                 // one per parameter, as text; SQL NULL for NULL
};

// Fills `out` from `statement`, reusing its storage, and returns true; false when the statement
// is not taken apart (then it is run as recorded). Taken apart: statements starting
// INSERT INTO, UPDATE or DELETE FROM (transform's renderings, recorded_statement.hpp) with at
// least one value. A value is a standard-conforming quoted literal, an integer (with its
// sign), or NULL, true or false spelled as transform writes them, standing where a value
// stands: right after "(", "," or "=", or after the FROM of IS [NOT] DISTINCT FROM. Everything
// else stays as it is, and staying is always exact: the type after "::" with its modifiers
// ("numeric(12,2)"), array subscripts and constructors, LIMIT, identifiers, IS NULL, other
// spellings (null, TRUE). A statement holding anything this reading does not
// follow (E'' or other prefixed strings, dollar quotes, comments, parameters, ';', string
// continuations, more than 65,535 values) is not taken apart at all.
// A quoted literal and an unknown-typed parameter are resolved to the same type by the same
// rules, and the integer types follow the scanner's, so the prepared statement means what the
// text did as long as the tables it names keep their shape: prepared statements must be
// forgotten after DDL. (One exception in PostgreSQL: a literal given straight to an interval
// restricted to some fields, "interval year", reads an unlabelled number by those fields, and a
// parameter does not. Transform writes intervals labelled, in ISO 8601 or in microseconds,
// which read alike both ways.) Pure.
bool shape_statement(std::string_view statement, ShapedStatement& out);

// Reads `shape` as shape_statement writes it, in order: on_parameter(n) for each parameter $n,
// on_text(text) for everything between them (quoted text and words holding "$" as they are).
// False where on_parameter returns false, a quote is never closed or a parameter number is
// malformed.
template <typename OnText, typename OnParameter>
bool for_each_parameter(std::string_view shape, OnText&& on_text, OnParameter&& on_parameter);

// The shape of `rows` one-row INSERTs of `row`'s shape sent as one multi-row INSERT: the head
// (the first `head` characters, up to the row's opening parenthesis) once, then the row
// `rows` times with its parameters numbered on ($1..$n, then $n+1..$2n, ...), into `shape`,
// and `row.types` repeated into `types`. PostgreSQL coerces each row of an INSERT's VALUES to
// the target columns as it does a single row, so the multi-row statement stores what the
// one-row statements would. False for a shape that shape_statement did not write. Pure.
bool multi_row_insert_shape(const ShapedStatement& row, std::size_t head, std::size_t rows,
                            std::string& shape, std::vector<std::uint32_t>& types);

// The shapes prepared on one session database connection, by shape and parameter types: a
// statement prepared for an int4 value cannot take an int8 one, so `SET "n" = 5` and
// `SET "n" = 5000000000` go by two prepared statements. A name is never given twice by one
// PreparedShapes, so a statement whose prepare was skipped (a failed pipeline) or went stale
// (DDL) is never used again once forgotten; the owner deallocates what the server still holds
// when it is done. Bounded in count and in size, since the session's backend keeps each
// prepared statement's parsed query and plan: some 50 to 70 times its text (measured: a 64-row
// INSERT of 10 columns, 3.5 KB of text, took 200 KB). Past `capacity` statements or
// `budget_bytes` of shape text, a new shape runs as text. Pure; one thread.
class PreparedShapes {
 public:
  explicit PreparedShapes(std::size_t capacity = 2000, std::size_t budget_bytes = 1 << 20)
      : capacity_(capacity), budget_bytes_(budget_bytes) {}

  struct Use {
    const std::string& name;
    std::uint64_t id;    // for refuse()
    bool prepare_first;  // new: prepare it under `name` before running it
  };
  // The prepared statement to run `shape` with parameters of `types`, or nullopt to run the
  // statement as text (the shape was refused, or there is no room for another).
  std::optional<Use> use(std::string_view shape, std::span<const std::uint32_t> types);
  // The prepare of the statement `id` names failed: its shape runs as text from now on.
  void refuse(std::uint64_t id);
  // Every prepared statement so far may be missing or stale: prepare again when next used.
  void forget() {
    names_.clear();
    used_bytes_ = 0;
  }

 private:
  struct Prepared {
    std::string name;
    std::uint64_t id;
  };
  std::size_t capacity_;
  std::size_t budget_bytes_;
  std::size_t used_bytes_ = 0;  // of the shapes in names_
  std::string key_;             // shape and types of the last lookup; reused
  std::unordered_map<std::string, Prepared> names_;
  std::unordered_set<std::string> refused_;
  std::uint64_t next_ = 0;
};

namespace detail {
// A character that continues an unquoted word (identifier or keyword) as PostgreSQL's scanner
// reads one.
constexpr bool continues_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}
}  // namespace detail

template <typename OnText, typename OnParameter>
bool for_each_parameter(std::string_view shape, OnText&& on_text, OnParameter&& on_parameter) {
  std::size_t at = 0;
  while (at < shape.size()) {
    const char c = shape[at];
    std::size_t end = at + 1;
    if (c == '\'' || c == '"') {
      end = recorded_statement::skip_quoted(shape, at);
      if (end == std::string_view::npos) return false;
    } else if (c == '$') {
      // A word never starts with "$"; one holding it is read whole below.
      while (end < shape.size() && shape[end] >= '0' && shape[end] <= '9') ++end;
      std::size_t number = 0;
      const auto parsed = std::from_chars(shape.data() + at + 1, shape.data() + end, number);
      if (parsed.ec != std::errc{} || number == 0 || !on_parameter(number)) return false;
      at = end;
      continue;
    } else if (detail::continues_word(c)) {
      while (end < shape.size() && detail::continues_word(shape[end])) ++end;
    } else {
      while (end < shape.size() && shape[end] != '\'' && shape[end] != '"' && shape[end] != '$' &&
             !detail::continues_word(shape[end])) {
        ++end;
      }
    }
    on_text(shape.substr(at, end - at));
    at = end;
  }
  return true;
}

}  // namespace tapedeck::msgop
