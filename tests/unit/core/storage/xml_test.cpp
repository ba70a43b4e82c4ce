// The XML reader for S3 responses (pugixml) and the escaping of request bodies.
#include "core/storage/xml.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tapedeck::storage {
namespace {

TEST(Xml, ExtractsElementsByExactNameIncludingAttributesAndEmptyOnes) {
  const xml::Document doc(
      "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"x\"><KeyCount>2</KeyCount>"
      "<Contents><Key>a &amp; b</Key><Size>1</Size></Contents>"
      "<Contents><Key>c&lt;d&#x20;&#233;</Key><Size>22</Size></Contents>"
      "<Prefix/><IsTruncated>false</IsTruncated></ListBucketResult>");
  const auto contents = doc.all("Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(contents[0].text("Key"), "a & b");
  EXPECT_EQ(contents[1].text("Key"), "c<d \xc3\xa9");
  EXPECT_EQ(contents[1].text("Size"), "22");
  EXPECT_EQ(doc.text("Key"), "a & b");  // <KeyCount> is not <Key>
  EXPECT_EQ(doc.text("KeyCount"), "2");
  EXPECT_EQ(doc.text("Prefix"), "");
  EXPECT_EQ(doc.text("ListBucketResult").has_value(), true);
  EXPECT_FALSE(doc.text("Missing").has_value());
  EXPECT_TRUE(doc.all("Missing").empty());
}

TEST(Xml, ReadsS3ErrorDocumentsAndCdata) {
  const xml::Document error(
      "<Error><Code>NoSuchKey</Code><Message>The resource <![CDATA[<you>]]> requested does not "
      "exist.</Message></Error>");
  EXPECT_EQ(error.text("Code"), "NoSuchKey");
  EXPECT_EQ(error.text("Message"), "The resource <you> requested does not exist.");
}

TEST(Xml, FindsNothingInABodyThatIsNotXml) {
  EXPECT_FALSE(xml::Document("").text("Code"));
  EXPECT_FALSE(xml::Document("<html><body>502 Bad Gateway</body>").text("body"));
  EXPECT_FALSE(xml::Document("Service Unavailable").text("Code"));
}

TEST(Xml, EscapesWhatTheReaderReadsBack) {
  const std::string text = "\"etag\" & <x> 'y'";
  EXPECT_EQ(xml::escape(text), "&quot;etag&quot; &amp; &lt;x&gt; &apos;y&apos;");
  EXPECT_EQ(xml::Document("<ETag>" + xml::escape(text) + "</ETag>").text("ETag"), text);
}

}  // namespace
}  // namespace tapedeck::storage
