// Loading, overriding and validating the configuration.
#include "core/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/error.hpp"

extern char** environ;  // NOLINT: POSIX

namespace tapedeck::config {

namespace {

[[noreturn]] void fail(std::string message) {
  throw Error(ErrorSource::config, Recovery::invalid, std::move(message));
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::string:
      return "a string";
    case Kind::integer:
      return "an integer";
    case Kind::number:
      return "a number";
    case Kind::boolean:
      return "true or false";
    case Kind::duration:
      return "a duration such as \"250ms\", \"10s\", \"5m\", \"2h\", \"7d\"";
    case Kind::string_list:
      return "a list of strings";
  }
  return "a value";
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

// Parses `text` in the environment syntax; nullopt when it does not fit the kind.
std::optional<Value> parse_text(const KeySpec& spec, std::string_view text) {
  switch (spec.kind) {
    case Kind::string:
      return Value{std::string(text)};
    case Kind::integer: {
      std::int64_t value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
      return Value{value};
    }
    case Kind::number: {
      try {
        std::size_t used = 0;
        const double value = std::stod(std::string(text), &used);
        if (used != text.size()) return std::nullopt;
        return Value{value};
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
    case Kind::boolean: {
      std::string lower(text);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return Value{true};
      if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return Value{false};
      return std::nullopt;
    }
    case Kind::duration: {
      auto duration = parse_duration(text);
      if (!duration) return std::nullopt;
      return Value{*duration};
    }
    case Kind::string_list: {
      std::vector<std::string> items;
      std::string_view rest = text;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        auto item = trim(rest.substr(0, comma));
        if (!item.empty()) items.push_back(std::move(item));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      return Value{std::move(items)};
    }
  }
  return std::nullopt;
}

std::optional<Value> from_toml(const KeySpec& spec, const toml::node& node) {
  switch (spec.kind) {
    case Kind::string:
      if (auto text = node.value<std::string>(); text && node.is_string()) return Value{*text};
      return std::nullopt;
    case Kind::integer:
      if (node.is_integer()) return Value{*node.value<std::int64_t>()};
      return std::nullopt;
    case Kind::number:
      if (node.is_number()) return Value{*node.value<double>()};
      return std::nullopt;
    case Kind::boolean:
      if (node.is_boolean()) return Value{*node.value<bool>()};
      return std::nullopt;
    case Kind::duration:
      if (node.is_integer())
        return Value{std::chrono::milliseconds(*node.value<std::int64_t>() * 1000)};
      if (node.is_string()) return parse_text(spec, *node.value<std::string>());
      return std::nullopt;
    case Kind::string_list: {
      if (node.is_string()) return parse_text(spec, *node.value<std::string>());
      const auto* array = node.as_array();
      if (array == nullptr) return std::nullopt;
      std::vector<std::string> items;
      for (const auto& item : *array) {
        if (!item.is_string()) return std::nullopt;
        items.push_back(*item.value<std::string>());
      }
      return Value{std::move(items)};
    }
  }
  return std::nullopt;
}

void check_choice(const KeySpec& spec, const Value& value, std::string_view where) {
  if (spec.choices.empty()) return;
  const auto& text = std::get<std::string>(value);
  std::string_view rest = spec.choices;
  while (true) {
    const auto bar = rest.find('|');
    if (rest.substr(0, bar) == text) return;
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  fail(fmt::format("{} {}: '{}' is not one of {}", spec.name, where, text, spec.choices));
}

std::string known_keys_of(std::string_view section) {
  std::vector<std::string_view> names;
  for (const auto& spec : known_keys()) {
    if (spec.name.substr(0, spec.name.find('.')) == section) {
      names.push_back(spec.name.substr(spec.name.find('.') + 1));
    }
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

std::string render(const Value& value) {
  return std::visit(
      [](const auto& item) -> std::string {
        using T = std::decay_t<decltype(item)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return fmt::format("\"{}\"", item);
        } else if constexpr (std::is_same_v<T, bool>) {
          return item ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
          return fmt::format("\"{}\"", format_duration(item));
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::vector<std::string> quoted;
          for (const auto& entry : item) quoted.push_back(fmt::format("\"{}\"", entry));
          return fmt::format("[{}]", fmt::join(quoted, ", "));
        } else {
          return fmt::format("{}", item);
        }
      },
      value);
}

// Levenshtein distance, for "did you mean" on a misspelt name.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The contents of a secret's `*_file`, without the trailing line break an editor adds.
std::string read_secret_file(std::string_view key, std::string_view where,
                             const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    fail(fmt::format("{} ({}): cannot read the file {}; check the path and its permissions", key,
                     where, file));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string value = text.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

// A TAPEDECK_* name that is neither a key, a secret's *_FILE, TAPEDECK_CONFIG nor reserved:
// refused like an unknown key in the file, with the closest known name.
void check_environment_names(const Environment& environment) {
  static constexpr std::string_view kPrefix = "TAPEDECK_";
  // The local stack's and the test harness's own variables (scripts/stack.sh, tests/).
  static constexpr std::string_view kReserved[] = {"TAPEDECK_STACK_", "TAPEDECK_TEST_"};
  std::vector<std::string> known{"TAPEDECK_CONFIG"};
  for (const auto& spec : known_keys()) {
    known.push_back(env_name(spec.name));
    if (spec.secret) known.push_back(env_name(spec.name) + "_FILE");
  }
  for (const auto& [name, value] : environment) {
    if (!name.starts_with(kPrefix)) continue;
    if (std::ranges::find(known, name) != known.end()) continue;
    if (std::ranges::any_of(kReserved, [&](auto prefix) { return name.starts_with(prefix); })) {
      continue;
    }
    const auto closest = std::ranges::min_element(
        known, {}, [&](const std::string& candidate) { return edit_distance(name, candidate); });
    fail(fmt::format(
        "unknown environment variable {}{}; every key's variable is listed by "
        "'tapedeck config check'",
        name,
        edit_distance(name, *closest) <= 3 ? fmt::format(" (did you mean {}?)", *closest)
                                           : std::string()));
  }
}

}  // namespace

std::string env_name(std::string_view key) {
  std::string name = "TAPEDECK_";
  for (const char c : key) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

Environment process_environment() {
  Environment environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return environment;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t amount = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (ec != std::errc() || amount < 0) return std::nullopt;
  const std::string_view unit(end, text.data() + text.size() - end);
  using namespace std::chrono;
  if (unit == "ms") return milliseconds(amount);
  if (unit.empty() || unit == "s") return duration_cast<milliseconds>(seconds(amount));
  if (unit == "m") return duration_cast<milliseconds>(minutes(amount));
  if (unit == "h") return duration_cast<milliseconds>(hours(amount));
  if (unit == "d") return duration_cast<milliseconds>(hours(24 * amount));
  return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  constexpr std::int64_t kSecond = 1000;
  constexpr std::int64_t kMinute = 60 * kSecond;
  constexpr std::int64_t kHour = 60 * kMinute;
  constexpr std::int64_t kDay = 24 * kHour;
  if (ms != 0 && ms % kDay == 0) return fmt::format("{}d", ms / kDay);
  if (ms != 0 && ms % kHour == 0) return fmt::format("{}h", ms / kHour);
  if (ms != 0 && ms % kMinute == 0) return fmt::format("{}m", ms / kMinute);
  if (ms % kSecond == 0) return fmt::format("{}s", ms / kSecond);
  return fmt::format("{}ms", ms);
}

std::string mask_secrets(std::string_view text) {
  static const std::regex dsn_password(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+))",
                                       std::regex::icase);
  static const std::regex url_password(R"((://[^:/@\s]+:)[^@/\s]+@)");
  std::string masked = std::regex_replace(std::string(text), dsn_password, "$1****");
  return std::regex_replace(masked, url_password, "$1****@");
}

Config Config::load(const std::optional<std::string>& path, const Environment& environment) {
  Config config;
  for (const auto& spec : known_keys()) {
    auto value = parse_text(spec, spec.default_value);
    if (!value) fail(fmt::format("built-in default of {} does not parse", spec.name));
    config.entries_.emplace(std::string(spec.name), Entry{std::move(*value), Origin::built_in});
  }

  if (path) {
    config.path_ = path;
    toml::table file;
    try {
      file = toml::parse_file(*path);
    } catch (const toml::parse_error& error) {
      const auto& where = error.source().begin;
      fail(fmt::format("{}:{}:{}: {}; fix the file or point --config/TAPEDECK_CONFIG elsewhere",
                       *path, where.line, where.column, error.description()));
    }
    for (const auto& [section, node] : file) {
      const auto* table = node.as_table();
      if (table == nullptr) {
        fail(fmt::format("{}: '{}' must be a [section]; keys live in sections such as [live]",
                         *path, section.str()));
      }
      for (const auto& [key, item] : *table) {
        const std::string name = fmt::format("{}.{}", section.str(), key.str());
        const auto* spec = find_key(name);
        // secret_key_file = "/run/secrets/s3": the secret is the file's contents.
        if (const auto* secret = name.ends_with("_file")
                                     ? find_key(std::string_view(name).substr(0, name.size() - 5))
                                     : nullptr;
            spec == nullptr && secret != nullptr && secret->secret) {
          const auto file_name = item.value<std::string>();
          if (!file_name) fail(fmt::format("{} in {}: expected a file name", name, *path));
          if (file.at_path(secret->name)) {
            fail(fmt::format("{}: both {} and {} are set; keep one", *path, secret->name, name));
          }
          config.entries_[std::string(secret->name)] =
              Entry{read_secret_file(name, *path, *file_name), Origin::file};
          continue;
        }
        if (spec == nullptr) {
          const auto known = known_keys_of(section.str());
          fail(known.empty() ? fmt::format("{}: unknown section [{}]", *path, section.str())
                             : fmt::format("{}: unknown key {} (keys of [{}]: {})", *path, name,
                                           section.str(), known));
        }
        auto value = from_toml(*spec, item);
        if (!value) {
          fail(fmt::format("{} in {}: expected {}", name, *path, kind_name(spec->kind)));
        }
        check_choice(*spec, *value, fmt::format("in {}", *path));
        config.entries_[name] = Entry{std::move(*value), Origin::file};
      }
    }
  }

  check_environment_names(environment);
  for (const auto& spec : known_keys()) {
    auto found = environment.find(env_name(spec.name));
    if (spec.secret) {
      const auto file_name = env_name(spec.name) + "_FILE";
      if (const auto from_file = environment.find(file_name); from_file != environment.end()) {
        if (found != environment.end()) {
          fail(fmt::format("both {} and {} are set; keep one", env_name(spec.name), file_name));
        }
        config.entries_[std::string(spec.name)] =
            Entry{read_secret_file(spec.name, file_name, from_file->second), Origin::environment};
        continue;
      }
    }
    if (found == environment.end()) continue;
    auto value = parse_text(spec, found->second);
    if (!value) {
      fail(fmt::format("{} (from environment variable {}): expected {}", spec.name,
                       env_name(spec.name), kind_name(spec.kind)));
    }
    check_choice(spec, *value, fmt::format("(from {})", env_name(spec.name)));
    config.entries_[std::string(spec.name)] = Entry{std::move(*value), Origin::environment};
  }
  return config;
}

Config Config::load_default(const std::optional<std::string>& cli_path,
                            const Environment& environment) {
  if (cli_path) return load(cli_path, environment);
  if (const auto found = environment.find("TAPEDECK_CONFIG");
      found != environment.end() && !found->second.empty()) {
    return load(found->second, environment);
  }
  return load(std::nullopt, environment);
}

const Config::Entry& Config::entry(std::string_view key) const {
  const auto found = entries_.find(key);
  if (found == entries_.end()) {
    throw Error(
        ErrorSource::internal, Recovery::fail,
        fmt::format("configuration key {} is read but not declared in config_keys.cpp", key));
  }
  return found->second;
}

namespace {
template <typename T>
const T& typed(const Value& value, std::string_view key) {
  if (const auto* item = std::get_if<T>(&value)) return *item;
  throw Error(ErrorSource::internal, Recovery::fail,
              fmt::format("configuration key {} is read with the wrong type", key));
}
}  // namespace

const std::string& Config::string(std::string_view key) const {
  return typed<std::string>(entry(key).value, key);
}
std::int64_t Config::integer(std::string_view key) const {
  return typed<std::int64_t>(entry(key).value, key);
}
double Config::number(std::string_view key) const {
  return typed<double>(entry(key).value, key);
}
bool Config::boolean(std::string_view key) const {
  return typed<bool>(entry(key).value, key);
}
std::chrono::milliseconds Config::duration(std::string_view key) const {
  return typed<std::chrono::milliseconds>(entry(key).value, key);
}
const std::vector<std::string>& Config::string_list(std::string_view key) const {
  return typed<std::vector<std::string>>(entry(key).value, key);
}
Origin Config::origin(std::string_view key) const {
  return entry(key).origin;
}

std::string Config::describe() const {
  std::string out;
  std::string_view current_section;
  for (const auto& spec : known_keys()) {
    const auto section = spec.name.substr(0, spec.name.find('.'));
    if (section != current_section) {
      out += fmt::format("{}[{}]\n", out.empty() ? "" : "\n", section);
      current_section = section;
    }
    const auto& item = entry(spec.name);
    std::string shown = render(item.value);
    if (spec.secret && item.origin != Origin::built_in) shown = mask_secrets(shown);
    if (spec.secret && (spec.name.ends_with("key") || spec.name.ends_with("token")) &&
        shown != "\"\"") {
      shown = "\"****\"";
    }
    const std::string_view origin = item.origin == Origin::built_in ? "default"
                                    : item.origin == Origin::file   ? "file"
                                                                    : "environment";
    out += fmt::format("{} = {}  # {}\n", spec.name.substr(spec.name.find('.') + 1), shown, origin);
  }
  return out;
}

}  // namespace tapedeck::config
