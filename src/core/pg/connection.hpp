// One open PostgreSQL connection: queries, parameters, prepared statements.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/pg/params.hpp"
#include "core/pg/result.hpp"

struct pg_conn;  // PGconn from libpq-fe.h

namespace tapedeck::pg {

class CopyIn;
class Pipeline;
class ReplicationConnection;
class Transaction;

// A connection is fully open after the constructor, or the constructor throws: there is
// no half-open object. Copy is deleted, move transfers the connection (the source is left
// empty and throws on use). Not thread-safe: one thread uses a connection at a time.
// Every failure throws tapedeck::Error (source postgres) carrying the SQLSTATE, the
// statement (shortened) and the server's message; Recovery::retry when the connection was
// lost or the server asks to try again (see classify_sqlstate), Recovery::fail otherwise.
// Once the server went away every call throws a retry Error; make a new Connection.
class Connection {
 public:
  // `dsn`: key=value or postgresql:// URI. `application_name`, when given, overrides the
  // DSN's. A DSN without connect_timeout gets 10 seconds. Connection failures throw
  // Recovery::retry: libpq does not tell a server still starting from a refused login.
  explicit Connection(const std::string& dsn, const std::string& application_name = {});
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one or more ';'-separated statements (simple query protocol); the result of the
  // last one is returned.
  Result exec(std::string_view sql);
  // Runs one statement with $1.. bound to `params` (text format; NULLs allowed).
  Result exec_params(std::string_view sql, const Params& params);
  // Prepares `sql` under `name` for exec_prepared (and Pipeline::send_prepared).
  void prepare(std::string_view name, std::string_view sql);
  Result exec_prepared(std::string_view name, const Params& params);

  // True when the server answers a round trip now. Never throws.
  bool alive() noexcept;
  // The connection string with secrets masked, for logs and errors.
  const std::string& dsn_for_log() const { return dsn_for_log_; }
  // The server process serving this connection (pg_backend_pid()).
  int backend_pid() const;
  // E.g. 150018 for 15.18.
  int server_version() const;

 private:
  friend class CopyIn;
  friend class Pipeline;
  friend class ReplicationConnection;
  friend class Transaction;
  friend std::int64_t copy_out(Connection&, std::string_view,
                               const std::function<void(std::string_view)>&);

  // `replication`: adds replication=database (walsender protocol, logical commands).
  Connection(const std::string& dsn, const std::string& application_name, bool replication);
  // The open handle, or Error when this object was moved from.
  pg_conn* handle() const;
  // Takes `result`; returns it when its status is one of the success statuses for a
  // normal statement, else throws an Error describing `doing`.
  Result check(pg_result* result, std::string_view doing);

  struct Finish {
    void operator()(pg_conn* conn) const;
  };
  std::unique_ptr<pg_conn, Finish> conn_;
  std::string dsn_for_log_;
};

}  // namespace tapedeck::pg
