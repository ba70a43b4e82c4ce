// Session databases on the real playback server: create, find, drop even while connected.
#include "core/sessions/session_database.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/pg/dsn.hpp"
#include "core/pg/params.hpp"
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

// A Live DB in German collation: the session database sorts its text the same way ('ä' with
// 'a', lower case before upper), not as the server's default C locale does.
TEST_F(SessionDatabaseTest, TakesTheLiveDatabasesEncodingAndLocale) {
  create_database(admin_, name_, DatabaseLocale{"UTF8", "de_DE.UTF-8", "de_DE.UTF-8", 'c', ""});
  const auto settings = admin_.exec_params(
      "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
      "WHERE datname = $1",
      pg::Params::of(name_));
  ASSERT_EQ(settings.rows(), 1);
  EXPECT_EQ(settings.get<std::string>(0, 0), "UTF8");
  EXPECT_EQ(settings.get<std::string>(0, 1), "de_DE.UTF-8");
  EXPECT_EQ(settings.get<std::string>(0, 2), "de_DE.UTF-8");
  pg::Connection session(pg::with_dbname(testing::stack_env("TAPEDECK_LIVE_DSN"), name_),
                         "session-database-test");
  EXPECT_EQ(session
                .exec("SELECT string_agg(v, ',' ORDER BY v) FROM (VALUES ('b'), ('A'), ('ä'), "
                      "('a'), ('B')) t(v)")
                .get<std::string>(0, 0),
            "a,A,ä,b,B");
}

TEST_F(SessionDatabaseTest, ALocaleThePlaybackServerLacksIsRefusedNamingIt) {
  try {
    create_database(admin_, name_, DatabaseLocale{"UTF8", "xx_XX.UTF-8", "xx_XX.UTF-8", 'c', ""});
    FAIL() << "created a database in a locale the server does not have";
  } catch (const Error& error) {
    EXPECT_NE(error.message().find("collate xx_XX.UTF-8"), std::string::npos) << error.message();
    EXPECT_NE(error.message().find("dbop.match_live_locale = false"), std::string::npos);
  }
  EXPECT_TRUE(existing_databases(admin_, {name_}).empty());
}

}  // namespace
}  // namespace tapedeck::session
