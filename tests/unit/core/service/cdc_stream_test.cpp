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

TEST(CdcStreamSettings, AreReadFromTheNatsKeys) {
  const auto config =
      config::Config::load(std::nullopt, {{"TAPEDECK_NATS_CDC_STREAM", "REC"},
                                          {"TAPEDECK_NATS_CDC_PREFIX", "rec"},
                                          {"TAPEDECK_NATS_CREATE_STREAMS", "false"},
                                          {"TAPEDECK_NATS_DUPLICATE_WINDOW", "5m"}});
  const auto settings = CdcStreamSettings::from_config(config);
  EXPECT_EQ(settings.name, "REC");
  EXPECT_EQ(settings.prefix, "rec");
  EXPECT_FALSE(settings.create);
  EXPECT_EQ(settings.duplicate_window, std::chrono::minutes(5));
}

TEST(CdcStreamSettings, CarryTheCdcLimitsAndNameTheirKeys) {
  const auto config = config::Config::load(std::nullopt, {{"TAPEDECK_NATS_CDC_MAX_AGE", "1d"},
                                                          {"TAPEDECK_NATS_CDC_MAX_BYTES", "4096"},
                                                          {"TAPEDECK_NATS_CDC_REPLICAS", "3"}});
  const auto stream = CdcStreamSettings::from_config(config).stream_config();
  EXPECT_EQ(stream.max_age, std::chrono::hours(24));
  EXPECT_EQ(stream.max_bytes, 4096);
  EXPECT_EQ(stream.replicas, 3);
  EXPECT_EQ(stream.keys.max_age, "nats.cdc_max_age");
  EXPECT_EQ(stream.keys.subjects, "nats.cdc_prefix");
  EXPECT_EQ(stream.keys.duplicate_window, "nats.duplicate_window");
}

}  // namespace tapedeck::service
