// KeyValue bucket over cnats' kvStore.
#include "core/nats/kv.hpp"

#include <fmt/format.h>

#include "core/nats/status.hpp"

namespace tapedeck::nats {

namespace {
struct EntryDeleter {
  void operator()(kvEntry* entry) const noexcept { kvEntry_Destroy(entry); }
};
}  // namespace

KeyValue::KeyValue(JetStream& js, const KvConfig& config) : bucket_(config.bucket) {
  kvStore* kv = nullptr;
  natsStatus status = js_KeyValue(&kv, js.native(), bucket_.c_str());
  if (status == NATS_NOT_FOUND) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = bucket_.c_str();
    cfg.History = static_cast<uint8_t>(config.history);
    cfg.TTL = std::chrono::duration_cast<std::chrono::nanoseconds>(config.ttl).count();
    cfg.MaxBytes = config.max_bytes;
    cfg.StorageType = config.storage == StorageType::file ? js_FileStorage : js_MemoryStorage;
    kv = nullptr;
    status = js_CreateKeyValue(&kv, js.native(), &cfg);
    if (status != NATS_OK) {
      // Another process may have created it with other settings in between: bind to that.
      kvStore_Destroy(kv);
      kv = nullptr;
      natsStatus bind_status = js_KeyValue(&kv, js.native(), bucket_.c_str());
      if (bind_status == NATS_OK) status = NATS_OK;
    }
  }
  if (status != NATS_OK) {
    kvStore_Destroy(kv);
    check(status, "opening key-value bucket " + bucket_);
  }
  kv_.reset(kv);
}

std::uint64_t KeyValue::put(std::string_view key, std::string_view value) {
  std::string key_z(key);
  std::uint64_t revision = 0;
  check(kvStore_Put(&revision, kv_.get(), key_z.c_str(), value.data(),
                    static_cast<int>(value.size())),
        fmt::format("putting key {} in bucket {}", key_z, bucket_));
  return revision;
}

std::uint64_t KeyValue::update(std::string_view key, std::string_view value,
                               std::uint64_t expected_revision) {
  std::string key_z(key);
  std::uint64_t revision = 0;
  natsStatus status = expected_revision == 0
                          ? kvStore_Create(&revision, kv_.get(), key_z.c_str(), value.data(),
                                           static_cast<int>(value.size()))
                          : kvStore_Update(&revision, kv_.get(), key_z.c_str(), value.data(),
                                           static_cast<int>(value.size()), expected_revision);
  if (status == NATS_ERR) {
    // cnats reports the server's "wrong last sequence" as a bare NATS_ERR whose text is the
    // server's description; no JetStream error code reaches us here.
    natsStatus last_status = NATS_OK;
    const char* last = nats_GetLastError(&last_status);
    if (last != nullptr &&
        std::string_view(last).find("wrong last sequence") != std::string_view::npos) {
      throw Error(ErrorSource::nats, Recovery::conflict,
                  fmt::format("updating key {} in bucket {} expecting revision {}: someone else "
                              "wrote it first; read it again and retry",
                              key_z, bucket_, expected_revision),
                  std::string(status_name(status)));
    }
  }
  check(status, fmt::format("updating key {} in bucket {}", key_z, bucket_));
  return revision;
}

std::optional<KvEntry> KeyValue::get(std::string_view key) {
  std::string key_z(key);
  kvEntry* raw = nullptr;
  natsStatus status = kvStore_Get(&raw, kv_.get(), key_z.c_str());
  std::unique_ptr<kvEntry, EntryDeleter> entry(raw);
  if (status == NATS_NOT_FOUND) return std::nullopt;
  check(status, fmt::format("getting key {} from bucket {}", key_z, bucket_));
  KvEntry result;
  result.key = key_z;
  const void* data = kvEntry_Value(entry.get());
  if (data != nullptr) {
    result.value.assign(static_cast<const char*>(data),
                        static_cast<std::size_t>(kvEntry_ValueLen(entry.get())));
  }
  result.revision = kvEntry_Revision(entry.get());
  result.created = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(kvEntry_Created(entry.get()))));
  return result;
}

void KeyValue::erase(std::string_view key) {
  std::string key_z(key);
  check(kvStore_Delete(kv_.get(), key_z.c_str()),
        fmt::format("deleting key {} from bucket {}", key_z, bucket_));
}

bool KeyValue::remove(JetStream& js, const std::string& bucket) {
  natsStatus status = js_DeleteKeyValue(js.native(), bucket.c_str());
  if (status == NATS_NOT_FOUND) return false;
  check(status, "deleting key-value bucket " + bucket);
  return true;
}

}  // namespace tapedeck::nats
