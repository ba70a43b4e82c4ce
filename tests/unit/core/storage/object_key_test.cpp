// Object key validation and store URLs.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "core/error.hpp"
#include "core/storage/object_store.hpp"

namespace tapedeck::storage {
namespace {

Recovery recovery_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.recovery();
  }
  ADD_FAILURE() << "no Error was thrown";
  return Recovery::fail;
}

TEST(ObjectKey, AcceptsRelativeSlashSeparatedKeys) {
  EXPECT_EQ(ObjectKey("backups/2026-11-24/live.dump").str(), "backups/2026-11-24/live.dump");
  EXPECT_EQ(ObjectKey("a b/\xc3\xa9t\xc3\xa9.dump").str(), "a b/\xc3\xa9t\xc3\xa9.dump");
  EXPECT_EQ(ObjectKey("..hidden/x..y").str(), "..hidden/x..y");
}

TEST(ObjectKey, RejectsKeysThatCouldEscapeTheStoreOrAreMalformed) {
  for (const std::string& bad : std::vector<std::string>{
           "", "/etc/passwd", "../up", "a/../../b", "a/..", "./a", "a//b", "a/", "tab\there",
           std::string("nul\0x", 5), "a/.tapedeck-tmp-x", std::string(1025, 'k')}) {
    EXPECT_EQ(recovery_of([&] { ObjectKey key(bad); }), Recovery::invalid) << bad;
  }
}

TEST(OpenStore, RefusesUnknownSchemesRelativeFoldersAndSmallParts) {
  EXPECT_EQ(recovery_of([] { open_store({"ftp://x", {}}); }), Recovery::invalid);
  EXPECT_EQ(recovery_of([] { open_store({"file://relative/dir", {}}); }), Recovery::invalid);
  EXPECT_EQ(recovery_of([] { open_store({"s3://", {}}); }), Recovery::invalid);
  StoreConfig small{"s3://bucket", {}};
  small.s3.part_size = kMinPartSize - 1;
  EXPECT_EQ(recovery_of([&] { open_store(small); }), Recovery::invalid);
  StoreConfig no_scheme{"s3://bucket", {}};
  no_scheme.s3.endpoint = "127.0.0.1:9000";
  EXPECT_EQ(recovery_of([&] { open_store(no_scheme); }), Recovery::invalid);
}

TEST(OpenStore, NamesS3ObjectsUnderTheBucketAndPrefix) {
  StoreConfig config{"s3://bucket/some/prefix/", {}};
  config.s3.endpoint = "http://127.0.0.1:9000";
  const auto store = open_store(config);
  EXPECT_EQ(store->url_of(ObjectKey("a/b.dump")), "s3://bucket/some/prefix/a/b.dump");
  const auto bare = open_store({"s3://bucket", config.s3});
  EXPECT_EQ(bare->url_of(ObjectKey("k")), "s3://bucket/k");
}

}  // namespace
}  // namespace tapedeck::storage
