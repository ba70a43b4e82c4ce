// Speed parsing, validation and printing (exact, in millionths).
#include "core/speed.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace tapedeck::session {

namespace {

constexpr std::int64_t max_millionths = Speed::one * 1'000'000;

[[noreturn]] void bad_speed(std::string_view text, std::string_view why) {
  throw Error(ErrorSource::input, Recovery::invalid,
              fmt::format("speed '{}': {}; use a positive number such as 0.25, 1 or 10 (at "
                          "most 6 decimals, at most 1000000), or 'max'",
                          text, why));
}

bool all_digits(std::string_view text) {
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

Speed Speed::factor(double factor) {
  if (!std::isfinite(factor) || factor <= 0) {
    bad_speed(fmt::format("{}", factor), "not a positive number");
  }
  const double scaled = factor * static_cast<double>(one);
  if (scaled > static_cast<double>(max_millionths) + 0.5) {
    bad_speed(fmt::format("{}", factor), "out of range");
  }
  const double millionths = std::round(scaled);
  // A double holds 0.25 exactly but 0.1 only nearly: allow its rounding error (a few ulps),
  // never a 7th decimal, so a number is accepted exactly when its decimal text would be.
  const double rounding_error = std::max(1e-6, 8 * scaled * std::numeric_limits<double>::epsilon());
  if (std::abs(scaled - millionths) > rounding_error) {
    bad_speed(fmt::format("{}", factor), "more than 6 decimals");
  }
  if (millionths < 1) bad_speed(fmt::format("{}", factor), "must be greater than 0");
  return Speed{static_cast<std::int64_t>(millionths)};
}

Speed Speed::parse(std::string_view text) {
  if (text.size() == 3 && std::tolower(static_cast<unsigned char>(text[0])) == 'm' &&
      std::tolower(static_cast<unsigned char>(text[1])) == 'a' &&
      std::tolower(static_cast<unsigned char>(text[2])) == 'x') {
    return max();
  }
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if ((whole.empty() && fraction.empty()) || !all_digits(whole) || !all_digits(fraction) ||
      (dot != std::string_view::npos && fraction.empty())) {
    bad_speed(text, "not a number");
  }
  if (fraction.size() > 6) bad_speed(text, "more than 6 decimals");
  if (whole.size() > 7) bad_speed(text, "out of range");
  std::int64_t units = 0;
  if (!whole.empty()) std::from_chars(whole.data(), whole.data() + whole.size(), units);
  std::int64_t millionths = units * one;
  std::int64_t scale = one / 10;
  for (char digit : fraction) {
    millionths += (digit - '0') * scale;
    scale /= 10;
  }
  if (millionths == 0) bad_speed(text, "must be greater than 0");
  if (millionths > max_millionths) bad_speed(text, "out of range");
  return Speed{millionths};
}

std::string Speed::str() const {
  if (is_max()) return "max";
  std::string text = std::to_string(millionths_ / one);
  std::int64_t fraction = millionths_ % one;
  if (fraction == 0) return text;
  std::string digits = fmt::format("{:06}", fraction);
  while (digits.back() == '0') digits.pop_back();
  return text + "." + digits;
}

}  // namespace tapedeck::session
