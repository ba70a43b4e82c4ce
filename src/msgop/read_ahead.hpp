// Reading the recording on a thread of its own, ahead of the thread that applies it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/pg/connection.hpp"
#include "msgop/recording_reader.hpp"

namespace tapedeck::msgop {

// Whole source transactions read together.
struct TransactionBatch {
  std::vector<RecordedTransaction> transactions;
  std::int64_t statements = 0;
};

// Runs a TransactionReader over `store` on its own thread and keeps up to `depth` batches of
// whole transactions ready (`batch_statements` statements or more each; one larger transaction
// alone), so that a slow page read (a cold page of a large store, a checkpoint) costs the
// applying thread nothing while the read stays ahead. `store` is lent to the thread until
// destruction: the caller must not use it meanwhile. The destructor stops the thread and joins
// it; it never throws. One consumer thread.
class ReadAhead {
 public:
  ReadAhead(pg::Connection& store, TransactionFilter filter, int batch_statements,
            std::size_t depth);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next batch, waiting for it; nullopt once everything was read. Rethrows the reader's
  // error once the batches read before it are taken.
  std::optional<TransactionBatch> next_batch();

  // The next transaction, one at a time out of the batches.
  std::optional<RecordedTransaction> next();

 private:
  void read(pg::Connection& store, TransactionFilter filter, int batch_statements);

  const std::size_t depth_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<TransactionBatch> ready_;
  bool done_ = false;
  bool cancelled_ = false;
  std::exception_ptr error_;
  TransactionBatch current_;  // next()'s batch being handed out
  std::size_t handed_ = 0;
  std::thread thread_;  // last: started once everything it uses is built
};

}  // namespace tapedeck::msgop
