// The dbop settings read from the configuration.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "dbop/dbop_service.hpp"

namespace tapedeck::dbop {
namespace {

config::Config config_with(config::Environment environment) {
  return config::Config::load(std::nullopt, environment);
}

TEST(DbopSettings, ReadsTheRestoreKeysAndNamesAUniqueWorker) {
  const auto config = config_with({{"TAPEDECK_DBOP_RESTORE_JOBS", "4"},
                                   {"TAPEDECK_DBOP_WORK_DIR", "/var/tmp/dbop"},
                                   {"TAPEDECK_PLAYBACK_DSN", "host=pb dbname=admin"}});
  const auto first = DbopSettings::from_config(config);
  const auto second = DbopSettings::from_config(config);
  EXPECT_EQ(first.restore.restore_jobs, 4);
  EXPECT_EQ(first.restore.work_dir, "/var/tmp/dbop");
  EXPECT_EQ(first.restore.playback_dsn, "host=pb dbname=admin");
  EXPECT_EQ(first.durable, "tapedeck-dbop");
  EXPECT_EQ(first.worker.rfind("dbop@", 0), 0u);
  EXPECT_NE(first.worker, second.worker);
}

TEST(DbopSettings, RefusesFewerThanOneRestoreJob) {
  EXPECT_THROW(DbopSettings::from_config(config_with({{"TAPEDECK_DBOP_RESTORE_JOBS", "0"}})),
               Error);
}

TEST(DbopSettings, RefusesARelativeWorkDir) {
  EXPECT_THROW(DbopSettings::from_config(config_with({{"TAPEDECK_DBOP_WORK_DIR", "tmp"}})), Error);
}

}  // namespace
}  // namespace tapedeck::dbop
