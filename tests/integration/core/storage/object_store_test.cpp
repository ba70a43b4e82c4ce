// The ObjectStore contract, run against both the folder store and s3rver.
#include "core/storage/object_store.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "core/error.hpp"
#include "core/storage/sha256.hpp"
#include "store_fixture.hpp"

namespace tapedeck::storage {
namespace {

using testing::FailingBuffer;
using testing::random_bytes;

[[maybe_unused]] auto* const curl_environment =
    ::testing::AddGlobalTestEnvironment(new testing::CurlEnvironment);

enum class Kind { folder, s3 };

class ObjectStoreContract : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    StoreConfig config;
    if (GetParam() == Kind::folder) {
      config.url = "file://" + dir_.path().string();
    } else {
      config.url = testing::fresh_s3_url();
      config.s3 = testing::stack_s3_config();
    }
    config_ = config;
    store_ = open_store(config);
  }

  void TearDown() override {
    if (!store_) return;
    for (const ObjectInfo& info : store_->list("")) store_->remove(ObjectKey(info.key));
  }

  ObjectInfo put(const std::string& key, const std::string& bytes) {
    std::istringstream in(bytes);
    return store_->put(ObjectKey(key), in);
  }

  std::string get(const std::string& key) {
    std::ostringstream out;
    store_->get(ObjectKey(key), out);
    return out.str();
  }

  testing::TempDir dir_;
  StoreConfig config_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(ObjectStoreContract, ReadsBackExactlyWhatWasPutWithItsSizeAndSha256) {
  const std::string bytes = random_bytes(300'000, 1);
  const ObjectInfo info = put("backups/2026/one.dump", bytes);
  EXPECT_EQ(info.key, "backups/2026/one.dump");
  EXPECT_EQ(info.size, bytes.size());
  EXPECT_EQ(info.sha256, sha256_hex(bytes));
  EXPECT_EQ(get("backups/2026/one.dump"), bytes);
}

TEST_P(ObjectStoreContract, StoresAnEmptyObject) {
  const ObjectInfo info = put("empty", "");
  EXPECT_EQ(info.size, 0u);
  EXPECT_EQ(info.sha256, sha256_hex(""));
  EXPECT_EQ(get("empty"), "");
  ASSERT_TRUE(store_->head(ObjectKey("empty")).has_value());
}

TEST_P(ObjectStoreContract, ReplacesAnObjectPutTwice) {
  put("same", "first version");
  put("same", "second");
  EXPECT_EQ(get("same"), "second");
  EXPECT_EQ(store_->list("same").size(), 1u);
}

TEST_P(ObjectStoreContract, HeadGivesSizeAndTimeOfPresentObjectsAndNothingForAbsentOnes) {
  const auto before = std::chrono::system_clock::now() - std::chrono::minutes(5);
  put("a/b", "12345");
  const auto info = store_->head(ObjectKey("a/b"));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, 5u);
  EXPECT_GT(info->last_modified, before);
  EXPECT_FALSE(store_->head(ObjectKey("a/missing")).has_value());
  EXPECT_FALSE(store_->head(ObjectKey("a")).has_value());  // a folder is not an object
}

TEST_P(ObjectStoreContract, ListsObjectsUnderAPrefixSortedByKey) {
  put("x/2", "bb");
  put("x/1", "a");
  put("x/sub/3", "ccc");
  put("xy", "d");
  put("other/4", "eeee");
  const auto all = store_->list("");
  EXPECT_EQ(all.size(), 5u);
  const auto under_x = store_->list("x/");
  ASSERT_EQ(under_x.size(), 3u);
  EXPECT_EQ(under_x[0].key, "x/1");
  EXPECT_EQ(under_x[0].size, 1u);
  EXPECT_EQ(under_x[1].key, "x/2");
  EXPECT_EQ(under_x[2].key, "x/sub/3");
  EXPECT_EQ(under_x[2].size, 3u);
  EXPECT_EQ(store_->list("x").size(), 4u);  // a plain string prefix, also matching "xy"
  EXPECT_TRUE(store_->list("nothing/").empty());
}

TEST_P(ObjectStoreContract, RemovesObjectsAndToleratesRemovingAbsentOnes) {
  put("gone/soon", "bytes");
  store_->remove(ObjectKey("gone/soon"));
  EXPECT_FALSE(store_->head(ObjectKey("gone/soon")).has_value());
  EXPECT_TRUE(store_->list("gone/").empty());
  EXPECT_NO_THROW(store_->remove(ObjectKey("gone/soon")));
  EXPECT_NO_THROW(store_->remove(ObjectKey("never/was")));
}

TEST_P(ObjectStoreContract, GetOfAnAbsentObjectIsNotFound) {
  std::ostringstream out;
  try {
    store_->get(ObjectKey("missing"), out);
    FAIL() << "get of a missing object succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.recovery(), Recovery::not_found) << e.what();
  }
}

TEST_P(ObjectStoreContract, AStreamThatFailsMidwayThrowsAndLeavesNoObject) {
  FailingBuffer broken(random_bytes(100'000, 2));
  std::istream in(&broken);
  EXPECT_THROW(store_->put(ObjectKey("broken/object"), in), Error);
  EXPECT_FALSE(store_->head(ObjectKey("broken/object")).has_value());
  EXPECT_TRUE(store_->list("").empty());
}

// A put() whose process is killed leaves what no error path could clean: the folder store's
// temporary file, the S3 store's unfinished multipart upload (its first part sent). discard()
// of the key removes it.
TEST_P(ObjectStoreContract, DiscardRemovesWhatAPutKilledMidwayLeft) {
  const ObjectKey key("killed/mid-put.dump");
  const std::string url = store_->url_of(key);
  const std::string s3_key = url.substr(url.find('/', 5) + 1);  // s3://bucket/<this>
  const auto leftovers = [&] {
    std::vector<std::string> found;
    if (GetParam() == Kind::s3) return tapedeck::testing::unfinished_s3_uploads(s3_key);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (entry.is_regular_file()) found.push_back(entry.path().filename().string());
    }
    return found;
  };

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = open_store(config_);
    testing::KillingBuffer dying(random_bytes(kMinPartSize + 1000, 11));
    std::istream in(&dying);
    try {
      store->put(key, in);
    } catch (...) {
    }
    ::_exit(3);  // put() returned or threw: the kill did not happen
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

  EXPECT_FALSE(store_->head(key).has_value());
  ASSERT_FALSE(leftovers().empty()) << "the killed put left nothing to discard";
  store_->discard(key);
  EXPECT_TRUE(leftovers().empty());
  EXPECT_TRUE(store_->list("").empty());
  EXPECT_NO_THROW(store_->discard(key)) << "discarding nothing is no error";
}

TEST_P(ObjectStoreContract, AFailedReplacementKeepsTheOldObject) {
  put("kept", "old bytes");
  FailingBuffer broken("new but broken");
  std::istream in(&broken);
  EXPECT_THROW(store_->put(ObjectKey("kept"), in), Error);
  EXPECT_EQ(get("kept"), "old bytes");
}

TEST_P(ObjectStoreContract, NamesObjectsWithAUrlOfItsScheme) {
  const std::string url = store_->url_of(ObjectKey("a/b.dump"));
  EXPECT_TRUE(url.starts_with(GetParam() == Kind::folder ? "file:///" : "s3://")) << url;
  EXPECT_TRUE(url.ends_with("/a/b.dump")) << url;
}

TEST_P(ObjectStoreContract, KeepsKeysWithSpacesAndNonAsciiCharacters) {
  const std::string key = "odd names/a b+c=d&e \xc3\xa9t\xc3\xa9.dump";
  put(key, "content");
  EXPECT_EQ(get(key), "content");
  const auto listed = store_->list("odd names/");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, key);
}

INSTANTIATE_TEST_SUITE_P(Stores, ObjectStoreContract, ::testing::Values(Kind::folder, Kind::s3),
                         [](const auto& info) {
                           return info.param == Kind::folder ? "Folder" : "S3";
                         });

}  // namespace
}  // namespace tapedeck::storage
