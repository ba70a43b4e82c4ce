// Folder store details the shared contract does not cover: atomic puts, folder layout, prefixes.
#include "core/storage/file_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "core/error.hpp"

namespace tapedeck::storage {
namespace {

namespace fs = std::filesystem;

class FileStoreTest : public ::testing::Test {
 protected:
  FileStoreTest()
      : root_(fs::temp_directory_path() / ("tapedeck-filestore-" + std::to_string(::getpid()) +
                                           "-" + std::to_string(std::random_device{}()))) {}
  ~FileStoreTest() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  std::size_t files_under_root() {
    std::size_t count = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root_)) {
      if (entry.is_regular_file()) ++count;
    }
    return count;
  }

  fs::path root_;
};

// Hands out `good` bytes, then throws as a failing source would.
class BreakingBuffer : public std::streambuf {
 public:
  explicit BreakingBuffer(std::string good) : good_(std::move(good)) {
    setg(good_.data(), good_.data(), good_.data() + good_.size());
  }

 protected:
  int_type underflow() override { throw std::runtime_error("source broke"); }

 private:
  std::string good_;
};

TEST_F(FileStoreTest, CreatesItsFolderAndMapsKeysToSubFolders) {
  FileStore store(root_ / "nested" / "root");
  std::istringstream in("payload");
  store.put(ObjectKey("a/b/c.dump"), in);
  EXPECT_TRUE(fs::is_regular_file(root_ / "nested/root/a/b/c.dump"));
  EXPECT_EQ(store.url_of(ObjectKey("a/b/c.dump")),
            "file://" + (root_ / "nested/root/a/b/c.dump").string());
}

TEST_F(FileStoreTest, AFailedPutLeavesNoTemporaryFileBehind) {
  FileStore store(root_);
  BreakingBuffer broken(std::string(3 << 20, 'x'));  // more than one 1 MiB chunk before failing
  std::istream in(&broken);
  try {
    store.put(ObjectKey("dir/object"), in);
    FAIL() << "put of a breaking stream succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.source(), ErrorSource::storage);
    EXPECT_NE(std::string(e.what()).find("nothing was stored"), std::string::npos) << e.what();
  }
  EXPECT_EQ(files_under_root(), 0u);
}

TEST_F(FileStoreTest, RemovingTheLastObjectOfAFolderRemovesTheEmptyFolders) {
  FileStore store(root_);
  std::istringstream first("1");
  std::istringstream second("2");
  store.put(ObjectKey("keep/x"), first);
  store.put(ObjectKey("drop/deep/y"), second);
  store.remove(ObjectKey("drop/deep/y"));
  EXPECT_FALSE(fs::exists(root_ / "drop"));
  EXPECT_TRUE(fs::exists(root_ / "keep/x"));
  EXPECT_TRUE(fs::exists(root_));
}

TEST_F(FileStoreTest, ListSkipsTemporaryFilesAndRefusesPrefixesThatClimbOut) {
  FileStore store(root_);
  std::istringstream in("1");
  store.put(ObjectKey("a/one"), in);
  std::ofstream(root_ / "a" / ".tapedeck-tmp-one.abc123") << "half written";
  const auto listed = store.list("a/");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, "a/one");
  EXPECT_THROW(store.list("../"), Error);
  EXPECT_THROW(store.list("/abs"), Error);
  EXPECT_TRUE(store.list("missing/folder/").empty());
}

TEST_F(FileStoreTest, RefusesARelativeRoot) {
  EXPECT_THROW(FileStore(fs::path("relative/dir")), Error);
}

}  // namespace
}  // namespace tapedeck::storage
