// COPY in and out through libpq's copy calls.
#include "core/pg/copy.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <memory>
#include <optional>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/pg/errors.hpp"
#include "core/pg/libpq_error.hpp"

namespace tapedeck::pg {

namespace {

struct FreeMem {
  void operator()(char* buffer) const { PQfreemem(buffer); }
};
using CopyBuffer = std::unique_ptr<char, FreeMem>;

struct ClearResult {
  void operator()(PGresult* result) const { PQclear(result); }
};
using RawResult = std::unique_ptr<PGresult, ClearResult>;

// Reads the results that end a COPY; returns the rows of the COMMAND_OK one or throws the
// first failure.
std::int64_t copy_outcome(PGconn* conn, std::string_view doing) {
  std::int64_t rows = -1;
  std::optional<Error> failure;
  while (RawResult result{PQgetResult(conn)}) {
    if (PQresultStatus(result.get()) == PGRES_COMMAND_OK) {
      rows = Result(result.release()).affected_rows();
    } else if (!failure) {
      failure = detail::result_error(conn, result.get(), doing);
    }
  }
  if (failure) throw *failure;
  if (rows < 0) throw detail::connection_error(conn, doing);
  return rows;
}

}  // namespace

CopyIn::CopyIn(Connection& connection, std::string_view copy_sql)
    : connection_(connection), sql_for_errors_(shorten_sql(copy_sql)) {
  PGconn* conn = connection_.handle();
  const std::string text(copy_sql);
  RawResult result{PQexec(conn, text.c_str())};
  if (result && PQresultStatus(result.get()) == PGRES_COPY_IN) {
    open_ = true;
    return;
  }
  connection_.check(result.release(), fmt::format("running `{}`", sql_for_errors_));
  throw Error(ErrorSource::postgres, Recovery::fail,
              fmt::format("running `{}`: the statement is not a COPY FROM STDIN", sql_for_errors_));
}

CopyIn::~CopyIn() {
  if (open_) abort("COPY abandoned by the client");
}

void CopyIn::write(std::string_view data) {
  if (!open_) {
    throw Error(ErrorSource::internal, Recovery::fail,
                fmt::format("writing to `{}` after it finished", sql_for_errors_));
  }
  PGconn* conn = connection_.handle();
  if (PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1) {
    open_ = false;
    throw detail::connection_error(conn, fmt::format("sending data for `{}`", sql_for_errors_));
  }
}

std::int64_t CopyIn::finish() {
  if (!open_) {
    throw Error(ErrorSource::internal, Recovery::fail,
                fmt::format("finishing `{}` twice", sql_for_errors_));
  }
  open_ = false;
  PGconn* conn = connection_.handle();
  const std::string doing = fmt::format("finishing `{}`", sql_for_errors_);
  if (PQputCopyEnd(conn, nullptr) != 1) throw detail::connection_error(conn, doing);
  return copy_outcome(conn, doing);
}

void CopyIn::abort(const char* reason) noexcept {
  open_ = false;
  try {
    PGconn* conn = connection_.handle();
    if (PQputCopyEnd(conn, reason) == 1) {
      while (RawResult result{PQgetResult(conn)}) {
      }
    }
  } catch (const std::exception& error) {
    log::get("pg")->warn("aborting `{}` failed: {}", sql_for_errors_, error.what());
  }
}

std::int64_t copy_out(Connection& connection, std::string_view copy_sql,
                      const std::function<void(std::string_view chunk)>& on_chunk) {
  PGconn* conn = connection.handle();
  const std::string doing = fmt::format("running `{}`", shorten_sql(copy_sql));
  const std::string text(copy_sql);
  RawResult started{PQexec(conn, text.c_str())};
  if (!started || PQresultStatus(started.get()) != PGRES_COPY_OUT) {
    connection.check(started.release(), doing);
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("{}: the statement is not a COPY TO STDOUT", doing));
  }
  started.reset();
  for (;;) {
    char* raw = nullptr;
    const int length = PQgetCopyData(conn, &raw, 0);
    CopyBuffer buffer(raw);
    if (length == -1) break;  // COPY done; the outcome follows as a result
    if (length < 0) throw detail::connection_error(conn, doing);
    try {
      on_chunk(std::string_view(buffer.get(), static_cast<std::size_t>(length)));
    } catch (...) {
      // Stop the server sending more, then read what is on its way so that the
      // connection is idle again before the exception leaves.
      if (PGcancel* cancel = PQgetCancel(conn)) {
        char message[256];
        PQcancel(cancel, message, sizeof message);
        PQfreeCancel(cancel);
      }
      char* rest = nullptr;
      while (PQgetCopyData(conn, &rest, 0) > 0) PQfreemem(rest);
      while (RawResult result{PQgetResult(conn)}) {
      }
      throw;
    }
  }
  return copy_outcome(conn, doing);
}

}  // namespace tapedeck::pg
