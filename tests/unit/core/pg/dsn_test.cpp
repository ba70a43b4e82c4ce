// Connection string masking and re-targeting.
#include "core/pg/dsn.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::pg {
namespace {

TEST(MaskDsn, HidesThePasswordOfAKeyValueDsn) {
  const std::string masked = mask_dsn("host=db port=5432 user=app password=s3cret dbname=live");
  EXPECT_EQ(masked.find("s3cret"), std::string::npos);
  EXPECT_NE(masked.find("password=********"), std::string::npos);
  EXPECT_NE(masked.find("host=db"), std::string::npos);
  EXPECT_NE(masked.find("dbname=live"), std::string::npos);
}

TEST(MaskDsn, HidesThePasswordOfAUri) {
  const std::string masked = mask_dsn("postgresql://app:s3cret@db:5433/live?sslmode=disable");
  EXPECT_EQ(masked.find("s3cret"), std::string::npos);
  EXPECT_NE(masked.find("user=app"), std::string::npos);
  EXPECT_NE(masked.find("port=5433"), std::string::npos);
  EXPECT_NE(masked.find("sslmode=disable"), std::string::npos);
}

TEST(MaskDsn, HidesAQuotedPasswordWithSpaces) {
  const std::string masked = mask_dsn("user=app password='a secret phrase' dbname=x");
  EXPECT_EQ(masked.find("secret"), std::string::npos);
  EXPECT_EQ(masked.find("phrase"), std::string::npos);
}

TEST(MaskDsn, HidesTheSslKeyPassword) {
  const std::string masked = mask_dsn("host=db sslpassword=keypass");
  EXPECT_EQ(masked.find("keypass"), std::string::npos);
}

TEST(MaskDsn, LeavesADsnWithoutPasswordReadable) {
  EXPECT_EQ(mask_dsn("host=127.0.0.1 port=5432 user=tapedeck dbname=live"),
            "user=tapedeck dbname=live host=127.0.0.1 port=5432");
}

TEST(MaskDsn, QuotesValuesWithSpaces) {
  EXPECT_EQ(mask_dsn("application_name='tape deck'"), "application_name='tape deck'");
}

TEST(MaskDsn, PrintsNothingOfAnUnparseableDsn) {
  const std::string masked = mask_dsn("host=db password=s3cret bogus");
  EXPECT_EQ(masked, "<unparseable connection string>");
}

TEST(WithDbname, ReplacesTheDatabaseOfAKeyValueDsn) {
  EXPECT_EQ(with_dbname("host=127.0.0.1 port=5432 user=tapedeck dbname=playback", "playback_ab12"),
            "user=tapedeck host=127.0.0.1 port=5432 dbname=playback_ab12");
}

TEST(WithDbname, AddsADatabaseToADsnWithoutOne) {
  EXPECT_EQ(with_dbname("host=db user=app", "s1"), "user=app host=db dbname=s1");
}

TEST(WithDbname, ReplacesTheDatabaseOfAUriAndKeepsItsOptions) {
  const std::string dsn =
      with_dbname("postgresql://app:s3cret@db:5433/live?sslmode=disable", "playback_x");
  EXPECT_NE(dsn.find("user=app"), std::string::npos);
  EXPECT_NE(dsn.find("password=s3cret"), std::string::npos);
  EXPECT_NE(dsn.find("host=db"), std::string::npos);
  EXPECT_NE(dsn.find("port=5433"), std::string::npos);
  EXPECT_NE(dsn.find("sslmode=disable"), std::string::npos);
  EXPECT_NE(dsn.find("dbname=playback_x"), std::string::npos);
  EXPECT_EQ(dsn.find("live"), std::string::npos);
}

TEST(WithDbname, QuotesANameThatNeedsQuoting) {
  EXPECT_EQ(with_dbname("host=db", "it's mine"), "host=db dbname='it\\'s mine'");
}

TEST(WithDbnameWithoutSecrets, LeavesOutEveryPasswordAndKeepsTheRest) {
  const std::string dsn = with_dbname_without_secrets(
      "postgresql://app:s3cret@db:5433/live?sslmode=require&sslpassword=k3y", "playback_x");
  EXPECT_EQ(dsn.find("s3cret"), std::string::npos) << dsn;
  EXPECT_EQ(dsn.find("k3y"), std::string::npos) << dsn;
  EXPECT_EQ(dsn.find("password"), std::string::npos) << dsn;
  EXPECT_NE(dsn.find("user=app"), std::string::npos) << dsn;
  EXPECT_NE(dsn.find("sslmode=require"), std::string::npos) << dsn;
  EXPECT_NE(dsn.find("dbname=playback_x"), std::string::npos) << dsn;
}

TEST(WithDbname, KeepsAQuotedPasswordIntact) {
  EXPECT_EQ(with_dbname("user=app password='a b\\'c' dbname=x", "y"),
            "user=app password='a b\\'c' dbname=y");
}

TEST(WithDbname, RefusesAnUnparseableDsnWithoutRepeatingIt) {
  try {
    with_dbname("host=db password=s3cret bogus", "y");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::invalid);
    EXPECT_EQ(std::string(error.what()).find("s3cret"), std::string::npos);
  }
}

TEST(WithDbname, RefusesAnEmptyDatabaseName) {
  EXPECT_THROW(with_dbname("host=db", ""), Error);
}

}  // namespace
}  // namespace tapedeck::pg
