// Object key validation, store URLs and the XML reader used for S3 responses.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "core/error.hpp"
#include "core/storage/object_store.hpp"
#include "core/storage/xml.hpp"

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

TEST(Xml, ExtractsElementsByExactNameIncludingAttributesAndEmptyOnes) {
  const std::string doc =
      "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"x\"><KeyCount>2</KeyCount>"
      "<Contents><Key>a &amp; b</Key><Size>1</Size></Contents>"
      "<Contents><Key>c&lt;d&#x20;&#233;</Key><Size>22</Size></Contents>"
      "<Prefix/><IsTruncated>false</IsTruncated></ListBucketResult>";
  const auto contents = xml::elements(doc, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(xml::text(contents[0], "Key"), "a & b");
  EXPECT_EQ(xml::text(contents[1], "Key"), "c<d \xc3\xa9");
  EXPECT_EQ(xml::text(contents[1], "Size"), "22");
  EXPECT_EQ(xml::text(doc, "Key"), "a & b");  // <KeyCount> is not <Key>
  EXPECT_EQ(xml::text(doc, "KeyCount"), "2");
  EXPECT_EQ(xml::text(doc, "Prefix"), "");
  EXPECT_EQ(xml::text(doc, "ListBucketResult").has_value(), true);
  EXPECT_FALSE(xml::text(doc, "Missing").has_value());
}

TEST(Xml, ReadsS3ErrorDocumentsAndCdata) {
  const std::string error =
      "<Error><Code>NoSuchKey</Code><Message>The resource <![CDATA[<you>]]> requested does not "
      "exist.</Message></Error>";
  EXPECT_EQ(xml::text(error, "Code"), "NoSuchKey");
  EXPECT_EQ(xml::text(error, "Message"), "The resource <you> requested does not exist.");
}

TEST(Xml, EscapesWhatDecodeReadsBack) {
  const std::string text = "\"etag\" & <x> 'y'";
  EXPECT_EQ(xml::escape(text), "&quot;etag&quot; &amp; &lt;x&gt; &apos;y&apos;");
  EXPECT_EQ(xml::decode(xml::escape(text)), text);
}

}  // namespace
}  // namespace tapedeck::storage
