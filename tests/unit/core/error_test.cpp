// Error: the sentence what() prints, kinds a caller tests, causes and their chain.
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <exception>
#include <stdexcept>

namespace tapedeck {
namespace {

TEST(Error, PrintsItsSourceMessageAndCode) {
  const Error error(ErrorSource::postgres, Recovery::retry, "connection lost", "08006");
  EXPECT_STREQ(error.what(), "postgres: connection lost [08006]");
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.kind(), ErrorKind::unspecified);
  EXPECT_FALSE(error.cause());
}

TEST(Error, CarriesAKindACallerCanTestInsteadOfTheText) {
  try {
    throw Error(ErrorSource::storage, Recovery::fail, "checksum mismatch: expected a got b")
        .with_kind(ErrorKind::content_mismatch);
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::content_mismatch);
    EXPECT_EQ(error.recovery(), Recovery::fail);
    EXPECT_EQ(to_string(error.kind()), "content_mismatch");
  }
}

// Wraps whatever `inner` throws in an Error that says what was being done.
template <typename Inner>
void wrap(Inner inner, const std::string& message) {
  try {
    inner();
  } catch (const std::exception&) {
    throw Error(ErrorSource::internal, Recovery::fail, message).caused_by(std::current_exception());
  }
}

TEST(Error, KeepsTheFailureItWrapsForCallersToTest) {
  try {
    wrap([] { throw Error(ErrorSource::storage, Recovery::not_found, "no object", "404"); },
         "restoring failed");
    FAIL();
  } catch (const Error& error) {
    ASSERT_TRUE(error.cause());
    try {
      std::rethrow_exception(error.cause());
    } catch (const Error& cause) {
      EXPECT_EQ(cause.recovery(), Recovery::not_found);
      EXPECT_EQ(cause.code(), "404");
    }
  }
}

TEST(Describe, PrintsEveryCauseOnALineOfItsOwn) {
  try {
    wrap([] { wrap([] { throw std::runtime_error("disk full"); }, "writing the dump failed"); },
         "the restore failed");
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(describe(error),
              "internal: the restore failed\n"
              "  caused by: internal: writing the dump failed\n"
              "  caused by: disk full");
  }
}

TEST(Describe, DoesNotRepeatACauseTheMessageAlreadyQuotes) {
  try {
    wrap([] { throw Error(ErrorSource::storage, Recovery::fail, "timed out"); },
         "snapshot s3://b/k cannot be downloaded: timed out");
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(describe(error), "internal: snapshot s3://b/k cannot be downloaded: timed out");
  }
}

TEST(Describe, FollowsStandardNestedExceptions) {
  try {
    try {
      throw std::runtime_error("inner");
    } catch (...) {
      std::throw_with_nested(std::logic_error("outer"));
    }
  } catch (const std::exception& error) {
    EXPECT_EQ(describe(error), "outer\n  caused by: inner");
  }
}

TEST(Describe, IsJustWhatForAnErrorWithoutCause) {
  const Error error(ErrorSource::input, Recovery::invalid, "bad speed");
  EXPECT_EQ(describe(error), "input: bad speed");
}

}  // namespace
}  // namespace tapedeck
