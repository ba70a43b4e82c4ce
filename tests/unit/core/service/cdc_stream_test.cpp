#include "core/service/cdc_stream.hpp"

#include <gtest/gtest.h>

namespace tapedeck::service {

TEST(CdcStreamSettings, KeepEverySubjectOfThePrefixOnFile) {
  CdcStreamSettings settings;
  settings.name = "CDC";
  settings.prefix = "tapedeck.cdc";
  settings.duplicate_window = std::chrono::minutes(5);
  const auto config = settings.stream_config();
  EXPECT_EQ(config.name, "CDC");
  ASSERT_EQ(config.subjects.size(), 1u);
  EXPECT_EQ(config.subjects[0], "tapedeck.cdc.>");
  EXPECT_EQ(config.storage, nats::StorageType::file);
  EXPECT_EQ(config.duplicate_window, std::chrono::minutes(5));
}

}  // namespace tapedeck::service
