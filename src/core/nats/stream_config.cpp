// The comparison of an existing stream's settings with its configuration.
#include "core/nats/stream_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/config.hpp"

namespace tapedeck::nats {

namespace {

std::string print_subjects(const std::vector<std::string>& subjects) {
  return fmt::format("[{}]", fmt::join(subjects, ", "));
}

std::string print_age(std::chrono::milliseconds age) {
  return age.count() <= 0 ? "unlimited" : config::format_duration(age);
}

std::string print_bytes(std::int64_t bytes) {
  return bytes <= 0 ? "unlimited" : fmt::format("{}", bytes);
}

std::string_view print_storage(StorageType storage) {
  return storage == StorageType::file ? "file" : "memory";
}

const std::string& key_of(const StreamSettingKeys& keys, StreamSetting setting) {
  static const std::string kNone;
  switch (setting) {
    case StreamSetting::subjects:
      return keys.subjects;
    case StreamSetting::max_age:
      return keys.max_age;
    case StreamSetting::max_bytes:
      return keys.max_bytes;
    case StreamSetting::replicas:
      return keys.replicas;
    case StreamSetting::duplicate_window:
      return keys.duplicate_window;
    case StreamSetting::storage:
      break;
  }
  return kNone;
}

}  // namespace

std::string_view to_string(StreamSetting setting) {
  switch (setting) {
    case StreamSetting::subjects:
      return "subjects";
    case StreamSetting::storage:
      return "storage";
    case StreamSetting::max_age:
      return "max age";
    case StreamSetting::max_bytes:
      return "max bytes";
    case StreamSetting::replicas:
      return "replicas";
    case StreamSetting::duplicate_window:
      return "duplicate window";
  }
  return "?";
}

StreamLimits StreamLimits::from_config(const config::Config& config, std::string_view prefix) {
  const auto key = [&](std::string_view setting) { return fmt::format("{}_{}", prefix, setting); };
  StreamLimits limits;
  limits.prefix = std::string(prefix);
  limits.max_age = config.duration(key("max_age"));
  const std::int64_t max_bytes = config.integer(key("max_bytes"));
  limits.max_bytes = max_bytes == 0 ? -1 : max_bytes;
  const std::int64_t replicas = config.integer(key("replicas"));
  if (limits.max_age.count() < 0 || max_bytes < 0) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("{} and {} must not be negative (0: no limit)", key("max_age"),
                            key("max_bytes")));
  }
  if (replicas < 1 || replicas > 5) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("{} is {}; JetStream keeps 1 to 5 copies of a stream", key("replicas"),
                            replicas));
  }
  limits.replicas = static_cast<int>(replicas);
  return limits;
}

void StreamLimits::apply_to(StreamConfig& stream) const {
  stream.max_age = max_age;
  stream.max_bytes = max_bytes;
  stream.replicas = replicas;
  if (prefix.empty()) return;
  stream.keys.max_age = prefix + "_max_age";
  stream.keys.max_bytes = prefix + "_max_bytes";
  stream.keys.replicas = prefix + "_replicas";
}

bool tapedeck_owns(StreamSetting setting) {
  return setting == StreamSetting::duplicate_window;
}

std::vector<StreamDifference> stream_differences(const StreamConfig& existing,
                                                 const StreamConfig& configured) {
  std::vector<StreamDifference> differences;
  const std::set<std::string> have(existing.subjects.begin(), existing.subjects.end());
  const std::set<std::string> want(configured.subjects.begin(), configured.subjects.end());
  if (have != want) {
    differences.push_back({StreamSetting::subjects, print_subjects(existing.subjects),
                           print_subjects(configured.subjects)});
  }
  if (existing.storage != configured.storage) {
    differences.push_back({StreamSetting::storage, std::string(print_storage(existing.storage)),
                           std::string(print_storage(configured.storage))});
  }
  // Every value <= 0 means "no limit" to the server.
  if (std::max<std::int64_t>(existing.max_age.count(), 0) !=
      std::max<std::int64_t>(configured.max_age.count(), 0)) {
    differences.push_back(
        {StreamSetting::max_age, print_age(existing.max_age), print_age(configured.max_age)});
  }
  if (std::max<std::int64_t>(existing.max_bytes, 0) !=
      std::max<std::int64_t>(configured.max_bytes, 0)) {
    differences.push_back({StreamSetting::max_bytes, print_bytes(existing.max_bytes),
                           print_bytes(configured.max_bytes)});
  }
  if (existing.replicas != configured.replicas) {
    differences.push_back({StreamSetting::replicas, fmt::format("{}", existing.replicas),
                           fmt::format("{}", configured.replicas)});
  }
  if (existing.duplicate_window != configured.duplicate_window) {
    differences.push_back({StreamSetting::duplicate_window,
                           config::format_duration(existing.duplicate_window),
                           config::format_duration(configured.duplicate_window)});
  }
  return differences;
}

std::string describe_settings(const StreamConfig& config) {
  return fmt::format(
      "subjects {}, {} storage, max age {}, max bytes {}, {} replica(s), duplicate window {}",
      print_subjects(config.subjects), print_storage(config.storage), print_age(config.max_age),
      print_bytes(config.max_bytes), config.replicas,
      config::format_duration(config.duplicate_window));
}

Error stream_conflict(const StreamConfig& configured,
                      const std::vector<StreamDifference>& refused) {
  std::vector<std::string> lines;
  for (const auto& difference : refused) {
    const std::string& key = key_of(configured.keys, difference.setting);
    lines.push_back(fmt::format(
        "{} is {} on the server, {} in the configuration{}", to_string(difference.setting),
        difference.existing, difference.configured, key.empty() ? "" : fmt::format(" ({})", key)));
  }
  return Error(ErrorSource::config, Recovery::conflict,
               fmt::format("stream {} exists with other settings than configured: {}. tapedeck "
                           "leaves the stream as it is: change the configuration to match, or "
                           "update the stream with `nats stream edit {}` (storage cannot be "
                           "edited: that takes a new stream)",
                           configured.name, fmt::join(lines, "; "), configured.name));
}

}  // namespace tapedeck::nats
