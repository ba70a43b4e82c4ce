#include "core/service/cdc_stream.hpp"

#include <gtest/gtest.h>

namespace tapedeck::service {

TEST(CdcStreamConfig, KeepsEverySubjectOfThePrefixOnFile) {
  const auto config = cdc_stream_config("CDC", "tapedeck.cdc", std::chrono::minutes(2));
  EXPECT_EQ(config.name, "CDC");
  ASSERT_EQ(config.subjects.size(), 1u);
  EXPECT_EQ(config.subjects[0], "tapedeck.cdc.>");
  EXPECT_EQ(config.storage, nats::StorageType::file);
  EXPECT_EQ(config.duplicate_window, std::chrono::minutes(2));
}

}  // namespace tapedeck::service
