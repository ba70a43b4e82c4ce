// Session databases: CREATE, DROP ... WITH (FORCE) and the pg_database lookup.
#include "core/sessions/session_database.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/pg/params.hpp"
#include "core/sql_quote.hpp"

namespace tapedeck::session {

namespace {

// The names come as one JSON array parameter, so any number of them is one statement.
constexpr const char* kExistingQuery =
    "SELECT datname FROM pg_database WHERE datname IN "
    "(SELECT jsonb_array_elements_text($1::jsonb))";

}  // namespace

DatabaseLocale parse_database_locale(std::string_view json) {
  const auto invalid = [&](std::string_view what) {
    return Error(ErrorSource::input, Recovery::invalid,
                 fmt::format("the snapshot's database locale {} {}", json.substr(0, 200), what));
  };
  const auto object = nlohmann::json::parse(json, nullptr, false);
  if (!object.is_object()) throw invalid("is not a JSON object");
  const auto text = [&](const char* key, bool required) {
    const auto found = object.find(key);
    if (found == object.end()) {
      if (required) throw invalid(fmt::format("has no \"{}\"", key));
      return std::string();
    }
    if (!found->is_string()) throw invalid(fmt::format("has a \"{}\" that is not text", key));
    return found->get<std::string>();
  };
  DatabaseLocale locale;
  locale.encoding = text("encoding", true);
  locale.collate = text("collate", true);
  locale.ctype = text("ctype", true);
  const std::string provider = text("provider", false);
  if (!provider.empty()) {
    if (provider != "c" && provider != "i" && provider != "b") {
      throw invalid(fmt::format("names the unknown locale provider \"{}\"", provider));
    }
    locale.provider = provider.front();
  }
  locale.locale = text("locale", false);
  if (locale.provider != 'c' && locale.locale.empty()) {
    throw invalid("names an ICU or builtin provider without its locale");
  }
  return locale;
}

std::string create_database_sql(std::string_view name, const std::optional<DatabaseLocale>& locale,
                                int server_major) {
  std::string sql = "CREATE DATABASE " + sql::quote_identifier(name) + " TEMPLATE template0";
  if (!locale) return sql;
  sql += fmt::format(" ENCODING {} LC_COLLATE {} LC_CTYPE {}", sql::quote_literal(locale->encoding),
                     sql::quote_literal(locale->collate), sql::quote_literal(locale->ctype));
  const auto refuse = [&](std::string_view provider, int needs) {
    return Error(ErrorSource::config, Recovery::invalid,
                 fmt::format("the Live DB's locale uses the {} provider ({}), which the playback "
                             "server (PostgreSQL {}) does not have before PostgreSQL {}; use a "
                             "newer playback server, or set dbop.match_live_locale = false to "
                             "restore into its default locale",
                             provider, locale->locale, server_major, needs));
  };
  // From 15 on, a database takes template0's provider unless told: say libc too.
  switch (locale->provider) {
    case 'i':
      if (server_major < 15) throw refuse("ICU", 15);
      sql += " LOCALE_PROVIDER icu ICU_LOCALE " + sql::quote_literal(locale->locale);
      break;
    case 'b':
      if (server_major < 17) throw refuse("builtin", 17);
      sql += " LOCALE_PROVIDER builtin BUILTIN_LOCALE " + sql::quote_literal(locale->locale);
      break;
    default:
      if (server_major >= 15) sql += " LOCALE_PROVIDER libc";
  }
  return sql;
}

void create_database(pg::Connection& admin, std::string_view name,
                     const std::optional<DatabaseLocale>& locale) {
  const std::string sql = create_database_sql(name, locale, admin.server_version() / 10000);
  try {
    admin.exec(sql);
  } catch (const Error& error) {
    // 42P04: the database exists; anything else with a locale given is the locale.
    if (!locale || error.code() == "42P04") throw;
    throw Error(
        error.source(), Recovery::fail,
        fmt::format("the playback server cannot create a database with the Live DB's "
                    "encoding {} and locale (collate {}, ctype {}{}): {}; install that "
                    "locale on the playback server's host and restart it, or set "
                    "dbop.match_live_locale = false to restore into the server's default "
                    "locale (text then sorts and compares by other rules than the Live "
                    "DB's)",
                    locale->encoding, locale->collate, locale->ctype,
                    locale->provider == 'c' ? std::string() : ", provider locale " + locale->locale,
                    error.message()),
        error.code())
        .caused_by(std::current_exception());
  }
}

void drop_database_if_exists(pg::Connection& admin, std::string_view name) {
  admin.exec("DROP DATABASE IF EXISTS " + sql::quote_identifier(name) + " WITH (FORCE)");
}

std::vector<std::string> existing_databases(pg::Connection& admin,
                                            const std::vector<std::string>& names) {
  std::vector<std::string> present;
  if (names.empty()) return present;
  const auto result =
      admin.exec_params(kExistingQuery, pg::Params::of(nlohmann::json(names).dump()));
  for (int row = 0; row < result.rows(); ++row) present.emplace_back(result.text(row, 0));
  return present;
}

}  // namespace tapedeck::session
