// libFuzzer target: msgop's statement shaper (src/msgop/statement_shape.cpp), which catch-up and
// seeks trust to take a recorded statement's values out as parameters. The input is a statement
// (unless it starts as an INSERT, UPDATE or DELETE, its first 12 bytes are replaced by the head
// of one, so that most inputs reach the shaper). Declining a statement is always fine; a statement
// taken apart must come back byte for byte when its values are put back where the parameters stand
// (quoted literals quoted again, integers, NULL, true and false as written), with one type per
// value, a known type for every integer and nothing the wire protocol cannot carry. Catch-up's
// overwritten_updates (src/msgop/overwritten_updates.cpp) reads the same shapes: the statement
// twice in a group must flag its first copy exactly when overwritable_row names its row, and only
// an UPDATE's. A one-row INSERT's shape made a three-row one (multi_row_insert_shape) must come
// back as the statement with its row twice more. Anything else (a mismatch, a sanitizer report, a
// hang) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/recorded_statement.hpp"
#include "msgop/overwritten_updates.hpp"
#include "msgop/statement_shape.hpp"

namespace {

using namespace tapedeck;

void check(bool invariant) {
  if (!invariant) std::abort();
}

bool continues_identifier(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

// The end of the quoted text (quote `q`, doubled inside) that starts at `at`.
std::size_t quoted_end(std::string_view text, std::size_t at, char q) {
  std::size_t end = at + 1;
  for (;;) {
    end = text.find(q, end);
    check(end != std::string_view::npos);  // the shape never holds an unterminated quote
    if (end + 1 < text.size() && text[end + 1] == q) {
      end += 2;
      continue;
    }
    return end + 1;
  }
}

// The statement the shape stands for: each $n replaced by its value as it was written.
std::string put_values_back(const msgop::ShapedStatement& shaped) {
  const std::string_view shape = shaped.shape;
  std::string out;
  std::size_t at = 0;
  while (at < shape.size()) {
    const char c = shape[at];
    if (c == '\'' || c == '"') {
      const std::size_t end = quoted_end(shape, at, c);
      out.append(shape.substr(at, end - at));
      at = end;
    } else if (c == '$' && (at == 0 || !continues_identifier(shape[at - 1]))) {
      std::size_t end = at + 1;
      std::size_t number = 0;
      while (end < shape.size() && shape[end] >= '0' && shape[end] <= '9') {
        number = number * 10 + static_cast<std::size_t>(shape[end] - '0');
        check(number <= shaped.types.size());
        ++end;
      }
      check(number >= 1);
      // PostgreSQL reads "$1" followed by a digit or a letter as something else.
      check(end == shape.size() || !continues_identifier(shape[end]));
      const std::size_t index = number - 1;
      const std::string_view value = shaped.values.text(index);
      if (shaped.values.is_null(index)) {
        out.append("NULL");
      } else if (shaped.types[index] == msgop::kUnknownType) {
        out.push_back('\'');
        for (const char v : value) {
          if (v == '\'') out.push_back('\'');
          out.push_back(v);
        }
        out.push_back('\'');
      } else {
        out.append(value);
      }
      at = end;
    } else if (continues_identifier(c)) {
      std::size_t end = at + 1;
      while (end < shape.size() && continues_identifier(shape[end])) ++end;
      out.append(shape.substr(at, end - at));
      at = end;
    } else {
      out.push_back(c);
      ++at;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr std::string_view kHeads[] = {"INSERT INTO ", "UPDATE t SET", "DELETE FROM "};
  std::string statement(reinterpret_cast<const char*>(data), size);
  const bool has_head = statement.starts_with(kHeads[0]) || statement.starts_with(kHeads[1]) ||
                        statement.starts_with(kHeads[2]);
  if (!has_head && statement.size() >= kHeads[0].size()) {
    statement.replace(0, kHeads[0].size(), kHeads[static_cast<unsigned char>(statement[0]) % 3]);
  }
  msgop::ShapedStatement shaped;
  if (!msgop::shape_statement(statement, shaped)) return 0;
  check(!shaped.types.empty());
  check(shaped.types.size() == shaped.values.size());
  check(shaped.types.size() <= 65535);
  for (std::size_t i = 0; i < shaped.types.size(); ++i) {
    const auto type = shaped.types[i];
    check(!shaped.values.is_null(i) || type == msgop::kUnknownType);
    check(type == msgop::kUnknownType || type == msgop::kBoolType || type == msgop::kInt4Type ||
          type == msgop::kInt8Type || type == msgop::kNumericType);
    if (type == msgop::kBoolType) {
      check(shaped.values.text(i) == "true" || shaped.values.text(i) == "false");
    } else if (type != msgop::kUnknownType) {
      const std::string_view value = shaped.values.text(i);
      check(!value.empty());
      for (std::size_t k = 0; k < value.size(); ++k) {
        check((value[k] >= '0' && value[k] <= '9') ||
              (k == 0 && value[k] == '-' && value.size() > 1));
      }
    }
  }
  check(put_values_back(shaped) == statement);

  // One-row INSERTs of this shape as one multi-row INSERT: the rows' text, one after another.
  if (const std::size_t head = recorded_statement::single_row_insert_head(statement); head != 0) {
    msgop::ShapedStatement rows;
    check(msgop::multi_row_insert_shape(shaped, head, 3, rows.shape, rows.types));
    check(rows.types.size() == 3 * shaped.types.size());
    for (int r = 0; r < 3; ++r) {
      for (std::size_t i = 0; i < shaped.values.size(); ++i) {
        if (shaped.values.is_null(i)) {
          rows.values.add(std::nullopt);
        } else {
          rows.values.add(shaped.values.text(i));
        }
      }
    }
    const std::string_view row_text = std::string_view(statement).substr(head);
    check(put_values_back(rows) ==
          statement + ", " + std::string(row_text) + ", " + std::string(row_text));
  }

  const auto row = msgop::overwritable_row(shaped);
  check(!row || statement.starts_with("UPDATE "));
  msgop::RecordedTransaction twice;
  twice.statements = {statement, statement};
  const std::vector<bool> flags = msgop::overwritten_updates(std::span(&twice, 1));
  check(flags.size() == 2 && flags[0] == row.has_value() && !flags[1]);
  return 0;
}
