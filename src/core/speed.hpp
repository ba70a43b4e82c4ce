// Replay speed: the one type, parser and validation used by the API, the CLI and msgop.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tapedeck::session {

// Replay speed: a positive factor held exactly as a count of millionths (so 0.25 and 1.5 are
// exact), or `max`: no pacing, every transaction is due at once. Kept as text (`str()`) in
// the sessions table and in events. Immutable value; default-constructed it is real time (1).
class Speed {
 public:
  static constexpr std::int64_t one = 1'000'000;  // millionths in a factor of 1

  Speed() = default;
  static Speed max() { return Speed{0}; }
  // A factor given as a number (a JSON number in a request). The same rules as parse():
  // throws Error(input, invalid) unless 0.000001 <= factor <= 1000000 with at most 6 decimals.
  static Speed factor(double factor);
  // "max" (any case) or a positive decimal number with at most 6 decimals ("0.25", "1.5",
  // "10"), at most 1000000. Throws Error(input, invalid) saying what is accepted.
  static Speed parse(std::string_view text);

  bool is_max() const { return millionths_ == 0; }
  // The factor in millionths; 0 for max.
  std::int64_t millionths() const { return millionths_; }
  // "max" or the shortest decimal: "0.25", "1.5", "10"; parse(str()) gives the same speed.
  std::string str() const;

  friend bool operator==(Speed, Speed) = default;

 private:
  explicit Speed(std::int64_t millionths) : millionths_(millionths) {}
  std::int64_t millionths_ = one;
};

}  // namespace tapedeck::session
