// Comparing an existing stream with its configuration, without a server.
#include "core/nats/stream_config.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace tapedeck::nats {
namespace {

using namespace std::chrono_literals;

StreamConfig cdc_stream() {
  StreamConfig config;
  config.name = "TAPEDECK_CDC";
  config.subjects = {"cdc.>"};
  config.max_age = 72h;
  config.keys = {.subjects = "nats.cdc_prefix",
                 .max_age = "nats.cdc_max_age",
                 .max_bytes = "nats.cdc_max_bytes",
                 .replicas = "nats.cdc_replicas",
                 .duplicate_window = "nats.duplicate_window"};
  return config;
}

TEST(StreamDifferences, AnIdenticalStreamHasNone) {
  EXPECT_TRUE(stream_differences(cdc_stream(), cdc_stream()).empty());
}

TEST(StreamDifferences, SubjectsCompareAsSets) {
  StreamConfig existing = cdc_stream();
  existing.subjects = {"b.>", "a.>"};
  StreamConfig configured = cdc_stream();
  configured.subjects = {"a.>", "b.>"};
  EXPECT_TRUE(stream_differences(existing, configured).empty());
}

TEST(StreamDifferences, EveryNonPositiveLimitMeansUnlimited) {
  StreamConfig existing = cdc_stream();
  existing.max_age = 0ms;
  existing.max_bytes = -1;
  StreamConfig configured = cdc_stream();
  configured.max_age = 0ms;
  configured.max_bytes = 0;
  EXPECT_TRUE(stream_differences(existing, configured).empty());
}

TEST(StreamDifferences, NameEachSettingWithBothValuesAsTheConfigurationWritesThem) {
  StreamConfig existing = cdc_stream();
  existing.subjects = {"other.>"};
  existing.storage = StorageType::memory;
  existing.max_age = 0ms;
  existing.max_bytes = 1 << 30;
  existing.replicas = 3;
  existing.duplicate_window = 10min;
  const auto differences = stream_differences(existing, cdc_stream());
  ASSERT_EQ(differences.size(), 6u);
  EXPECT_EQ(differences[0].setting, StreamSetting::subjects);
  EXPECT_EQ(differences[0].existing, "[other.>]");
  EXPECT_EQ(differences[0].configured, "[cdc.>]");
  EXPECT_EQ(differences[1].setting, StreamSetting::storage);
  EXPECT_EQ(differences[1].existing, "memory");
  EXPECT_EQ(differences[1].configured, "file");
  EXPECT_EQ(differences[2].setting, StreamSetting::max_age);
  EXPECT_EQ(differences[2].existing, "unlimited");
  EXPECT_EQ(differences[2].configured, "3d");
  EXPECT_EQ(differences[3].setting, StreamSetting::max_bytes);
  EXPECT_EQ(differences[3].existing, "1073741824");
  EXPECT_EQ(differences[3].configured, "unlimited");
  EXPECT_EQ(differences[4].setting, StreamSetting::replicas);
  EXPECT_EQ(differences[4].existing, "3");
  EXPECT_EQ(differences[4].configured, "1");
  EXPECT_EQ(differences[5].setting, StreamSetting::duplicate_window);
  EXPECT_EQ(differences[5].existing, "10m");
  EXPECT_EQ(differences[5].configured, "2m");
}

TEST(StreamOwnership, TapedeckOwnsOnlyTheDuplicateWindow) {
  EXPECT_TRUE(tapedeck_owns(StreamSetting::duplicate_window));
  for (auto setting : {StreamSetting::subjects, StreamSetting::storage, StreamSetting::max_age,
                       StreamSetting::max_bytes, StreamSetting::replicas}) {
    EXPECT_FALSE(tapedeck_owns(setting)) << to_string(setting);
  }
}

TEST(StreamConflict, NamesTheStreamEachDifferenceItsKeyAndWhatToDo) {
  StreamConfig existing = cdc_stream();
  existing.max_age = 30 * 24h;
  existing.replicas = 3;
  existing.storage = StorageType::memory;
  const Error error = stream_conflict(cdc_stream(), stream_differences(existing, cdc_stream()));
  EXPECT_EQ(error.source(), ErrorSource::config);
  EXPECT_EQ(error.recovery(), Recovery::conflict);
  EXPECT_EQ(error.message(),
            "stream TAPEDECK_CDC exists with other settings than configured: storage is memory "
            "on the server, file in the configuration; max age is 30d on the server, 3d in the "
            "configuration (nats.cdc_max_age); replicas is 3 on the server, 1 in the "
            "configuration (nats.cdc_replicas). tapedeck leaves the stream as it is: change the "
            "configuration to match, or update the stream with `nats stream edit TAPEDECK_CDC` "
            "(storage cannot be edited: that takes a new stream)");
}

TEST(StreamSettings, AreDescribedTheWayTheConfigurationWritesThem) {
  EXPECT_EQ(describe_settings(cdc_stream()),
            "subjects [cdc.>], file storage, max age 3d, max bytes unlimited, 1 replica(s), "
            "duplicate window 2m");
}

TEST(StreamLimits, AreReadFromTheStreamsKeysWithZeroBytesMeaningUnlimited) {
  const auto config = config::Config::load(std::nullopt, {{"TAPEDECK_NATS_EVENTS_MAX_AGE", "2d"},
                                                          {"TAPEDECK_NATS_EVENTS_REPLICAS", "3"}});
  const auto limits = StreamLimits::from_config(config, "nats.events");
  EXPECT_EQ(limits.max_age, 48h);
  EXPECT_EQ(limits.max_bytes, -1);
  EXPECT_EQ(limits.replicas, 3);
  StreamConfig stream;
  limits.apply_to(stream);
  EXPECT_EQ(stream.replicas, 3);
  EXPECT_EQ(stream.keys.max_age, "nats.events_max_age");
  EXPECT_EQ(stream.keys.replicas, "nats.events_replicas");
}

TEST(StreamLimits, TheCdcStreamKeepsThreeDaysByDefault) {
  const auto config = config::Config::load(std::nullopt, {});
  const auto limits = StreamLimits::from_config(config, "nats.cdc");
  EXPECT_EQ(limits.max_age, 72h);
  EXPECT_EQ(limits.max_bytes, -1);
  EXPECT_EQ(limits.replicas, 1);
}

TEST(StreamLimits, ReplicasOutsideJetStreamsRangeAreRefused) {
  for (const char* replicas : {"0", "6"}) {
    const auto config =
        config::Config::load(std::nullopt, {{"TAPEDECK_NATS_CDC_REPLICAS", replicas}});
    try {
      StreamLimits::from_config(config, "nats.cdc");
      FAIL() << replicas << " replicas were accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.recovery(), Recovery::invalid);
      EXPECT_NE(error.message().find("nats.cdc_replicas"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace tapedeck::nats
