// Scratch databases, so tests running in parallel on one stack never share a database. A test
// that runs a sessions reaper (replaymgr, Store::fail_stale) must own its store database: the
// reaper fails every stale session it sees, including other tests' sessions.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <string>

#include "core/pg/connection.hpp"
#include "core/pg/dsn.hpp"
#include "core/sql_quote.hpp"
#include "support/stack_env.hpp"
#include "support/unique_name.hpp"

namespace tapedeck::testing {

// A database created on the stack's server for one test and dropped (with its connections)
// when the object goes away.
class ScratchDatabase {
 public:
  // `template_name`: CREATE DATABASE ... TEMPLATE it (nobody may be connected to it).
  explicit ScratchDatabase(const std::string& prefix, const std::string& template_name = {})
      : admin_dsn_(stack_env("TAPEDECK_LIVE_DSN")), name_(unique_name(prefix)) {
    pg::Connection admin(admin_dsn_, "tapedeck-test");
    admin.exec("CREATE DATABASE " + sql::quote_identifier(name_) +
               (template_name.empty() ? "" : " TEMPLATE " + sql::quote_identifier(template_name)));
  }
  ~ScratchDatabase() {
    try {
      pg::Connection admin(admin_dsn_, "tapedeck-test");
      admin.exec("DROP DATABASE IF EXISTS " + sql::quote_identifier(name_) + " WITH (FORCE)");
    } catch (const std::exception& error) {
      ADD_FAILURE() << "could not drop " << name_ << ": " << error.what();
    }
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  std::string dsn() const { return pg::with_dbname(admin_dsn_, name_); }
  pg::Connection connect() const { return pg::Connection(dsn(), "tapedeck-test"); }

 private:
  std::string admin_dsn_;
  std::string name_;
};

}  // namespace tapedeck::testing
