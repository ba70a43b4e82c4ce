// JetStream ack reply subjects read in place: both forms of ADR-15, and refusals.
#include "core/nats/ack_reply.hpp"

#include <gtest/gtest.h>

namespace tapedeck::nats {
namespace {

TEST(AckReply, ReadsTheFormWithoutADomain) {
  const auto reply =
      parse_ack_reply("$JS.ACK.TAPEDECK_CDC.tapedeck-transform.2.1234.56.1715000000123456789.77");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->domain, "");
  EXPECT_EQ(reply->stream, "TAPEDECK_CDC");
  EXPECT_EQ(reply->consumer, "tapedeck-transform");
  EXPECT_EQ(reply->num_delivered, 2u);
  EXPECT_EQ(reply->stream_sequence, 1234u);
  EXPECT_EQ(reply->consumer_sequence, 56u);
  EXPECT_EQ(reply->timestamp_ns, 1715000000123456789);
  EXPECT_EQ(reply->num_pending, 77u);
}

TEST(AckReply, ReadsTheFormWithADomainAndAccountHashWithOrWithoutItsRandomToken) {
  for (const char* subject : {"$JS.ACK.hub.ACCHASH.S.C.1.10.9.1700000000000000000.0.Xk2p",
                              "$JS.ACK.hub.ACCHASH.S.C.1.10.9.1700000000000000000.0"}) {
    const auto reply = parse_ack_reply(subject);
    ASSERT_TRUE(reply) << subject;
    EXPECT_EQ(reply->domain, "hub");
    EXPECT_EQ(reply->stream, "S");
    EXPECT_EQ(reply->consumer, "C");
    EXPECT_EQ(reply->stream_sequence, 10u);
    EXPECT_EQ(reply->consumer_sequence, 9u);
  }
  const auto no_domain = parse_ack_reply("$JS.ACK._.ACCHASH.S.C.1.10.9.1700000000000000000.0.Xk2p");
  ASSERT_TRUE(no_domain);
  EXPECT_EQ(no_domain->domain, "");
}

TEST(AckReply, RefusesWhatIsNotAJetStreamAckSubject) {
  for (const char* subject :
       {"", "_INBOX.abc.def", "$JS.ACK.S.C.1.2.3.4",  // a token short
        "$JS.ACK.S.C.1.2.3.4.5.6",                    // 8 tokens
        "$JS.ACK.S.C.x.2.3.4.5", "$JS.ACK.S.C.1.2.3.4.-5", "$JS.ACK.S..1.2.3.4.5",
        "$JS.ACK.S.C.1.2.3.4.5.", "$JS.ACK.S.C.1.99999999999999999999999.3.4.5",
        "$JS.ACK.a.b.S.C.1.2.3.4.5.r.extra"}) {
    EXPECT_FALSE(parse_ack_reply(subject)) << subject;
  }
}

}  // namespace
}  // namespace tapedeck::nats
