// Text parameters for parameterised statements ($1, $2, ...), NULL included.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapedeck::pg {

// An ordered list of parameters in PostgreSQL text format; std::nullopt is SQL NULL.
// Values live in one buffer, so clear() and refilling reuses the memory: a caller that
// keeps one Params per loop (catch-up replay) allocates nothing per statement once warm.
// A value object: copyable and movable; one thread at a time.
class Params {
 public:
  Params() = default;
  explicit Params(const std::vector<std::optional<std::string>>& values);

  // Params::of(42, "text", std::nullopt, std::optional<int>{}) in one call.
  template <typename... Args>
  static Params of(Args&&... args) {
    Params params;
    (params.add(std::forward<Args>(args)), ...);
    return params;
  }

  // Text is taken as is; a NUL byte inside is refused (Error input/invalid), since
  // PostgreSQL text cannot hold one.
  Params& add(std::string_view text);
  Params& add(const char* text) { return add(std::string_view(text)); }
  Params& add(const std::string& text) { return add(std::string_view(text)); }
  Params& add(std::nullopt_t);
  Params& add(bool value);
  Params& add(double value);
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) Params& add(T value) {
    return add_integer(static_cast<std::int64_t>(value));
  }
  template <typename T>
  Params& add(const std::optional<T>& value) {
    return value ? add(*value) : add(std::nullopt);
  }

  void clear();
  std::size_t size() const { return offsets_.size(); }
  bool empty() const { return offsets_.empty(); }
  bool is_null(std::size_t index) const { return offsets_[index] < 0; }
  // The value at `index`; empty for NULL (check is_null()).
  std::string_view text(std::size_t index) const;

  // For libpq: one pointer per parameter, nullptr for NULL. Valid until the next
  // add()/clear() or the end of this object.
  const char* const* values() const;

 private:
  Params& add_integer(std::int64_t value);

  std::string buffer_;                   // values, each followed by '\0'
  std::vector<std::ptrdiff_t> offsets_;  // start in buffer_, -1 for NULL
  mutable std::vector<const char*> pointers_;
};

}  // namespace tapedeck::pg
