// Result access and text-to-value conversion.
#include "core/pg/result.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>
#include <limits>

#include "core/error.hpp"
#include "core/pg/errors.hpp"

namespace tapedeck::pg {

void Result::Clear::operator()(pg_result* result) const {
  PQclear(result);
}

Result::Result(pg_result* result) : result_(result) {}

int Result::rows() const {
  return result_ ? PQntuples(result_.get()) : 0;
}

int Result::columns() const {
  return result_ ? PQnfields(result_.get()) : 0;
}

std::string_view Result::column_name(int column) const {
  const char* name = result_ ? PQfname(result_.get(), column) : nullptr;
  if (name == nullptr) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("result has no column #{} (it has {})", column, columns()));
  }
  return name;
}

int Result::column_index(std::string_view name) const {
  for (int column = 0; column < columns(); ++column) {
    if (name == PQfname(result_.get(), column)) return column;
  }
  throw Error(ErrorSource::postgres, Recovery::not_found,
              fmt::format("result has no column named '{}'", name));
}

void Result::check_cell(int row, int column) const {
  if (row < 0 || row >= rows() || column < 0 || column >= columns()) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("cell ({}, {}) is outside the result ({} rows, {} columns)", row,
                            column, rows(), columns()));
  }
}

bool Result::is_null(int row, int column) const {
  check_cell(row, column);
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view Result::text(int row, int column) const {
  check_cell(row, column);
  return std::string_view(PQgetvalue(result_.get(), row, column),
                          static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

void Result::conversion_error(int row, int column, std::string_view type) const {
  if (PQgetisnull(result_.get(), row, column) != 0) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("row {} column '{}' is NULL; read it as std::optional<{}>", row,
                            PQfname(result_.get(), column), type));
  }
  throw Error(
      ErrorSource::postgres, Recovery::fail,
      fmt::format("row {} column '{}' holds '{}', which is not a {}", row,
                  PQfname(result_.get(), column), shorten_sql(text(row, column), 60), type));
}

namespace {
template <typename T>
bool parse_number(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}
}  // namespace

template <>
int Result::convert<int>(int row, int column) const {
  int value = 0;
  if (is_null(row, column) || !parse_number(text(row, column), value))
    conversion_error(row, column, "int");
  return value;
}

template <>
std::int64_t Result::convert<std::int64_t>(int row, int column) const {
  std::int64_t value = 0;
  if (is_null(row, column) || !parse_number(text(row, column), value))
    conversion_error(row, column, "int64");
  return value;
}

template <>
double Result::convert<double>(int row, int column) const {
  if (is_null(row, column)) conversion_error(row, column, "double");
  const std::string_view value = text(row, column);
  if (value == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (value == "Infinity") return std::numeric_limits<double>::infinity();
  if (value == "-Infinity") return -std::numeric_limits<double>::infinity();
  double number = 0;
  if (!parse_number(value, number)) conversion_error(row, column, "double");
  return number;
}

template <>
bool Result::convert<bool>(int row, int column) const {
  if (!is_null(row, column)) {
    const std::string_view value = text(row, column);
    if (value == "t") return true;
    if (value == "f") return false;
  }
  conversion_error(row, column, "bool");
}

template <>
std::string Result::convert<std::string>(int row, int column) const {
  if (is_null(row, column)) conversion_error(row, column, "string");
  return std::string(text(row, column));
}

std::int64_t Result::affected_rows() const {
  if (!result_) return 0;
  const std::string_view count = PQcmdTuples(result_.get());
  std::int64_t value = 0;
  return parse_number(count, value) ? value : 0;
}

std::string_view Result::command_tag() const {
  return result_ ? std::string_view(PQcmdStatus(result_.get())) : std::string_view();
}

}  // namespace tapedeck::pg
