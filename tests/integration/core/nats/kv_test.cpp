// KeyValue buckets against the shared nats-server.
#include "core/nats/kv.hpp"

#include <gtest/gtest.h>

#include "fixture.hpp"

namespace tapedeck::nats {
namespace {

class KeyValueTest : public testing::SharedServerTest {
 protected:
  void TearDown() override {
    if (js_) KeyValue::remove(*js_, bucket());
    SharedServerTest::TearDown();
  }
  std::string bucket() const { return "watermark_" + suffix_; }
  KvConfig config() const {
    KvConfig config;
    config.bucket = bucket();
    config.storage = StorageType::memory;
    return config;
  }
};

TEST_F(KeyValueTest, AMissingKeyReadsAsNothing) {
  KeyValue kv(*js_, config());
  EXPECT_FALSE(kv.get("transform").has_value());
}

TEST_F(KeyValueTest, PutThenGetReturnsTheLatestValueAndRevision) {
  KeyValue kv(*js_, config());
  std::uint64_t first = kv.put("transform", "0/16B3748");
  std::uint64_t second = kv.put("transform", "0/16B3800");
  EXPECT_GT(second, first);
  std::optional<KvEntry> entry = kv.get("transform");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->value, "0/16B3800");
  EXPECT_EQ(entry->revision, second);
  EXPECT_EQ(entry->key, "transform");
}

TEST_F(KeyValueTest, ASecondOpenerBindsToTheSameBucket) {
  KeyValue writer(*js_, config());
  writer.put("transform", "1/0");
  KeyValue reader(*js_, config());
  std::optional<KvEntry> entry = reader.get("transform");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->value, "1/0");
}

TEST_F(KeyValueTest, UpdateAtAStaleRevisionIsAConflict) {
  KeyValue kv(*js_, config());
  std::uint64_t created = kv.update("transform", "1/0", 0);
  std::uint64_t updated = kv.update("transform", "2/0", created);
  EXPECT_GT(updated, created);
  try {
    kv.update("transform", "3/0", created);
    FAIL() << "expected a conflict";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::conflict);
  }
  EXPECT_EQ(kv.get("transform")->value, "2/0");
}

TEST_F(KeyValueTest, AnErasedKeyReadsAsNothing) {
  KeyValue kv(*js_, config());
  kv.put("transform", "1/0");
  kv.erase("transform");
  EXPECT_FALSE(kv.get("transform").has_value());
}

}  // namespace
}  // namespace tapedeck::nats
