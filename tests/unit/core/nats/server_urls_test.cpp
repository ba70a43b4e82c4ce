// nats.url with one server or a cluster's list, without a server.
#include <gtest/gtest.h>

#include "core/nats/connection.hpp"

namespace tapedeck::nats {
namespace {

using Urls = std::vector<std::string>;

TEST(ServerUrls, OneServer) {
  EXPECT_EQ(server_urls("nats://127.0.0.1:4222"), Urls{"nats://127.0.0.1:4222"});
}

TEST(ServerUrls, ACommaSeparatedListTrimmedOfBlanksAndEmptyParts) {
  EXPECT_EQ(server_urls(" nats://a:4222, nats://b:4223 ,,nats://c:4224,"),
            (Urls{"nats://a:4222", "nats://b:4223", "nats://c:4224"}));
}

TEST(ServerUrls, NothingWhenOnlyBlanksAndCommas) {
  EXPECT_TRUE(server_urls("").empty());
  EXPECT_TRUE(server_urls(" , ").empty());
}

}  // namespace
}  // namespace tapedeck::nats
