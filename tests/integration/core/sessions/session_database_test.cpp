// Session databases on the real playback server: create, find, drop even while connected.
#include "core/sessions/session_database.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/pg/dsn.hpp"
#include "support/stack_env.hpp"
#include "support/unique_name.hpp"

namespace tapedeck::session {
namespace {

class SessionDatabaseTest : public ::testing::Test {
 protected:
  void TearDown() override { drop_database_if_exists(admin_, name_); }

  pg::Connection admin_{testing::stack_env("TAPEDECK_LIVE_DSN"), "session-database-test"};
  std::string name_ = testing::unique_name("session_db");
};

TEST_F(SessionDatabaseTest, CreatesFindsAndDropsADatabase) {
  EXPECT_TRUE(existing_databases(admin_, {name_}).empty());
  create_database(admin_, name_);
  EXPECT_EQ(existing_databases(admin_, {name_, name_ + "_other"}), std::vector<std::string>{name_});
  drop_database_if_exists(admin_, name_);
  EXPECT_TRUE(existing_databases(admin_, {name_}).empty());
}

TEST_F(SessionDatabaseTest, DropsADatabaseThatDoesNotExistWithoutError) {
  EXPECT_NO_THROW(drop_database_if_exists(admin_, name_));
  EXPECT_TRUE(existing_databases(admin_, {}).empty());
}

TEST_F(SessionDatabaseTest, DropsADatabaseSomeoneIsStillConnectedTo) {
  create_database(admin_, name_);
  pg::Connection user(pg::with_dbname(testing::stack_env("TAPEDECK_LIVE_DSN"), name_),
                      "session-database-test");
  drop_database_if_exists(admin_, name_);
  EXPECT_TRUE(existing_databases(admin_, {name_}).empty());
}

TEST_F(SessionDatabaseTest, RefusesToCreateADatabaseTwice) {
  create_database(admin_, name_);
  EXPECT_THROW(create_database(admin_, name_), Error);
}

}  // namespace
}  // namespace tapedeck::session
