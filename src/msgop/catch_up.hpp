// Exact catch-up (DESIGN §3.3): the recorded transactions after a snapshot, applied as fast as
// the session database takes them, each source transaction whole.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/lsn.hpp"
#include "core/pg/connection.hpp"
#include "msgop/recording_reader.hpp"

namespace tapedeck::msgop {

// Packs whole source transactions into one multi-statement simple query
// "BEGIN;\n<s1>;\n...;\nCOMMIT;\n": one round trip and one commit for many source transactions.
// A source transaction is never split, so each one is applied entirely or not at all (the
// batch is a larger atomic unit around them). Value type; one thread.
class BatchBuilder {
 public:
  explicit BatchBuilder(int max_statements);

  // Appends `transaction`. A batch is full() once it holds max_statements statements or more;
  // a single transaction larger than that makes a batch on its own.
  void add(const RecordedTransaction& transaction);
  bool empty() const { return transactions_ == 0; }
  bool full() const { return statements_ >= max_statements_; }
  std::int64_t statements() const { return statements_; }
  std::int64_t transactions() const { return transactions_; }
  // The query text, and resets the builder.
  std::string take();

 private:
  int max_statements_;
  std::string text_;
  std::int64_t statements_ = 0;
  std::int64_t transactions_ = 0;
};

// The oldest recorded statement: where the recording reaches back to.
struct RecordingStart {
  Lsn commit_lsn;
  Instant commit_time;
};

// Why catch-up from a snapshot taken at `backup_lsn` cannot be exact, or nullopt when the
// recording reaches back to it. Capture streams every commit from the moment its slot exists
// and never skips one (DESIGN §3.1), so one recorded commit at or before the snapshot's LSN
// proves every later commit is recorded; without one (`oldest` after the LSN, or nothing
// recorded at all) transactions between the snapshot and the recording may be missing. Pure.
std::optional<std::string> recording_gap(const std::optional<RecordingStart>& oldest,
                                         Lsn backup_lsn);

// Reads the oldest recorded statement from the store (nullopt when there is none).
std::optional<RecordingStart> recording_start(pg::Connection& store);

struct CatchUpOptions {
  int batch_statements = 5000;  // statements per round trip (msgop.batch_statements)
  int queued_batches = 2;       // batches read ahead while one is applied
};

struct CatchUpResult {
  std::int64_t statements = 0;
  std::int64_t transactions = 0;
  std::int64_t batches = 0;
  bool stopped = false;  // keep_going said no before the end
};

// Called after each applied batch with the totals so far; false stops the catch-up there (a
// batch boundary, so the database holds whole source transactions only).
using KeepGoing = std::function<bool(const CatchUpResult& so_far)>;

// Applies to `target`, in (commit_lsn, position) order, every transaction `filter` selects
// from `store`. A reader thread streams pages from `store` and builds batches while the
// calling thread applies the previous one, so reading and applying overlap; memory is bounded
// by queued_batches. Borrows both connections (each used by one thread only during the
// call). Throws the first Error of either side (a failed batch was rolled back whole).
CatchUpResult catch_up(pg::Connection& store, pg::Connection& target, TransactionFilter filter,
                       const CatchUpOptions& options, const KeepGoing& keep_going = {});

}  // namespace tapedeck::msgop
