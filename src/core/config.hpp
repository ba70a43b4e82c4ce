// Configuration: one TOML file with a section per component, every key overridable by the
// environment (TAPEDECK_<SECTION>_<KEY>), validated against one table of known keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tapedeck::config {

enum class Kind { string, integer, number, boolean, duration, string_list };

// One known key. `name` is "section.key"; `choices` is a '|'-separated list or empty.
struct KeySpec {
  std::string_view name;
  Kind kind;
  std::string_view default_value;  // in the environment-variable syntax
  std::string_view help;
  bool secret = false;
  std::string_view choices = {};
};

// Every key tapedeck reads, in one place (config_keys.cpp).
std::span<const KeySpec> known_keys();
const KeySpec* find_key(std::string_view name);

// "capture.slot_name" -> "TAPEDECK_CAPTURE_SLOT_NAME".
std::string env_name(std::string_view key);

// The environment as a map, so loading is testable without touching the process's.
using Environment = std::map<std::string, std::string, std::less<>>;
Environment process_environment();

enum class Origin { built_in, file, environment };

using Value = std::variant<std::string, std::int64_t, double, bool, std::chrono::milliseconds,
                           std::vector<std::string>>;

// Loaded, validated configuration. Immutable after load; safe to share between threads.
class Config {
 public:
  // Built-in defaults, then `path` (when given), then the environment. Throws Error(config,
  // invalid) naming the key, the file and what is wrong. Unknown keys are errors.
  static Config load(const std::optional<std::string>& path, const Environment& environment);
  // The file named by --config, else TAPEDECK_CONFIG, else built-in defaults only.
  static Config load_default(const std::optional<std::string>& cli_path,
                             const Environment& environment);

  const std::string& string(std::string_view key) const;
  std::int64_t integer(std::string_view key) const;
  double number(std::string_view key) const;
  bool boolean(std::string_view key) const;
  std::chrono::milliseconds duration(std::string_view key) const;
  const std::vector<std::string>& string_list(std::string_view key) const;
  Origin origin(std::string_view key) const;
  const std::optional<std::string>& path() const { return path_; }

  // Every key with its value and origin, secrets masked: what `tapedeck config check` prints.
  std::string describe() const;

 private:
  struct Entry {
    Value value;
    Origin origin = Origin::built_in;
  };
  const Entry& entry(std::string_view key) const;

  std::map<std::string, Entry, std::less<>> entries_;
  std::optional<std::string> path_;
};

// Parses "250ms", "10s", "5m", "2h", "7d" or a bare number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds duration);

// Replaces password=... in a libpq DSN or the userinfo password of a URL with "****".
std::string mask_secrets(std::string_view text);

}  // namespace tapedeck::config
