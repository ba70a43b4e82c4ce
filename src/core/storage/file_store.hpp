// ObjectStore over a local folder: one file per object, keys map to sub-folders.
#pragma once

#include <filesystem>

#include "core/storage/object_store.hpp"

namespace tapedeck::storage {

// Objects are files under `root`; a key "a/b/c" is the file root/a/b/c. put() writes a temporary
// file (".tapedeck-tmp-*") beside the target, fsyncs it, renames it over the target and fsyncs
// the folder, so readers see the old object or the whole new one, and a failed put leaves nothing.
// Not thread-safe (like every ObjectStore), but several stores, threads or processes may share
// one folder: each put has its own temporary file and rename is atomic.
class FileStore final : public ObjectStore {
 public:
  // Creates `root` (which must be absolute) when missing; throws Error(storage) if it cannot.
  explicit FileStore(std::filesystem::path root);

  ObjectInfo put(const ObjectKey& key, std::istream& data) override;
  void get(const ObjectKey& key, std::ostream& out) override;
  std::vector<ObjectInfo> list(std::string_view prefix) override;
  void remove(const ObjectKey& key) override;
  void discard(const ObjectKey& key) override;
  std::optional<ObjectInfo> head(const ObjectKey& key) override;
  std::string url_of(const ObjectKey& key) const override;

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

// File names starting with this are a FileStore's temporary files; keys may not use it.
inline constexpr std::string_view kTempFilePrefix = ".tapedeck-tmp-";

}  // namespace tapedeck::storage
