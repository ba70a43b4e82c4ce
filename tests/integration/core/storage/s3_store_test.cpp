// S3-specific behaviour against s3rver: multipart uploads read back by s3cmd, failures that must
// leave nothing behind, and error classification.
#include "core/storage/s3_store.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/error.hpp"
#include "core/storage/sha256.hpp"
#include "store_fixture.hpp"
#include "support/free_port.hpp"

namespace tapedeck::storage {

using tapedeck::testing::free_port;
namespace {

using testing::FailingBuffer;
using testing::random_bytes;

[[maybe_unused]] auto* const curl_environment =
    ::testing::AddGlobalTestEnvironment(new testing::CurlEnvironment);

// Forwards every request to s3rver unchanged and remembers "METHOD target" of each, so a test can
// see which S3 calls a store made. s3rver does not check signatures, so the Host the store signed
// (the proxy's) does not matter upstream.
class RecordingProxy {
 public:
  RecordingProxy(std::string upstream_host, int upstream_port)
      : upstream_host_(std::move(upstream_host)), upstream_port_(upstream_port) {
    const auto forward = [this](const httplib::Request& request, httplib::Response& response) {
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(request.method + " " + request.target);
      }
      httplib::Client upstream(upstream_host_, upstream_port_);
      httplib::Request out;
      out.method = request.method;
      out.path = request.target;
      out.body = request.body;
      for (const auto& [name, value] : request.headers) {
        if (name == "Host" || name == "Content-Length" || name == "Transfer-Encoding" ||
            name.starts_with("REMOTE_") || name.starts_with("LOCAL_")) {
          continue;
        }
        out.headers.emplace(name, value);
      }
      const httplib::Result result = upstream.send(out);
      if (!result) {
        response.status = 502;
        return;
      }
      response.status = result->status;
      response.body = result->body;
      for (const auto& [name, value] : result->headers) {
        if (name != "Content-Length" && name != "Transfer-Encoding") {
          response.headers.emplace(name, value);
        }
      }
    };
    server_.Get(".*", forward);
    server_.Put(".*", forward);
    server_.Post(".*", forward);
    server_.Delete(".*", forward);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~RecordingProxy() {
    server_.stop();
    thread_.join();
  }
  RecordingProxy(const RecordingProxy&) = delete;
  RecordingProxy& operator=(const RecordingProxy&) = delete;

  int port() const { return port_; }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::string upstream_host_;
  int upstream_port_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> seen_;
};

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bucket_ = tapedeck::testing::stack_env("TAPEDECK_STACK_S3_BUCKET");
    prefix_ = "it-s3-" + testing::random_suffix() + "/";
    config_ = testing::stack_s3_config();
    const std::string endpoint = config_.endpoint;  // http://127.0.0.1:PORT
    const auto colon = endpoint.rfind(':');
    host_ = endpoint.substr(7, colon - 7);
    port_ = std::stoi(endpoint.substr(colon + 1));
    store_ = std::make_unique<S3Store>(bucket_, prefix_, config_);
  }

  void TearDown() override {
    if (!store_) return;
    for (const ObjectInfo& info : store_->list("")) store_->remove(ObjectKey(info.key));
  }

  // Reads s3://bucket/<prefix><key> with s3cmd into a string.
  std::string read_with_s3cmd(const std::string& key) {
    const std::filesystem::path config = dir_.path() / "s3cfg";
    std::ofstream(config) << "[default]\n"
                          << "access_key = S3RVER\nsecret_key = S3RVER\n"
                          << "host_base = " << host_ << ":" << port_ << "\n"
                          << "host_bucket = " << host_ << ":" << port_ << "\n"
                          << "use_https = False\nsignature_v2 = False\n";
    const std::filesystem::path target = dir_.path() / "downloaded";
    const std::string command = "s3cmd -q -c '" + config.string() + "' get --force 's3://" +
                                bucket_ + "/" + prefix_ + key + "' '" + target.string() + "' 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    std::string output;
    char buffer[512];
    while (pipe != nullptr && std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
    const int status = pipe == nullptr ? -1 : ::pclose(pipe);
    EXPECT_EQ(status, 0) << command << "\n" << output;
    std::ifstream in(target, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string bucket_;
  std::string prefix_;
  std::string host_;
  int port_ = 0;
  S3Config config_;
  testing::TempDir dir_;
  std::unique_ptr<S3Store> store_;
};

TEST_F(S3StoreTest, UploadsAnObjectLargerThanOnePartAsMultipartThatS3cmdReadsBackByteForByte) {
  const std::string bytes = random_bytes(12 * 1024 * 1024 + 12345, 7);  // 3 parts of 5 MiB
  RecordingProxy proxy(host_, port_);
  S3Config via_proxy = config_;
  via_proxy.endpoint = "http://127.0.0.1:" + std::to_string(proxy.port());
  S3Store store(bucket_, prefix_, via_proxy);

  std::istringstream in(bytes);
  const ObjectInfo info = store.put(ObjectKey("big/object.bin"), in);
  EXPECT_EQ(info.size, bytes.size());
  EXPECT_EQ(info.sha256, sha256_hex(bytes));

  int parts = 0;
  bool created = false;
  bool completed = false;
  for (const std::string& line : proxy.seen()) {
    if (line.starts_with("POST ") && line.find("uploads") != std::string::npos) created = true;
    if (line.starts_with("PUT ") && line.find("partNumber=") != std::string::npos) ++parts;
    if (line.starts_with("POST ") && line.find("uploadId=") != std::string::npos) completed = true;
  }
  EXPECT_TRUE(created);
  EXPECT_EQ(parts, 3);
  EXPECT_TRUE(completed);

  const std::string downloaded = read_with_s3cmd("big/object.bin");
  EXPECT_EQ(downloaded.size(), bytes.size());
  EXPECT_TRUE(downloaded == bytes) << "s3cmd read different bytes";
  EXPECT_EQ(sha256_hex(downloaded), info.sha256);

  std::ostringstream out;
  store_->get(ObjectKey("big/object.bin"), out);
  EXPECT_TRUE(out.str() == bytes) << "get read different bytes";
  EXPECT_EQ(store_->head(ObjectKey("big/object.bin"))->size, bytes.size());
}

TEST_F(S3StoreTest, UploadsAnObjectOfExactlyOnePartWithOneSinglePut) {
  const std::string bytes = random_bytes(kMinPartSize, 8);
  RecordingProxy proxy(host_, port_);
  S3Config via_proxy = config_;
  via_proxy.endpoint = "http://127.0.0.1:" + std::to_string(proxy.port());
  S3Store store(bucket_, prefix_, via_proxy);
  std::istringstream in(bytes);
  store.put(ObjectKey("one-part"), in);
  const auto seen = proxy.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].starts_with("PUT /" + bucket_ + "/")) << seen[0];
  EXPECT_EQ(read_with_s3cmd("one-part"), bytes);
}

TEST_F(S3StoreTest, AStreamFailingInTheSecondPartAbortsTheMultipartUploadAndLeavesNoObject) {
  RecordingProxy proxy(host_, port_);
  S3Config via_proxy = config_;
  via_proxy.endpoint = "http://127.0.0.1:" + std::to_string(proxy.port());
  S3Store store(bucket_, prefix_, via_proxy);

  FailingBuffer broken(random_bytes(kMinPartSize + 1000, 9));
  std::istream in(&broken);
  EXPECT_THROW(store.put(ObjectKey("broken/multipart"), in), Error);

  std::string upload_id;
  bool aborted = false;
  bool completed = false;
  for (const std::string& line : proxy.seen()) {
    if (line.starts_with("PUT ") && line.find("uploadId=") != std::string::npos) {
      upload_id = line.substr(line.find("uploadId=") + 9);
    }
    if (line.starts_with("POST ") && line.find("uploadId=") != std::string::npos) completed = true;
  }
  ASSERT_FALSE(upload_id.empty()) << "the first part was never uploaded";
  for (const std::string& line : proxy.seen()) {
    if (line.starts_with("DELETE ") && line.find("uploadId=" + upload_id) != std::string::npos) {
      aborted = true;
    }
  }
  EXPECT_TRUE(aborted) << "no AbortMultipartUpload for upload " << upload_id;
  EXPECT_FALSE(completed);
  EXPECT_TRUE(tapedeck::testing::unfinished_s3_uploads(prefix_ + "broken/").empty())
      << "the server still holds the aborted upload's parts";
  EXPECT_FALSE(store_->head(ObjectKey("broken/multipart")).has_value());
  EXPECT_TRUE(store_->list("broken/").empty());
}

TEST_F(S3StoreTest, APutIntoAMissingBucketFailsAndCreatesNothing) {
  const std::string missing = "tapedeck-missing-" + testing::random_suffix();
  S3Store store(missing, "", config_);
  const std::string bytes = random_bytes(kMinPartSize * 2 + 10, 10);
  std::istringstream in(bytes);
  try {
    store.put(ObjectKey("x"), in);
    FAIL() << "put into a missing bucket succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.source(), ErrorSource::storage);
    EXPECT_EQ(e.recovery(), Recovery::not_found) << e.what();
    EXPECT_NE(std::string(e.what()).find("NoSuchBucket"), std::string::npos) << e.what();
  }
  EXPECT_THROW(store.list(""), Error);
}

TEST_F(S3StoreTest, AnUnreachableEndpointIsATransientError) {
  S3Config nowhere = config_;
  nowhere.endpoint = "http://127.0.0.1:1";
  nowhere.connect_timeout = std::chrono::seconds(2);
  S3Store store(bucket_, prefix_, nowhere);
  try {
    store.head(ObjectKey("x"));
    FAIL() << "HEAD against a closed port succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.source(), ErrorSource::http);
    EXPECT_TRUE(e.retryable()) << e.what();
  }
}

// A private s3rver: the shared stack's s3rver answers 500 to every truncated ListObjectsV2,
// because s3rver 3.7 encrypts continuation tokens with DES, which Node's OpenSSL 3 only offers
// through its legacy provider. This one runs with that provider enabled.
class PrivateS3rver {
 public:
  PrivateS3rver() {
    port_ = free_port();
    const std::string binary =
        std::string(TAPEDECK_SOURCE_DIR) + "/scripts/s3rver/node_modules/.bin/s3rver";
    const std::string port = std::to_string(port_);
    const std::string data = dir_.path().string();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setenv("NODE_OPTIONS", "--openssl-legacy-provider", 1);
      ::execl(binary.c_str(), binary.c_str(), "-d", data.c_str(), "-a", "127.0.0.1", "-p",
              port.c_str(), "--silent", "--configure-bucket", "pages", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {  // up to 20 s for node to start
      httplib::Client probe("127.0.0.1", port_);
      if (auto result = probe.Get("/pages"); result && result->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "s3rver did not start on port " << port_;
  }
  ~PrivateS3rver() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  PrivateS3rver(const PrivateS3rver&) = delete;
  PrivateS3rver& operator=(const PrivateS3rver&) = delete;
  int port() const { return port_; }

 private:
  testing::TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST(S3StoreListing, ListsMoreObjectsThanOnePageThroughContinuationTokens) {
  PrivateS3rver server;
  S3Config config = testing::stack_s3_config();
  config.endpoint = "http://127.0.0.1:" + std::to_string(server.port());
  S3Store store("pages", "", config);
  constexpr int kObjects = 1005;  // S3 and s3rver return at most 1000 keys per page
  for (int i = 0; i < kObjects; ++i) {
    std::istringstream in("x");
    store.put(ObjectKey("many/" + std::to_string(10000 + i)), in);
  }
  const auto listed = store.list("many/");
  ASSERT_EQ(listed.size(), static_cast<std::size_t>(kObjects));
  EXPECT_EQ(listed.front().key, "many/10000");
  EXPECT_EQ(listed.back().key, "many/" + std::to_string(10000 + kObjects - 1));
  for (std::size_t i = 1; i < listed.size(); ++i) {
    ASSERT_LT(listed[i - 1].key, listed[i].key) << "duplicate or unordered key at " << i;
  }
}

}  // namespace
}  // namespace tapedeck::storage
