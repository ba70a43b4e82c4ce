// Object keys and the store factory that reads a storage URL.
#include "core/storage/object_store.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/storage/file_store.hpp"
#include "core/storage/s3_store.hpp"

namespace tapedeck::storage {

namespace {

[[noreturn]] void bad_key(const std::string& key, std::string_view why) {
  throw Error(ErrorSource::storage, Recovery::invalid,
              fmt::format("object key \"{}\" is not valid: {}", key, why));
}

}  // namespace

ObjectKey::ObjectKey(std::string key) : key_(std::move(key)) {
  if (key_.empty()) bad_key(key_, "it is empty");
  if (key_.size() > 1024) bad_key(key_, "it is longer than 1024 bytes");
  if (key_.front() == '/') bad_key(key_, "it starts with '/'; keys are relative");
  for (const char c : key_) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      bad_key(key_, "it contains a control character");
    }
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = key_.find('/', start);
    const std::string_view segment = std::string_view(key_).substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    if (segment.empty()) bad_key(key_, "it has an empty segment (\"//\" or a trailing '/')");
    if (segment == "." || segment == "..") bad_key(key_, "it has a \".\" or \"..\" segment");
    if (segment.starts_with(kTempFilePrefix)) {
      bad_key(key_, fmt::format("segments starting with \"{}\" are reserved", kTempFilePrefix));
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
}

StoreConfig store_config(const config::Config& config) {
  StoreConfig store;
  store.url = config.string("storage.url");
  store.s3.endpoint = config.string("s3.endpoint");
  store.s3.region = config.string("s3.region");
  store.s3.access_key = config.string("s3.access_key");
  store.s3.secret_key = config.string("s3.secret_key");
  store.s3.path_style = config.boolean("s3.path_style");
  store.s3.part_size = static_cast<std::uint64_t>(config.integer("s3.part_size"));
  store.s3.request_timeout = config.duration("s3.timeout");
  return store;
}

std::unique_ptr<ObjectStore> open_store(const StoreConfig& config) {
  const std::string& url = config.url;
  if (url.starts_with("file://")) {
    const std::string path = url.substr(7);
    if (!path.starts_with('/')) {
      throw Error(ErrorSource::config, Recovery::invalid,
                  fmt::format("storage URL \"{}\" needs an absolute folder: file:///path", url));
    }
    return std::make_unique<FileStore>(path);
  }
  if (url.starts_with("s3://")) {
    std::string rest = url.substr(5);
    const auto slash = rest.find('/');
    std::string bucket = rest.substr(0, slash);
    std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
    while (prefix.starts_with('/')) prefix.erase(0, 1);
    while (prefix.ends_with('/')) prefix.pop_back();
    if (!prefix.empty()) prefix += '/';
    if (bucket.empty()) {
      throw Error(ErrorSource::config, Recovery::invalid,
                  fmt::format("storage URL \"{}\" has no bucket: s3://bucket[/prefix]", url));
    }
    return std::make_unique<S3Store>(std::move(bucket), std::move(prefix), config.s3);
  }
  throw Error(
      ErrorSource::config, Recovery::invalid,
      fmt::format("storage URL \"{}\" is neither file:///folder nor s3://bucket[/prefix]", url));
}

}  // namespace tapedeck::storage
