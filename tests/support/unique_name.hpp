// Names no other test running in parallel on the same stack uses.
#pragma once

#include <random>
#include <string>

namespace tapedeck::testing {

// Ten random lower-case letters and digits.
inline std::string unique_suffix() {
  std::random_device device;
  std::mt19937_64 generator(device());
  static constexpr char kDigits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (int i = 0; i < 10; ++i) suffix.push_back(kDigits[generator() % 36]);
  return suffix;
}

// `prefix_<suffix>`: valid unquoted as a table, database, slot or publication name.
inline std::string unique_name(const std::string& prefix) {
  return prefix + "_" + unique_suffix();
}

}  // namespace tapedeck::testing
