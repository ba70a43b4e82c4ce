// Base64 against RFC 4648's vectors, both alphabets, and the strict and lenient readers.
#include "core/base64.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "core/error.hpp"

namespace tapedeck {
namespace {

// RFC 4648 section 10.
TEST(Base64, EncodesAndDecodesTheRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
}

TEST(Base64, RoundTripsEveryByteValue) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
}

TEST(Base64, RejectsTextOutsideTheAlphabetOrOfTheWrongLength) {
  EXPECT_THROW(base64_decode("Zm9"), Error);
  EXPECT_THROW(base64_decode("Zm9*"), Error);
}

TEST(Base64, UrlSafeAlphabetUsesMinusAndUnderscore) {
  const std::string bytes = "\xfb\xff\xbf";
  EXPECT_EQ(base64_encode(bytes), "+/+/");
  EXPECT_EQ(base64_encode(bytes, Base64Alphabet::url_safe), "-_-_");
  std::string decoded;
  ASSERT_TRUE(base64_decode_append("-_-_", decoded, Base64Alphabet::url_safe));
  EXPECT_EQ(decoded, bytes);
  decoded.clear();
  EXPECT_FALSE(base64_decode_append("-_-_", decoded));
}

TEST(Base64, LenientReaderTakesTextWithOrWithoutPadding) {
  std::string decoded;
  ASSERT_TRUE(base64_decode_append("Zm8=", decoded));
  ASSERT_TRUE(base64_decode_append("Zm8", decoded));
  EXPECT_EQ(decoded, "fofo");
  EXPECT_FALSE(base64_decode_append("Zm9vY", decoded));  // six bits cannot end a byte
  EXPECT_FALSE(base64_decode_append("Zm*v", decoded));
}

TEST(Base64, StrictReaderRefusesPaddingInsideTheText) {
  EXPECT_THROW(base64_decode("Zg==Zm8="), Error);
  EXPECT_THROW(base64_decode("Z==="), Error);
}

TEST(Base64, EncodesIntoTheCallersBuffer) {
  std::string out(base64_encoded_size(4), '.');
  base64_encode_to(out.data(), "foob");
  EXPECT_EQ(out, "Zm9vYg==");
}

}  // namespace
}  // namespace tapedeck
