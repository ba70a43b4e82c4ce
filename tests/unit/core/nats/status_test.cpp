// natsStatus classification and Error construction, without a server.
#include "core/nats/status.hpp"

#include <gtest/gtest.h>

namespace tapedeck::nats {
namespace {

TEST(NatsStatus, LostConnectionsAndTimeoutsAreRetryable) {
  for (natsStatus status : {NATS_TIMEOUT, NATS_CONNECTION_CLOSED, NATS_CONNECTION_DISCONNECTED,
                            NATS_NO_SERVER, NATS_NO_RESPONDERS, NATS_STALE_CONNECTION}) {
    EXPECT_EQ(classify(status), Recovery::retry) << status_name(status);
  }
}

TEST(NatsStatus, NotFoundIsNotFound) {
  EXPECT_EQ(classify(NATS_NOT_FOUND), Recovery::not_found);
}

TEST(NatsStatus, BadArgumentsAreInvalid) {
  EXPECT_EQ(classify(NATS_INVALID_SUBJECT), Recovery::invalid);
  EXPECT_EQ(classify(NATS_INVALID_ARG), Recovery::invalid);
}

TEST(NatsStatus, OtherFailuresFail) {
  EXPECT_EQ(classify(NATS_ERR), Recovery::fail);
  EXPECT_EQ(classify(NATS_CONNECTION_AUTH_FAILED), Recovery::fail);
  EXPECT_EQ(classify(NATS_ILLEGAL_STATE), Recovery::fail);
}

TEST(NatsStatus, JetStreamCodesOverrideTheGenericStatus) {
  EXPECT_EQ(classify(NATS_ERR, JSStreamNotFoundErr), Recovery::not_found);
  EXPECT_EQ(classify(NATS_ERR, JSConsumerNotFoundErr), Recovery::not_found);
  EXPECT_EQ(classify(NATS_ERR, JSStreamNameExistErr), Recovery::conflict);
  EXPECT_EQ(classify(NATS_ERR, JSStreamSubjectOverlapErr), Recovery::conflict);
  EXPECT_EQ(classify(NATS_ERR, JSStreamWrongLastSequenceErr), Recovery::conflict);
  EXPECT_EQ(classify(NATS_ERR, JSClusterNotAvailErr), Recovery::retry);
  EXPECT_EQ(classify(NATS_ERR, JSStreamInvalidConfig), Recovery::fail);
}

TEST(NatsStatus, NamesAreTheEnumNames) {
  EXPECT_EQ(status_name(NATS_TIMEOUT), "NATS_TIMEOUT");
  EXPECT_EQ(status_name(NATS_NO_RESPONDERS), "NATS_NO_RESPONDERS");
  EXPECT_EQ(status_name(NATS_OK), "NATS_OK");
}

TEST(NatsStatus, AnErrorCarriesWhatFailedTheStatusTextAndName) {
  Error error = make_error(NATS_TIMEOUT, "publishing to cdc.public.orders");
  EXPECT_EQ(error.source(), ErrorSource::nats);
  EXPECT_EQ(error.recovery(), Recovery::retry);
  EXPECT_EQ(error.code(), "NATS_TIMEOUT");
  EXPECT_NE(error.message().find("publishing to cdc.public.orders"), std::string::npos);
  EXPECT_NE(error.message().find(natsStatus_GetText(NATS_TIMEOUT)), std::string::npos);
}

TEST(NatsStatus, AnErrorNamesTheJetStreamCode) {
  Error error = make_error(NATS_ERR, "creating stream X", JSStreamNameExistErr);
  EXPECT_EQ(error.recovery(), Recovery::conflict);
  EXPECT_NE(error.message().find("10058"), std::string::npos);
}

TEST(NatsStatus, CheckThrowsOnlyOnFailure) {
  EXPECT_NO_THROW(check(NATS_OK, "nothing"));
  EXPECT_THROW(check(NATS_NOT_FOUND, "stream info"), Error);
}

}  // namespace
}  // namespace tapedeck::nats
