// Pull requests and the meaning of each status that answers one.
#include "core/nats/pull_request.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::nats {
namespace {

using namespace std::chrono_literals;

Recovery recovery_of(std::string_view status, std::string_view description) {
  try {
    read_pull_status(status, description, "CDC", "transform");
  } catch (const Error& error) {
    EXPECT_NE(error.message().find("consumer transform on stream CDC"), std::string::npos)
        << error.message();
    EXPECT_NE(error.message().find(description), std::string::npos) << error.message();
    return error.recovery();
  }
  ADD_FAILURE() << status << " " << description << " did not throw";
  return Recovery::fail;
}

TEST(PullRequest, SubjectNamesStreamAndConsumer) {
  EXPECT_EQ(pull_request_subject("TAPEDECK_CDC", "tapedeck-transform"),
            "$JS.API.CONSUMER.MSG.NEXT.TAPEDECK_CDC.tapedeck-transform");
}

TEST(PullRequest, BodyCarriesBatchAByteCapAndExpiryAndNoWaitOnlyWhenSet) {
  EXPECT_EQ(pull_request_body(2000, 400ms, true),
            R"({"batch":2000,"max_bytes":33554432,"expires":400000000,"no_wait":true})");
  EXPECT_EQ(pull_request_body(1, 900ms, false),
            R"({"batch":1,"max_bytes":33554432,"expires":900000000})");
  EXPECT_EQ(pull_request_body(5, 0ns, true), R"({"batch":5,"max_bytes":33554432,"no_wait":true})");
}

TEST(PullRequest, ExpiryEndsTheRequestBeforeTheCallerStopsWaiting) {
  EXPECT_EQ(pull_request_expiry(500ms), 400ms);  // a fifth of the wait
  EXPECT_EQ(pull_request_expiry(2s), 1900ms);    // at most 100 ms early
  EXPECT_EQ(pull_request_expiry(10ms), 8ms);
  EXPECT_EQ(pull_request_expiry(1ms), 0ns);  // too short to wait for anything
  EXPECT_EQ(pull_request_expiry(0ns), 0ns);
}

TEST(PullRequest, HeartbeatsKeepReadingAndNoMessagesOrTimeoutEndTheRequest) {
  EXPECT_EQ(read_pull_status("100", "Idle Heartbeat", "CDC", "transform"),
            PullAnswer::keep_reading);
  EXPECT_EQ(read_pull_status("404", "No Messages", "CDC", "transform"), PullAnswer::request_ended);
  EXPECT_EQ(read_pull_status("408", "Request Timeout", "CDC", "transform"),
            PullAnswer::request_ended);
  EXPECT_EQ(read_pull_status("408", "Requests Pending", "CDC", "transform"),
            PullAnswer::request_ended);
}

TEST(PullRequest, EachFailingStatusIsRefusedWithTheRecoveryItCalls) {
  EXPECT_EQ(recovery_of("503", ""), Recovery::retry);
  EXPECT_EQ(recovery_of("409", "Leadership Change"), Recovery::retry);
  EXPECT_EQ(recovery_of("409", "Exceeded MaxWaiting"), Recovery::retry);
  // Ends a byte-capped request; fetch keeps what came before it and reports it only alone.
  EXPECT_EQ(recovery_of("409", "Message Size Exceeds MaxBytes"), Recovery::retry);
  EXPECT_EQ(recovery_of("409", "Consumer Deleted"), Recovery::not_found);
  EXPECT_EQ(recovery_of("409", "Exceeded MaxRequestBatch of 100"), Recovery::invalid);
  EXPECT_EQ(recovery_of("409", "Consumer is push based"), Recovery::fail);
  EXPECT_EQ(recovery_of("400", "Bad Request - invalid json"), Recovery::invalid);
  EXPECT_EQ(recovery_of("500", "Internal Error"), Recovery::fail);
}

}  // namespace
}  // namespace tapedeck::nats
