// What a stream tapedeck uses should look like, and how an existing stream differs from it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"

namespace tapedeck::nats {

enum class StorageType { file, memory };

// The configuration key behind each setting, named when an existing stream differs (empty: the
// setting has no key of its own).
struct StreamSettingKeys {
  std::string subjects;
  std::string max_age;
  std::string max_bytes;
  std::string replicas;
  std::string duplicate_window;
};

struct StreamConfig {
  std::string name;
  std::vector<std::string> subjects;
  StorageType storage = StorageType::file;
  // Messages with a Nats-Msg-Id seen within this window are dropped as duplicates.
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(2)};
  std::chrono::milliseconds max_age{0};  // 0: keep forever
  std::int64_t max_bytes = -1;           // -1: unlimited
  int replicas = 1;
  StreamSettingKeys keys;
};

// The retention limits and replicas of one stream, as the configuration sets them.
struct StreamLimits {
  std::chrono::milliseconds max_age{0};  // 0: keep forever
  std::int64_t max_bytes = -1;           // -1: unlimited
  int replicas = 1;

  // Reads "<prefix>_max_age", "<prefix>_max_bytes" (0: unlimited) and "<prefix>_replicas"
  // (prefix "nats.cdc" or "nats.events"). Throws Error(config, invalid) for a negative age or
  // size or replicas outside 1..5 (JetStream's range).
  static StreamLimits from_config(const config::Config& config, std::string_view prefix);
  // Sets the limits on `stream` and names their keys in stream.keys.
  void apply_to(StreamConfig& stream) const;

  std::string prefix;  // the keys' prefix, empty when not read from the configuration
};

// The settings tapedeck configures on a stream. Any other setting of an existing stream
// (message count limits, discard policy, placement, ...) is the operator's and never looked at.
enum class StreamSetting { subjects, storage, max_age, max_bytes, replicas, duplicate_window };

std::string_view to_string(StreamSetting setting);

// Whether tapedeck brings this setting of an existing stream in line by itself rather than
// refusing a difference. Only the duplicate window: capture's and the timekeeper's re-sends
// rely on it to be stored once, and changing it loses no message. Subjects, storage, limits
// and replicas decide what the stream holds: an operator may have set them on purpose.
bool tapedeck_owns(StreamSetting setting);

// One setting in which an existing stream differs from its configuration, both values printed
// the way the configuration writes them ("3d", "unlimited", "[cdc.>]").
struct StreamDifference {
  StreamSetting setting;
  std::string existing;
  std::string configured;
};

// Every setting tapedeck configures in which `existing` differs from `configured`, in the
// order of StreamSetting. Subjects compare as sets.
std::vector<StreamDifference> stream_differences(const StreamConfig& existing,
                                                 const StreamConfig& configured);

// "subjects [cdc.>], file storage, max age 3d, max bytes unlimited, 1 replica(s), duplicate
// window 2m": for the log line of a created stream.
std::string describe_settings(const StreamConfig& config);

// The error that refuses to use an existing stream that differs in `refused`: Error(config,
// conflict) naming the stream, each setting with its existing and configured value and the key
// that sets it, and the two ways out (change the key, or `nats stream edit`).
Error stream_conflict(const StreamConfig& configured, const std::vector<StreamDifference>& refused);

}  // namespace tapedeck::nats
