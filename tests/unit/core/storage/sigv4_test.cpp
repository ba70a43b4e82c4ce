// SigV4 signer against AWS's published Signature Version 4 test suite and the S3 examples.
//
// Expected values are copied by hand from the AWS Signature Version 4 test suite
// (aws-sig-v4-test-suite, published in the AWS General Reference), as vendored in
// github.com/bazelbuild/bazel under
// third_party/aws-sig-v4-test-suite/<case>/<case>.{req,creq,sts,authz}. The S3 cases come from the
// Amazon S3 API Reference, "Signature Calculations for the Authorization Header: Transferring
// Payload in a Single Chunk" (Example: GET Object, Example: GET Bucket (List Objects)).
#include "core/storage/sigv4.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "core/storage/encoding.hpp"
#include "core/storage/sha256.hpp"

namespace tapedeck::storage::sigv4 {
namespace {

using namespace std::chrono;

const Credentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
const Scope kSuiteScope{"us-east-1", "service"};
const system_clock::time_point kSuiteTime = sys_days{2015y / August / 30} + 12h + 36min;
constexpr const char* kHost = "example.amazonaws.com";
constexpr const char* kDate = "20150830T123600Z";
constexpr const char* kUnreserved =
    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

struct SuiteCase {
  std::string name;
  Request request;
  std::string body;
  std::string canonical_request;
  std::string string_to_sign;  // empty where the vendored copy has no .sts file
  std::string authorization;
};

std::string authz(const std::string& signed_headers, const std::string& signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=" +
         signed_headers + ", Signature=" + signature;
}

std::string sts(const std::string& hash) {
  return "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" + hash;
}

Request request(std::string method, std::string path,
                std::vector<std::pair<std::string, std::string>> query,
                std::vector<std::pair<std::string, std::string>> extra_headers = {}) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", kHost}};
  for (auto& header : extra_headers) r.headers.push_back(std::move(header));
  r.headers.emplace_back("X-Amz-Date", kDate);
  return r;
}

const std::string kEmpty(kEmptyPayloadHash);
const std::string kPlainHeaders = "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n";

std::vector<SuiteCase> suite() {
  return {
      {"get-vanilla", request("GET", "/", {}), "",
       "GET\n/\n\n" + kPlainHeaders + "\nhost;x-amz-date\n" + kEmpty,
       sts("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
       authz("host;x-amz-date",
             "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")},
      {"get-vanilla-query-order-key-case",
       request("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}), "",
       "GET\n/\nParam1=value1&Param2=value2\n" + kPlainHeaders + "\nhost;x-amz-date\n" + kEmpty,
       sts("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"),
       authz("host;x-amz-date",
             "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")},
      {"get-vanilla-query-order-value",
       request("GET", "/", {{"Param1", "value2"}, {"Param1", "value1"}}), "",
       "GET\n/\nParam1=value1&Param1=value2\n" + kPlainHeaders + "\nhost;x-amz-date\n" + kEmpty,
       sts("c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606"),
       authz("host;x-amz-date",
             "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694")},
      {"get-vanilla-query-order-key",
       request("GET", "/", {{"Param1", "value2"}, {"Param1", "Value1"}}), "",
       "GET\n/\nParam1=Value1&Param1=value2\n" + kPlainHeaders + "\nhost;x-amz-date\n" + kEmpty,
       sts("704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89"),
       authz("host;x-amz-date",
             "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1")},
      {"get-vanilla-query-unreserved", request("GET", "/", {{kUnreserved, kUnreserved}}), "",
       "GET\n/\n" + std::string(kUnreserved) + "=" + kUnreserved + "\n" + kPlainHeaders +
           "\nhost;x-amz-date\n" + kEmpty,
       sts("c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177"),
       authz("host;x-amz-date",
             "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197")},
      {"get-vanilla-utf8-query", request("GET", "/", {{"\xe1\x88\xb4", "bar"}}), "",
       "GET\n/\n%E1%88%B4=bar\n" + kPlainHeaders + "\nhost;x-amz-date\n" + kEmpty,
       sts("eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073"),
       authz("host;x-amz-date",
             "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04")},
      {"get-vanilla-empty-query-key", request("GET", "/", {{"Param1", "value1"}}), "",
       "GET\n/\nParam1=value1\n" + kPlainHeaders + "\nhost;x-amz-date\n" + kEmpty,
       sts("1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab"),
       authz("host;x-amz-date",
             "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb")},
      {"get-header-value-trim",
       request("GET", "/", {}, {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}), "",
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
       "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" +
           kEmpty,
       sts("a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7"),
       authz("host;my-header1;my-header2;x-amz-date",
             "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736")},
      {"get-header-key-duplicate",
       request("GET", "/", {},
               {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}),
       "",
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\n"
       "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n" +
           kEmpty,
       sts("dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c"),
       authz("host;my-header1;x-amz-date",
             "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea")},
      {"get-header-value-order",
       request("GET", "/", {},
               {{"My-Header1", "value4"},
                {"My-Header1", "value1"},
                {"My-Header1", "value3"},
                {"My-Header1", "value2"}}),
       "",
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\n"
       "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n" +
           kEmpty,
       sts("31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86"),
       authz("host;my-header1;x-amz-date",
             "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01")},
      {"get-unreserved", request("GET", "/" + std::string(kUnreserved), {}), "",
       "GET\n/" + std::string(kUnreserved) + "\n\n" + kPlainHeaders + "\nhost;x-amz-date\n" +
           kEmpty,
       sts("6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9"),
       authz("host;x-amz-date",
             "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f")},
      {"get-utf8", request("GET", "/\xe1\x88\xb4", {}), "",
       "GET\n/%E1%88%B4\n\n" + kPlainHeaders + "\nhost;x-amz-date\n" + kEmpty, "",
       authz("host;x-amz-date",
             "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85")},
      {"get-space", request("GET", "/example space/", {}), "",
       "GET\n/example%20space/\n\n" + kPlainHeaders + "\nhost;x-amz-date\n" + kEmpty, "",
       authz("host;x-amz-date",
             "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741")},
      {"post-vanilla", request("POST", "/", {}), "",
       "POST\n/\n\n" + kPlainHeaders + "\nhost;x-amz-date\n" + kEmpty,
       sts("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"),
       authz("host;x-amz-date",
             "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")},
      {"post-vanilla-empty-query-value", request("POST", "/", {{"Param1", "value1"}}), "",
       "POST\n/\nParam1=value1\n" + kPlainHeaders + "\nhost;x-amz-date\n" + kEmpty,
       sts("9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd"),
       authz("host;x-amz-date",
             "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11")},
      {"post-header-key-sort", request("POST", "/", {}, {{"My-Header1", "value1"}}), "",
       "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n"
       "\nhost;my-header1;x-amz-date\n" +
           kEmpty,
       sts("9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65"),
       authz("host;my-header1;x-amz-date",
             "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c")},
      {"post-header-value-case", request("POST", "/", {}, {{"My-Header1", "VALUE1"}}), "",
       "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n"
       "\nhost;my-header1;x-amz-date\n" +
           kEmpty,
       sts("d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93"),
       authz("host;my-header1;x-amz-date",
             "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d")},
      {"post-x-www-form-urlencoded",
       [] {
         Request r;
         r.method = "POST";
         r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                      {"Host", kHost},
                      {"X-Amz-Date", kDate}};
         return r;
       }(),
       "Param1=value1",
       "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
       "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
       "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
       sts("42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"),
       authz("content-type;host;x-amz-date",
             "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")},
      {"post-x-www-form-urlencoded-parameters",
       [] {
         Request r;
         r.method = "POST";
         r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"},
                      {"Host", kHost},
                      {"X-Amz-Date", kDate}};
         return r;
       }(),
       "Param1=value1",
       "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\n"
       "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
       "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
       sts("2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c"),
       authz("content-type;host;x-amz-date",
             "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe")},
  };
}

class SigV4Suite : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(SigV4Suite, ProducesTheCanonicalRequestStringToSignAndAuthorizationAwsPublished) {
  SuiteCase c = GetParam();
  c.request.payload_hash = sha256_hex(c.body);
  const Signature signature = sign(c.request, kSuiteCredentials, kSuiteScope, kSuiteTime);
  EXPECT_EQ(signature.canonical_request, c.canonical_request);
  if (!c.string_to_sign.empty()) {
    EXPECT_EQ(signature.string_to_sign, c.string_to_sign);
  }
  EXPECT_EQ(signature.authorization, c.authorization);
}

INSTANTIATE_TEST_SUITE_P(AwsTestSuite, SigV4Suite, ::testing::ValuesIn(suite()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

const Credentials kS3Credentials{"AKIAIOSFODNN7EXAMPLE",
                                 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
const Scope kS3Scope{"us-east-1", "s3"};
const system_clock::time_point kS3Time = sys_days{2013y / May / 24};

TEST(SigV4S3Examples, SignsTheDocumentedGetObjectWithARange) {
  Request r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmpty},
               {"x-amz-date", "20130524T000000Z"}};
  const Signature signature = sign(r, kS3Credentials, kS3Scope, kS3Time);
  EXPECT_EQ(signature.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" +
                kEmpty + "\nx-amz-date:20130524T000000Z\n\n" +
                "host;range;x-amz-content-sha256;x-amz-date\n" + kEmpty);
  EXPECT_EQ(signature.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(signature.signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3Examples, SignsTheDocumentedListObjectsQuery) {
  Request r;
  r.method = "GET";
  r.path = "/";
  r.query = {{"max-keys", "2"}, {"prefix", "J"}};
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-content-sha256", kEmpty},
               {"x-amz-date", "20130524T000000Z"}};
  const Signature signature = sign(r, kS3Credentials, kS3Scope, kS3Time);
  EXPECT_EQ(signature.signature,
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, DerivesTheSigningKeyAwsDocumentsForIam) {
  // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4":
  // secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam.
  const Digest key =
      signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", {"us-east-1", "iam"});
  EXPECT_EQ(to_hex(key), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, EncodesEverythingButUnreservedCharactersAndOptionallySlashes) {
  EXPECT_EQ(uri_encode("a b/c+d=e&f%", true), "a%20b/c%2Bd%3De%26f%25");
  EXPECT_EQ(uri_encode("a b/c", false), "a%20b%2Fc");
  EXPECT_EQ(uri_encode(kUnreserved, false), kUnreserved);
}

TEST(SigV4, FormatsInstantsAsAmzDates) {
  EXPECT_EQ(amz_datetime(kSuiteTime), "20150830T123600Z");
  EXPECT_EQ(amz_date(kSuiteTime), "20150830");
}

TEST(SigV4, SignsUnsignedPayloadsWithTheMarkerInTheCanonicalRequest) {
  Request r = request("PUT", "/bucket/key", {});
  r.payload_hash = std::string(kUnsignedPayload);
  const Signature signature = sign(r, kSuiteCredentials, kSuiteScope, kSuiteTime);
  EXPECT_TRUE(signature.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  EXPECT_EQ(signature.signature.size(), 64u);
}

}  // namespace
}  // namespace tapedeck::storage::sigv4
