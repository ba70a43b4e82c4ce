// Virtual-host-style addressing against s3rver, through S3Store itself.
//
// libcurl resolves every "*.localhost" name to the loopback address on its own (RFC 6761), so a
// store with endpoint http://localhost:PORT reaches s3rver with "Host: <bucket>.localhost:PORT" and
// no resolver set-up. s3rver takes a host name that is not "<bucket>.s3[...].amazonaws.com" as the
// name of the bucket itself (S3's CNAME-style buckets), so it files these objects under the bucket
// "<bucket>.localhost". The test creates that bucket and reads back in path style from it: an
// object lands there only if the Host header carried the bucket and the path carried the key.
#include <gtest/gtest.h>

#include <sstream>

#include "core/storage/s3_address.hpp"
#include "core/storage/s3_store.hpp"
#include "core/storage/sigv4.hpp"
#include "store_fixture.hpp"

namespace tapedeck::storage {
namespace {

using testing::random_bytes;

[[maybe_unused]] auto* const curl_environment =
    ::testing::AddGlobalTestEnvironment(new testing::CurlEnvironment);

class S3VirtualHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_config_ = testing::stack_s3_config();  // http://127.0.0.1:PORT
    const std::string port = path_config_.endpoint.substr(path_config_.endpoint.rfind(':') + 1);
    virtual_host_config_ = path_config_;
    virtual_host_config_.endpoint = "http://localhost:" + port;
    virtual_host_config_.path_style = false;

    ASSERT_EQ(send_to_bucket("PUT").status, 200) << "creating bucket " << server_bucket_;
    virtual_host_ = std::make_unique<S3Store>(bucket_, "", virtual_host_config_);
    path_ = std::make_unique<S3Store>(server_bucket_, "", path_config_);
  }

  void TearDown() override {
    if (path_) {
      for (const ObjectInfo& info : path_->list("")) path_->remove(ObjectKey(info.key));
    }
    EXPECT_EQ(send_to_bucket("DELETE").status, 204) << "removing bucket " << server_bucket_;
  }

  // A bucket-level request to s3rver in path style, which S3Store has no call for.
  http::Response send_to_bucket(const std::string& method) {
    const S3Address address = s3_address(
        parse_s3_endpoint(path_config_.endpoint, path_config_.region), server_bucket_, "", true);
    const auto now = std::chrono::system_clock::now();
    sigv4::Request to_sign;
    to_sign.method = method;
    to_sign.path = address.path;
    to_sign.headers = {{"host", address.host},
                       {"x-amz-content-sha256", std::string(sigv4::kEmptyPayloadHash)},
                       {"x-amz-date", sigv4::amz_datetime(now)}};
    const sigv4::Signature signature =
        sigv4::sign(to_sign, {path_config_.access_key, path_config_.secret_key},
                    {path_config_.region, "s3"}, now);
    http::Request request;
    request.method = method;
    request.url = address.url;
    for (const auto& [name, value] : to_sign.headers) request.headers.add(name, value);
    request.headers.add("Authorization", signature.authorization);
    return client_.send(request);
  }

  std::string read(ObjectStore& store, const ObjectKey& key) {
    std::ostringstream out;
    store.get(key, out);
    return out.str();
  }

  const std::string bucket_ = "it-vhost-" + testing::random_suffix();
  const std::string server_bucket_ = bucket_ + ".localhost";
  S3Config path_config_;
  S3Config virtual_host_config_;
  http::Client client_;
  std::unique_ptr<S3Store> virtual_host_;
  std::unique_ptr<S3Store> path_;
};

TEST_F(S3VirtualHostTest, PutsGetsListsAndRemovesAnObjectWhoseKeyNeedsEncodingByHostName) {
  const ObjectKey key("vhost/snap shot+caf\xc3\xa9.dump");
  std::istringstream in("virtual-host style");
  virtual_host_->put(key, in);

  EXPECT_EQ(read(*path_, key), "virtual-host style");
  EXPECT_EQ(read(*virtual_host_, key), "virtual-host style");
  const auto head = virtual_host_->head(key);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->size, std::string("virtual-host style").size());
  const auto listed = virtual_host_->list("vhost/");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, key.str());

  virtual_host_->remove(key);
  EXPECT_FALSE(path_->head(key).has_value());
}

TEST_F(S3VirtualHostTest, UploadsAnObjectLargerThanOnePartAsMultipartByHostName) {
  const std::string bytes = random_bytes(kMinPartSize + 4096, 11);
  const ObjectKey key("vhost/big.bin");
  std::istringstream in(bytes);
  const ObjectInfo info = virtual_host_->put(key, in);

  EXPECT_EQ(info.size, bytes.size());
  EXPECT_TRUE(read(*path_, key) == bytes) << "the object read back in path style differs";
}

}  // namespace
}  // namespace tapedeck::storage
