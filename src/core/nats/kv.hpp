// A JetStream KeyValue bucket: small durable values with revisions (e.g. transform's watermark).
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/nats/jetstream.hpp"

namespace tapedeck::nats {

struct KvConfig {
  std::string bucket;
  int history = 1;                   // values kept per key (1..64)
  std::chrono::milliseconds ttl{0};  // 0: values never expire
  std::int64_t max_bytes = -1;
  StorageType storage = StorageType::file;
};

struct KvEntry {
  std::string key;
  std::string value;
  std::uint64_t revision = 0;  // the bucket stream's sequence: grows with every put
  std::chrono::system_clock::time_point created;
};

namespace detail {
struct KvDeleter {
  void operator()(kvStore* kv) const noexcept { kvStore_Destroy(kv); }
};
}  // namespace detail

// One bucket. The constructor binds to the bucket or creates it when missing; creating
// concurrently from several processes is safe. Holds the JetStream context's library objects,
// so the JetStream and its Connection must outlive it. Move-only; thread-safe like the
// connection.
class KeyValue {
 public:
  KeyValue(JetStream& js, const KvConfig& config);

  // Stores `value` under `key`; returns the new revision.
  std::uint64_t put(std::string_view key, std::string_view value);
  // Stores only if the key's latest revision is still `expected_revision` (0: the key must
  // not exist). Throws Error(conflict) when someone else wrote first.
  std::uint64_t update(std::string_view key, std::string_view value,
                       std::uint64_t expected_revision);
  // The latest value, or nullopt when the key was never put or was deleted.
  std::optional<KvEntry> get(std::string_view key);
  void erase(std::string_view key);

  const std::string& bucket() const { return bucket_; }

  // Deletes the bucket and everything in it. False when it did not exist.
  static bool remove(JetStream& js, const std::string& bucket);

 private:
  std::string bucket_;
  std::unique_ptr<kvStore, detail::KvDeleter> kv_;
};

}  // namespace tapedeck::nats
