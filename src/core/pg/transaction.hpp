// RAII transaction: BEGIN on construction, ROLLBACK unless commit() succeeded.
#pragma once

#include <string_view>

#include "core/pg/connection.hpp"

namespace tapedeck::pg {

enum class Isolation { read_committed, repeatable_read, serializable };
enum class Access { read_write, read_only };

// Borrows `connection` (which must outlive it) for one transaction. Neither copyable nor
// movable: it is a scope. The destructor rolls back when neither commit() nor rollback()
// ran, and never throws (a failed rollback is logged; the connection is then broken and
// its next use throws). Same thread rules as Connection.
class Transaction {
 public:
  explicit Transaction(Connection& connection, Isolation isolation = Isolation::read_committed,
                       Access access = Access::read_write);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Result exec(std::string_view sql) { return connection_.exec(sql); }
  Result exec_params(std::string_view sql, const Params& params) {
    return connection_.exec_params(sql, params);
  }
  Result exec_prepared(std::string_view name, const Params& params) {
    return connection_.exec_prepared(name, params);
  }

  // Commits. Throws Error fail when an earlier statement aborted the transaction (the
  // server would silently roll back), retry for a serialization failure, and fail with
  // code 08007 (transaction_resolution_unknown) when the connection dropped during COMMIT:
  // the outcome is in doubt, so the unit of work must not simply be re-run.
  void commit();
  void rollback();
  bool active() const { return active_; }
  Connection& connection() { return connection_; }

 private:
  Connection& connection_;
  bool active_ = false;
};

}  // namespace tapedeck::pg
