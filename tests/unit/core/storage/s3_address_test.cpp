// Where S3 requests go in path style and virtual-host style, and how endpoints are parsed.
#include "core/storage/s3_address.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::storage {
namespace {

const S3Endpoint kLocal{"http", "127.0.0.1:9000"};
const S3Endpoint kAws{"https", "s3.eu-west-1.amazonaws.com"};

TEST(S3Address, PathStyleKeepsTheEndpointHostAndPutsTheBucketFirstInThePath) {
  const S3Address address = s3_address(kLocal, "backups", "db/2026-11-24.dump", true);
  EXPECT_EQ(address.host, "127.0.0.1:9000");
  EXPECT_EQ(address.path, "/backups/db/2026-11-24.dump");
  EXPECT_EQ(address.url, "http://127.0.0.1:9000/backups/db/2026-11-24.dump");
}

TEST(S3Address, VirtualHostStylePutsTheBucketBeforeTheEndpointHostAndKeepsThePort) {
  const S3Address address = s3_address(kLocal, "backups", "db/2026-11-24.dump", false);
  EXPECT_EQ(address.host, "backups.127.0.0.1:9000");
  EXPECT_EQ(address.path, "/db/2026-11-24.dump");
  EXPECT_EQ(address.url, "http://backups.127.0.0.1:9000/db/2026-11-24.dump");
}

TEST(S3Address, VirtualHostStyleOnAwsNamesTheBucketInTheHostName) {
  const S3Address address = s3_address(kAws, "backups", "a.dump", false);
  EXPECT_EQ(address.host, "backups.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(address.url, "https://backups.s3.eu-west-1.amazonaws.com/a.dump");
}

TEST(S3Address, TheBucketItselfIsTheBucketPathInPathStyleAndTheRootInVirtualHostStyle) {
  EXPECT_EQ(s3_address(kLocal, "backups", "", true).path, "/backups");
  EXPECT_EQ(s3_address(kLocal, "backups", "", true).url, "http://127.0.0.1:9000/backups");
  EXPECT_EQ(s3_address(kLocal, "backups", "", false).path, "/");
  EXPECT_EQ(s3_address(kLocal, "backups", "", false).url, "http://backups.127.0.0.1:9000/");
}

TEST(S3Address, KeysAreSignedDecodedAndSentUriEncodedWithTheirSlashesKept) {
  const std::string key = "snap shots/caf\xc3\xa9+1=2&x~y.dump";
  for (const bool path_style : {true, false}) {
    SCOPED_TRACE(path_style ? "path style" : "virtual-host style");
    const S3Address address = s3_address(kLocal, "backups", key, path_style);
    const std::string bucket_part = path_style ? "/backups" : "";
    EXPECT_EQ(address.path, bucket_part + "/" + key);
    EXPECT_EQ(address.url, "http://" + address.host + bucket_part +
                               "/snap%20shots/caf%C3%A9%2B1%3D2%26x~y.dump");
  }
}

TEST(S3Endpoint, SplitsSchemeAndHostWithItsPortAndDropsATrailingSlash) {
  const S3Endpoint endpoint = parse_s3_endpoint("http://minio.internal:9000/", "us-east-1");
  EXPECT_EQ(endpoint.scheme, "http");
  EXPECT_EQ(endpoint.authority, "minio.internal:9000");
}

TEST(S3Endpoint, AnEmptyEndpointIsAwsInTheRegion) {
  const S3Endpoint endpoint = parse_s3_endpoint("", "eu-west-1");
  EXPECT_EQ(endpoint.scheme, "https");
  EXPECT_EQ(endpoint.authority, "s3.eu-west-1.amazonaws.com");
}

TEST(S3Endpoint, RefusesAnotherSchemeAPathOrNoHostNamingTheEndpoint) {
  for (const std::string bad : {"ftp://host", "127.0.0.1:9000", "http://host/bucket", "https://"}) {
    SCOPED_TRACE(bad);
    try {
      parse_s3_endpoint(bad, "us-east-1");
      ADD_FAILURE() << "accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.recovery(), Recovery::invalid);
      EXPECT_NE(std::string(error.what()).find(bad), std::string::npos) << error.what();
    }
  }
}

}  // namespace
}  // namespace tapedeck::storage
