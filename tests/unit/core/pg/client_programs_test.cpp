// Client program lookup and the libpq environment handed to pg_dump / pg_restore.
#include "core/pg/client_programs.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"

namespace tapedeck::pg {
namespace {

TEST(ClientPrograms, PrefersTheProgramOfTheServersMajorVersion) {
  EXPECT_EQ(find_client_program("pg_dump", 15), "/usr/lib/postgresql/15/bin/pg_dump");
}

TEST(ClientPrograms, AMissingProgramIsNotFoundAndNamesThePackage) {
  try {
    find_client_program("pg_no_such_tool", 15);
    FAIL() << "expected an Error";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::not_found);
    EXPECT_NE(std::string(error.what()).find("pg_no_such_tool not found"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("postgresql-client-15"), std::string::npos);
  }
}

TEST(ClientPrograms, TheEnvironmentCarriesEveryOptionTheDsnSets) {
  const auto environment =
      libpq_environment("host=db.example port=5433 dbname=live password=s3cret", "live.dsn");
  for (const char* expected :
       {"PGHOST=db.example", "PGPORT=5433", "PGDATABASE=live", "PGPASSWORD=s3cret"}) {
    EXPECT_NE(std::find(environment.begin(), environment.end(), expected), environment.end())
        << expected;
  }
}

// pg_dump writes money and pg_restore reads it in one locale, whatever the servers' own; the
// DSN's own options stay, before it.
TEST(ClientPrograms, TheEnvironmentPinsMoneysLocaleAfterTheDsnsOptions) {
  const auto plain = libpq_environment("host=db.example", "live.dsn");
  EXPECT_NE(std::find(plain.begin(), plain.end(), "PGOPTIONS=-c lc_monetary=C"), plain.end());
  const auto with_options =
      libpq_environment("host=db.example options='-c statement_timeout=5s'", "live.dsn");
  EXPECT_NE(std::find(with_options.begin(), with_options.end(),
                      "PGOPTIONS=-c statement_timeout=5s -c lc_monetary=C"),
            with_options.end());
  EXPECT_EQ(std::count_if(with_options.begin(), with_options.end(),
                          [](const std::string& entry) { return entry.starts_with("PGOPTIONS="); }),
            1);
}

TEST(ClientPrograms, AnUnparseableDsnNamesTheSettingNotThePassword) {
  try {
    libpq_environment("host=x password='s3cret", "playback.dsn");
    FAIL() << "expected an Error";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::invalid);
    EXPECT_NE(std::string(error.what()).find("fix playback.dsn"), std::string::npos);
    EXPECT_EQ(std::string(error.what()).find("s3cret"), std::string::npos);
  }
}

}  // namespace
}  // namespace tapedeck::pg
