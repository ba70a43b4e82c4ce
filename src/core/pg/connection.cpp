// Connection set-up, statements and their error handling.
#include "core/pg/connection.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <vector>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/pg/dsn.hpp"
#include "core/pg/errors.hpp"
#include "core/pg/libpq_error.hpp"

namespace tapedeck::pg {

namespace {

// Server notices (e.g. "table does not exist, skipping") go to the log, not to stderr.
void log_notice(void* /*arg*/, const char* message) {
  std::string_view text(message);
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  log::get("pg")->debug("server notice: {}", text);
}

std::string running(std::string_view sql) {
  return fmt::format("running `{}`", shorten_sql(sql));
}

}  // namespace

void Connection::Finish::operator()(pg_conn* conn) const {
  PQfinish(conn);
}

Connection::Connection(const std::string& dsn, const std::string& application_name)
    : Connection(dsn, application_name, false) {}

Connection::Connection(const std::string& dsn, const std::string& application_name,
                       bool replication)
    : dsn_for_log_(mask_dsn(dsn)) {
  // Processed in order, later keywords win: the default timeout, then everything the DSN
  // says (expand_dbname), then what the caller asked for explicitly. Every text tapedeck sends
  // or reads is UTF-8 (events are JSON), so the server converts to and from a database in
  // another encoding, and refuses a character that database cannot hold, by name; without it
  // a LATIN1 database would store each byte of "é" as a character of its own.
  std::vector<const char*> keywords{"connect_timeout", "dbname", "client_encoding"};
  std::vector<const char*> values{"10", dsn.c_str(), "UTF8"};
  if (!application_name.empty()) {
    keywords.push_back("application_name");
    values.push_back(application_name.c_str());
  }
  if (replication) {
    keywords.push_back("replication");
    values.push_back("database");
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  conn_.reset(PQconnectdbParams(keywords.data(), values.data(), 1));
  if (!conn_) {
    throw Error(ErrorSource::postgres, Recovery::retry,
                fmt::format("connecting to {}: out of memory", dsn_for_log_));
  }
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    std::string_view text(PQerrorMessage(conn_.get()));
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    throw Error(ErrorSource::postgres, Recovery::retry,
                fmt::format("connecting to {}: {}; check that the server runs and the DSN's "
                            "host, port, user, password and dbname are right",
                            dsn_for_log_, text));
  }
  PQsetNoticeProcessor(conn_.get(), log_notice, nullptr);
}

Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

pg_conn* Connection::handle() const {
  if (!conn_) {
    throw Error(ErrorSource::internal, Recovery::fail,
                "a moved-from pg::Connection was used; use the object it was moved to");
  }
  return conn_.get();
}

Result Connection::check(pg_result* raw, std::string_view doing) {
  Result result(raw);
  PGconn* conn = conn_.get();
  switch (raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
    case PGRES_SINGLE_TUPLE:
      return result;
    case PGRES_COPY_IN:
      // Leave the connection usable: end the COPY with an error and drain its result.
      PQputCopyEnd(conn, "COPY FROM STDIN must go through pg::CopyIn");
      while (PGresult* rest = PQgetResult(conn)) PQclear(rest);
      throw Error(ErrorSource::postgres, Recovery::fail,
                  fmt::format("{}: COPY FROM STDIN needs pg::CopyIn, not exec()", doing));
    case PGRES_COPY_OUT: {
      char* buffer = nullptr;
      while (PQgetCopyData(conn, &buffer, 0) > 0) PQfreemem(buffer);
      while (PGresult* rest = PQgetResult(conn)) PQclear(rest);
      throw Error(ErrorSource::postgres, Recovery::fail,
                  fmt::format("{}: COPY TO STDOUT needs pg::copy_out, not exec()", doing));
    }
    case PGRES_COPY_BOTH:
      throw Error(ErrorSource::postgres, Recovery::fail,
                  fmt::format("{}: streaming replication needs pg::ReplicationConnection", doing));
    default:
      throw detail::result_error(conn, raw, doing);
  }
}

Result Connection::exec(std::string_view sql) {
  PGconn* conn = handle();
  const std::string text(sql);
  return check(PQexec(conn, text.c_str()), running(sql));
}

Result Connection::exec_params(std::string_view sql, const Params& params) {
  PGconn* conn = handle();
  const std::string text(sql);
  return check(PQexecParams(conn, text.c_str(), static_cast<int>(params.size()), nullptr,
                            params.values(), nullptr, nullptr, 0),
               running(sql));
}

void Connection::prepare(std::string_view name, std::string_view sql) {
  PGconn* conn = handle();
  const std::string statement_name(name);
  const std::string text(sql);
  check(PQprepare(conn, statement_name.c_str(), text.c_str(), 0, nullptr),
        fmt::format("preparing '{}' as `{}`", name, shorten_sql(sql)));
}

Result Connection::exec_prepared(std::string_view name, const Params& params) {
  PGconn* conn = handle();
  const std::string statement_name(name);
  return check(PQexecPrepared(conn, statement_name.c_str(), static_cast<int>(params.size()),
                              params.values(), nullptr, nullptr, 0),
               fmt::format("running prepared statement '{}'", name));
}

bool Connection::alive() noexcept {
  PGconn* conn = conn_.get();
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) return false;
  // Inside COPY or pipeline mode a round trip is not possible; report what libpq knows.
  if (PQtransactionStatus(conn) == PQTRANS_ACTIVE || PQpipelineStatus(conn) != PQ_PIPELINE_OFF)
    return true;
  PGresult* result = PQexec(conn, "");
  const bool answered = result != nullptr && PQresultStatus(result) == PGRES_EMPTY_QUERY;
  PQclear(result);
  return answered && PQstatus(conn) == CONNECTION_OK;
}

int Connection::backend_pid() const {
  return PQbackendPID(handle());
}

int Connection::server_version() const {
  return PQserverVersion(handle());
}

}  // namespace tapedeck::pg
