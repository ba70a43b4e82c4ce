// libpq pipeline mode: many statements sent without waiting, results checked at sync().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/pg/connection.hpp"

namespace tapedeck::pg {

// The first statement of a pipeline that failed, by its 0-based index among every
// statement sent through that Pipeline. Statements after it up to the sync point were
// skipped by the server (and, without an explicit transaction, the ones before it up to
// the previous sync point were rolled back with it).
class PipelineError : public Error {
 public:
  PipelineError(const Error& error, std::size_t statement_index)
      : Error(error), statement_index_(statement_index) {}
  std::size_t statement_index() const noexcept { return statement_index_; }

 private:
  std::size_t statement_index_;
};

// Puts `connection` into pipeline (and non-blocking) mode for its lifetime. send() queues a
// statement and, every few statements (and at sync()), writes as much as the socket takes,
// reading results whenever the server pushes back, so neither side can block the other
// however many statements are queued; results are checked as they arrive and not kept (only
// the first error and, between two sync points, a row count per statement), so a long replay
// costs memory only per sync. Reusing one Params for every send() means no allocation per
// statement beyond libpq's own buffers. Without an explicit BEGIN, the statements between two
// sync points form one implicit transaction. The destructor rolls back statements sent after
// the last sync() (unless an explicit COMMIT among them already ran), then leaves pipeline
// mode; it never throws. Borrows `connection`, which must outlive it and do nothing else
// meanwhile. Neither copyable nor movable; one thread.
class Pipeline {
 public:
  explicit Pipeline(Connection& connection);
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  ~Pipeline();

  // One statement (no ';'-separated lists in pipeline mode) with $1.. from `params`.
  void send(std::string_view sql, const Params& params);
  void send(std::string_view sql);
  // Prepares `sql` as the named statement `name` on the server, with parameter types
  // `types` (0: inferred from its use). Counts as one statement (no rows); its failure is
  // reported at sync() like a statement's. Prepared statements outlive transactions.
  void prepare(std::string_view name, std::string_view sql, std::span<const std::uint32_t> types);
  // A statement prepared before, with Connection::prepare or prepare() above.
  void send_prepared(std::string_view name, const Params& params);
  // The same with the values as libpq takes them (nullptr for NULL): part of a Params, say.
  void send_prepared(std::string_view name, std::span<const char* const> values);

  // Marks a sync point and waits for every result up to it. Returns the rows affected by
  // the statements since the previous sync; throws PipelineError for the first failed
  // one (retry/fail as for Connection), or Error retry when the connection was lost.
  // After a PipelineError the pipeline is usable again: an explicit transaction the
  // failure left open (its COMMIT skipped) has been rolled back.
  std::int64_t sync();

  // The rows each statement between the last two sync points affected (PQcmdTuples; -1 for
  // one that failed or was skipped), in the order sent; valid after sync() returned.
  const std::vector<std::int64_t>& synced_rows() const { return synced_rows_; }

  // Statements sent through this pipeline so far.
  std::size_t sent() const { return sent_; }

 private:
  void wait_for_sync();
  void after_send(int queued);
  void flush();
  void consume();
  void drain_ready();
  void handle(pg_result* result);

  Connection& connection_;
  pg_conn* conn_;
  std::string text_;  // NUL-terminated copy of the last SQL or name; reused
  std::string name_;  // NUL-terminated copy of the name prepare() gives
  std::size_t sent_ = 0;
  std::size_t done_ = 0;  // statements whose results have all arrived
  std::size_t sent_at_sync_ = 0;
  bool awaiting_sync_ = false;
  std::int64_t affected_ = 0;
  std::vector<std::int64_t> rows_;  // per statement since the last sync point
  std::vector<std::int64_t> synced_rows_;
  std::optional<PipelineError> first_error_;
};

}  // namespace tapedeck::pg
