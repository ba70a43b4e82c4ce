// Transaction begin, commit (with in-doubt detection) and rollback.
#include "core/pg/transaction.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/pg/libpq_error.hpp"

namespace tapedeck::pg {

namespace {
std::string_view begin_sql(Isolation isolation, Access access) {
  if (access == Access::read_only) {
    switch (isolation) {
      case Isolation::read_committed:
        return "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY";
      case Isolation::repeatable_read:
        return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
      case Isolation::serializable:
        return "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY";
    }
  }
  switch (isolation) {
    case Isolation::read_committed:
      return "BEGIN ISOLATION LEVEL READ COMMITTED";
    case Isolation::repeatable_read:
      return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case Isolation::serializable:
      return "BEGIN ISOLATION LEVEL SERIALIZABLE";
  }
  return "BEGIN";
}
}  // namespace

Transaction::Transaction(Connection& connection, Isolation isolation, Access access)
    : connection_(connection) {
  connection_.exec(begin_sql(isolation, access));
  active_ = true;
}

Transaction::~Transaction() {
  if (!active_) return;
  try {
    rollback();
  } catch (const std::exception& error) {
    log::get("pg")->warn("rolling back an unfinished transaction failed: {}", error.what());
  }
}

void Transaction::commit() {
  if (!active_) {
    throw Error(ErrorSource::internal, Recovery::fail,
                "commit() on a transaction that already ended");
  }
  PGconn* conn = connection_.handle();
  if (PQtransactionStatus(conn) == PQTRANS_INERROR) {
    active_ = false;
    connection_.exec("ROLLBACK");
    throw Error(ErrorSource::postgres, Recovery::fail,
                "committing: an earlier statement failed, so the transaction was rolled back");
  }
  active_ = false;
  PGresult* raw = PQexec(conn, "COMMIT");
  if (PQstatus(conn) == CONNECTION_BAD) {
    PQclear(raw);
    throw Error(ErrorSource::postgres, Recovery::fail,
                "committing: the connection was lost during COMMIT, so whether the "
                "transaction committed is unknown; check the data before running it again",
                "08007");
  }
  const Result result = connection_.check(raw, "running `COMMIT`");
  if (result.command_tag() != "COMMIT") {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("committing: the server answered '{}' instead of COMMIT",
                            result.command_tag()));
  }
}

void Transaction::rollback() {
  if (!active_) return;
  active_ = false;
  connection_.exec("ROLLBACK");
}

}  // namespace tapedeck::pg
