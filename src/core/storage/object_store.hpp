// Object storage for backups: one interface over a local folder or any S3 API.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"

namespace tapedeck::storage {

// A validated object key: '/'-separated segments, none empty, "." or "..", no leading '/', no
// control characters, at most 1024 bytes. The same key is valid in every store, so a key can
// never leave a folder store's root or name a store's temporary file. Construction throws
// Error(storage, invalid) naming the problem.
class ObjectKey {
 public:
  explicit ObjectKey(std::string key);
  const std::string& str() const { return key_; }
  bool operator==(const ObjectKey&) const = default;

 private:
  std::string key_;
};

struct ObjectInfo {
  std::string key;         // relative to the store's root/prefix
  std::uint64_t size = 0;  // bytes
  std::string sha256;      // hex; set by put(), empty from list()/head()
  std::chrono::system_clock::time_point last_modified;
};

// A place to put, fetch, list and remove whole objects. Implementations are not thread-safe:
// use one store per thread (they are cheap to open). Every failure throws tapedeck::Error with
// source storage (or http for a transport failure): retry for transient failures (5xx, 429,
// timeouts), not_found, fail for refusals (403, ...), invalid for bad keys.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Streams `data` to `key` in bounded memory, replacing any object there. Either the whole
  // object is stored or, when anything fails (including `data` going bad), nothing is: no
  // partial object and no pending upload remain. Returns the size and SHA-256 of what was stored.
  virtual ObjectInfo put(const ObjectKey& key, std::istream& data) = 0;
  // Streams the object into `out`; Error(not_found) when it does not exist.
  virtual void get(const ObjectKey& key, std::ostream& out) = 0;
  // Every object whose key starts with `prefix` (plain string prefix, "" for all), sorted by key.
  virtual std::vector<ObjectInfo> list(std::string_view prefix) = 0;
  // Removes the object; no error when it is absent.
  virtual void remove(const ObjectKey& key) = 0;
  // Removes the object and whatever a put() of it that never finished (its process killed) left
  // behind: a folder store's temporary files, an S3 store's unfinished multipart uploads. No
  // error when there is nothing.
  virtual void discard(const ObjectKey& key) = 0;
  // Size and modification time, or nothing when absent.
  virtual std::optional<ObjectInfo> head(const ObjectKey& key) = 0;
  // Where the object lives: "file:///abs/dir/key" or "s3://bucket/prefix/key".
  virtual std::string url_of(const ObjectKey& key) const = 0;
};

struct S3Config {
  // "http://127.0.0.1:9000"; empty means AWS: "https://s3.<region>.amazonaws.com".
  std::string endpoint;
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  // true: <endpoint>/<bucket>/<key>; false: virtual-host style <bucket>.<endpoint host>/<key>.
  bool path_style = true;
  // Objects larger than one part go up as a multipart upload of parts this size; at least 5 MiB
  // (S3's minimum). Memory use of put() is about one part.
  std::uint64_t part_size = std::uint64_t{8} * 1024 * 1024;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds request_timeout{std::chrono::minutes(10)};  // per HTTP request
};

struct StoreConfig {
  // "file:///absolute/dir" or "s3://bucket" or "s3://bucket/prefix".
  std::string url;
  S3Config s3;  // used for s3:// URLs
};

// storage.url and s3.*: the snapshot store as the configuration names it.
StoreConfig store_config(const config::Config& config);

// Opens the store `config.url` names. Throws Error(config, invalid) for an unknown scheme, a
// relative folder or a part size below 5 MiB; the folder store creates its folder.
std::unique_ptr<ObjectStore> open_store(const StoreConfig& config);

inline constexpr std::uint64_t kMinPartSize = std::uint64_t{5} * 1024 * 1024;

}  // namespace tapedeck::storage
