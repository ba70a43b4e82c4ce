// Params buffer handling and number formatting.
#include "core/pg/params.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "core/error.hpp"

namespace tapedeck::pg {

Params::Params(const std::vector<std::optional<std::string>>& values) {
  for (const auto& value : values) add(value);
}

Params& Params::add(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    throw Error(ErrorSource::input, Recovery::invalid,
                fmt::format("parameter ${} contains a NUL byte, which PostgreSQL text cannot "
                            "hold; pass binary data hex-encoded for a bytea parameter",
                            offsets_.size() + 1));
  }
  offsets_.push_back(static_cast<std::ptrdiff_t>(buffer_.size()));
  buffer_.append(text);
  buffer_.push_back('\0');
  return *this;
}

Params& Params::add(std::nullopt_t) {
  offsets_.push_back(-1);
  return *this;
}

Params& Params::add(bool value) {
  return add(std::string_view(value ? "t" : "f"));
}

Params& Params::add(double value) {
  if (std::isnan(value)) return add(std::string_view("NaN"));
  if (std::isinf(value)) return add(std::string_view(value > 0 ? "Infinity" : "-Infinity"));
  char text[32];
  // Shortest form that reads back to the identical double.
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  return add(std::string_view(text, static_cast<std::size_t>(end - text)));
}

Params& Params::add_integer(std::int64_t value) {
  char text[24];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  return add(std::string_view(text, static_cast<std::size_t>(end - text)));
}

void Params::clear() {
  buffer_.clear();
  offsets_.clear();
  pointers_.clear();
}

std::string_view Params::text(std::size_t index) const {
  const auto offset = offsets_[index];
  if (offset < 0) return {};
  return std::string_view(buffer_.data() + offset);
}

const char* const* Params::values() const {
  pointers_.resize(offsets_.size());
  for (std::size_t i = 0; i < offsets_.size(); ++i) {
    pointers_[i] = offsets_[i] < 0 ? nullptr : buffer_.data() + offsets_[i];
  }
  return pointers_.data();
}

}  // namespace tapedeck::pg
