// Move-only result of one statement, with typed access to its text-format values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

struct pg_result;  // PGresult from libpq-fe.h

namespace tapedeck::pg {

namespace detail {
template <typename T>
struct is_optional : std::false_type {};
template <typename T>
struct is_optional<std::optional<T>> : std::true_type {};
}  // namespace detail

// Owns one PGresult and frees it once. Copy is deleted (a copied handle would be freed
// twice); move transfers ownership and leaves the source empty. Text views returned by
// text() live as long as this Result. Read-only after construction, so several threads
// may read one Result, but only Connection and its friends build them.
class Result {
 public:
  Result() = default;
  explicit Result(pg_result* result);  // takes ownership
  Result(Result&&) noexcept = default;
  Result& operator=(Result&&) noexcept = default;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result() = default;

  explicit operator bool() const { return static_cast<bool>(result_); }

  int rows() const;
  int columns() const;
  std::string_view column_name(int column) const;
  // Index of the column called `name`; Error (postgres, not_found) when there is none.
  int column_index(std::string_view name) const;

  bool is_null(int row, int column) const;
  // The value as PostgreSQL sent it; empty for NULL.
  std::string_view text(int row, int column) const;

  // Typed value: int, std::int64_t, double, bool, std::string, or std::optional of one of
  // them (NULL gives nullopt). A NULL read as a plain type, or text that does not convert,
  // throws Error (postgres, fail) naming the row, column and value.
  template <typename T>
  T get(int row, int column) const {
    if constexpr (detail::is_optional<T>::value) {
      static_assert(kSupported<typename T::value_type>,
                    "get<std::optional<T>>: T must be int, int64_t, double, bool or std::string");
      if (is_null(row, column)) return std::nullopt;
      return convert<typename T::value_type>(row, column);
    } else {
      static_assert(kSupported<T>, "get<T>: T must be int, int64_t, double, bool or std::string");
      return convert<T>(row, column);
    }
  }
  template <typename T>
  T get(int row, std::string_view column) const {
    return get<T>(row, column_index(column));
  }

  // Rows affected by INSERT/UPDATE/DELETE/MERGE/COPY/SELECT (PQcmdTuples); 0 if none.
  std::int64_t affected_rows() const;
  // The command tag, e.g. "INSERT 0 1".
  std::string_view command_tag() const;

  // For the wrappers in this folder only.
  pg_result* handle() const { return result_.get(); }

 private:
  template <typename T>
  static constexpr bool kSupported =
      std::is_same_v<T, int> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> ||
      std::is_same_v<T, bool> || std::is_same_v<T, std::string>;
  template <typename T>
  T convert(int row, int column) const;
  void check_cell(int row, int column) const;
  [[noreturn]] void conversion_error(int row, int column, std::string_view type) const;

  struct Clear {
    void operator()(pg_result* result) const;
  };
  std::unique_ptr<pg_result, Clear> result_;
};

template <>
int Result::convert<int>(int row, int column) const;
template <>
std::int64_t Result::convert<std::int64_t>(int row, int column) const;
template <>
double Result::convert<double>(int row, int column) const;
template <>
bool Result::convert<bool>(int row, int column) const;
template <>
std::string Result::convert<std::string>(int row, int column) const;

}  // namespace tapedeck::pg
