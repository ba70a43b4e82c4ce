// The session database's CREATE DATABASE statement and the recorded locale it is built from.
#include "core/sessions/session_database.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::session {
namespace {

TEST(DatabaseLocale, ReadsWhatTheBackupJobRecords) {
  const auto libc = parse_database_locale(
      R"({"encoding":"UTF8","collate":"de_DE.UTF-8","ctype":"de_DE.UTF-8","provider":"c"})");
  EXPECT_EQ(libc.encoding, "UTF8");
  EXPECT_EQ(libc.collate, "de_DE.UTF-8");
  EXPECT_EQ(libc.ctype, "de_DE.UTF-8");
  EXPECT_EQ(libc.provider, 'c');
  // PostgreSQL before 15 has no provider column: libc.
  EXPECT_EQ(parse_database_locale(R"({"encoding":"LATIN1","collate":"C","ctype":"C"})").provider,
            'c');
  const auto icu = parse_database_locale(
      R"({"encoding":"UTF8","collate":"C","ctype":"C","provider":"i","locale":"und-u-ks-level2"})");
  EXPECT_EQ(icu.provider, 'i');
  EXPECT_EQ(icu.locale, "und-u-ks-level2");
}

TEST(DatabaseLocale, RefusesWhatItCannotUseNamingIt) {
  const auto message = [](const char* json) {
    try {
      parse_database_locale(json);
    } catch (const Error& error) {
      EXPECT_EQ(error.recovery(), Recovery::invalid);
      return error.message();
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("[1]").find("is not a JSON object"), std::string::npos);
  EXPECT_NE(message(R"({"encoding":"UTF8","ctype":"C"})").find("has no \"collate\""),
            std::string::npos);
  EXPECT_NE(message(R"({"encoding":"UTF8","collate":1,"ctype":"C"})").find("not text"),
            std::string::npos);
  EXPECT_NE(message(R"({"encoding":"UTF8","collate":"C","ctype":"C","provider":"x"})")
                .find("unknown locale provider \"x\""),
            std::string::npos);
  EXPECT_NE(message(R"({"encoding":"UTF8","collate":"C","ctype":"C","provider":"i"})")
                .find("without its locale"),
            std::string::npos);
}

TEST(CreateDatabaseSql, NamesEncodingLocaleAndProviderTheServerUnderstands) {
  EXPECT_EQ(create_database_sql("s1", std::nullopt, 15),
            R"(CREATE DATABASE "s1" TEMPLATE template0)");
  const DatabaseLocale german{"UTF8", "de_DE.UTF-8", "de_DE.UTF-8", 'c', ""};
  EXPECT_EQ(create_database_sql("s1", german, 15),
            R"(CREATE DATABASE "s1" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'de_DE.UTF-8' )"
            R"(LC_CTYPE 'de_DE.UTF-8' LOCALE_PROVIDER libc)");
  // Before 15 there is no provider to name.
  EXPECT_EQ(create_database_sql("s1", german, 14),
            R"(CREATE DATABASE "s1" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'de_DE.UTF-8' )"
            R"(LC_CTYPE 'de_DE.UTF-8')");
  const DatabaseLocale icu{"UTF8", "C", "C", 'i', "de-u-co-phonebk"};
  EXPECT_EQ(
      create_database_sql("s1", icu, 16),
      R"(CREATE DATABASE "s1" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' )"
      R"(LOCALE_PROVIDER icu ICU_LOCALE 'de-u-co-phonebk')");
  const DatabaseLocale quoted{"UTF8", "it's", "C", 'c', ""};
  EXPECT_NE(create_database_sql("s1", quoted, 15).find("LC_COLLATE 'it''s'"), std::string::npos);
}

TEST(CreateDatabaseSql, RefusesAProviderTheServerDoesNotHave) {
  const DatabaseLocale icu{"UTF8", "C", "C", 'i', "und"};
  EXPECT_THROW(create_database_sql("s1", icu, 14), Error);
  const DatabaseLocale builtin{"UTF8", "C", "C", 'b', "C.UTF-8"};
  try {
    create_database_sql("s1", builtin, 16);
    FAIL() << "PostgreSQL 16 has no builtin provider";
  } catch (const Error& error) {
    EXPECT_NE(error.message().find("builtin provider (C.UTF-8)"), std::string::npos);
    EXPECT_NE(error.message().find("PostgreSQL 17"), std::string::npos);
  }
  EXPECT_NE(create_database_sql("s1", builtin, 17).find("LOCALE_PROVIDER builtin BUILTIN_LOCALE"),
            std::string::npos);
}

}  // namespace
}  // namespace tapedeck::session
