// The replication DSN carries the session settings the value codec depends on.
#include "capture/session_options.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::capture {
namespace {

TEST(SessionOptions, AreAddedToAKeyValueDsnWithoutOptions) {
  EXPECT_EQ(with_session_options("host=db port=5432 dbname=live"),
            "host='db' port='5432' dbname='live' options='-c datestyle=ISO -c "
            "intervalstyle=postgres -c extra_float_digits=3 -c lc_monetary=C'");
}

TEST(SessionOptions, FollowOptionsTheDsnAlreadyHas) {
  EXPECT_EQ(with_session_options("dbname=live options='-c work_mem=64MB'"),
            "dbname='live' options='-c work_mem=64MB -c datestyle=ISO -c "
            "intervalstyle=postgres -c extra_float_digits=3 -c lc_monetary=C'");
}

TEST(SessionOptions, KeepQuotedValuesWithSpacesQuotesAndBackslashes) {
  EXPECT_EQ(with_session_options("password = 'a b\\'c\\\\d' dbname=x"),
            "password='a b\\'c\\\\d' dbname='x' options='-c datestyle=ISO -c "
            "intervalstyle=postgres -c extra_float_digits=3 -c lc_monetary=C'");
}

TEST(SessionOptions, AreAddedToAUriAsAPercentEncodedParameter) {
  EXPECT_EQ(with_session_options("postgresql://u@h:5432/live"),
            "postgresql://u@h:5432/live?options=-c%20datestyle%3DISO%20-c%20intervalstyle%"
            "3Dpostgres%20-c%20extra_float_digits%3D3%20-c%20lc_monetary%3DC");
  EXPECT_EQ(with_session_options("postgres://h/live?sslmode=disable"),
            "postgres://h/live?sslmode=disable&options=-c%20datestyle%3DISO%20-c%"
            "20intervalstyle%3Dpostgres%20-c%20extra_float_digits%3D3%20-c%20lc_monetary%3DC");
}

TEST(SessionOptions, MergeWithOptionsInAUri) {
  EXPECT_EQ(with_session_options("postgresql://h/live?options=-c%20work_mem%3D1MB&sslmode=disable"),
            "postgresql://h/live?options=-c%20work_mem%3D1MB%20-c%20datestyle%3DISO%20-c%"
            "20intervalstyle%3Dpostgres%20-c%20extra_float_digits%3D3%20-c%20lc_monetary%3DC&"
            "sslmode=disable");
}

TEST(SessionOptions, RefuseAMalformedDsnWithoutEchoingIt) {
  try {
    with_session_options("password='secret");
    FAIL() << "an unterminated quote must be refused";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::invalid);
    EXPECT_EQ(std::string(error.what()).find("secret"), std::string::npos) << error.what();
  }
  EXPECT_THROW(with_session_options("host"), Error);
  EXPECT_THROW(with_session_options("postgresql://h/live?options=%zz"), Error);
}

}  // namespace
}  // namespace tapedeck::capture
