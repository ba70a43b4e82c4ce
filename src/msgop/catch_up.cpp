// Batched, read-ahead catch-up and the recording-coverage check.
#include "msgop/catch_up.hpp"

#include <fmt/format.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "core/error.hpp"
#include "core/recorded_statement.hpp"
#include "core/recording/statements_table.hpp"
#include "core/session.hpp"

namespace tapedeck::msgop {

namespace {

// A bounded hand-over of batches from the reader thread to the applier.
class BatchQueue {
 public:
  explicit BatchQueue(std::size_t capacity) : capacity_(capacity) {}

  struct Batch {
    std::string sql;
    std::int64_t statements = 0;
    std::int64_t transactions = 0;
  };

  // False when the consumer gave up (the reader should stop).
  bool push(Batch batch) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return cancelled_ || batches_.size() < capacity_; });
    if (cancelled_) return false;
    batches_.push_back(std::move(batch));
    changed_.notify_all();
    return true;
  }
  // The next batch, or nullopt once the reader finished (or failed: see error()).
  std::optional<Batch> pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !batches_.empty() || done_; });
    if (batches_.empty()) return std::nullopt;
    Batch batch = std::move(batches_.front());
    batches_.pop_front();
    changed_.notify_all();
    return batch;
  }
  void finish(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    done_ = true;
    error_ = std::move(error);
    changed_.notify_all();
  }
  void cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    changed_.notify_all();
  }
  std::exception_ptr error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> batches_;
  bool done_ = false;
  bool cancelled_ = false;
  std::exception_ptr error_;
};

}  // namespace

BatchBuilder::BatchBuilder(int max_statements) : max_statements_(max_statements) {
  if (max_statements_ < 1) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "msgop: msgop.batch_statements must be at least 1");
  }
}

void BatchBuilder::add(const RecordedTransaction& transaction) {
  if (text_.empty()) text_ = "BEGIN;\n";
  using recorded_statement::kTruncateOnly;
  bool truncating = false;  // the previous statement was a TRUNCATE of the same command
  for (const auto& statement : transaction.statements) {
    const bool truncate = statement.starts_with(kTruncateOnly);
    if (truncate && truncating) {
      text_.resize(text_.size() - 2);  // ";\n"
      text_ += ", ";
      text_.append(statement, kTruncateOnly.size());
    } else {
      text_ += statement;
    }
    text_ += ";\n";
    truncating = truncate;
  }
  statements_ += static_cast<std::int64_t>(transaction.statements.size());
  ++transactions_;
}

std::string BatchBuilder::take() {
  std::string text = std::move(text_);
  if (!text.empty()) text += "COMMIT;\n";
  text_.clear();
  statements_ = 0;
  transactions_ = 0;
  return text;
}

std::optional<std::string> recording_gap(const std::optional<RecordingStart>& oldest,
                                         Lsn backup_lsn) {
  if (!oldest) {
    return fmt::format(
        "recording gap: nothing is recorded, so the transactions committed after the "
        "snapshot at LSN {} cannot be replayed; check that capture and transform run",
        backup_lsn.str());
  }
  if (oldest->commit_lsn > backup_lsn) {
    return fmt::format(
        "recording gap: the oldest recorded transaction committed at LSN {} ({}), after the "
        "snapshot at LSN {}; transactions committed in between may be missing (the recording "
        "started after this backup, or retention removed them), so the session database "
        "could not be exact; pick a start time whose nearest backup was taken while "
        "recording",
        oldest->commit_lsn.str(), session::format_time(oldest->commit_time), backup_lsn.str());
  }
  return std::nullopt;
}

std::optional<RecordingStart> recording_start(pg::Connection& store) {
  const auto result = store.exec(recording::statements::kOldestStatement);
  if (result.rows() == 0) return std::nullopt;
  const auto lsn = Lsn::parse(result.text(0, 0));
  if (!lsn) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("msgop: unreadable commit_lsn '{}'", result.text(0, 0)));
  }
  return RecordingStart{*lsn, Instant{Micros{result.get<std::int64_t>(0, 1)}}};
}

CatchUpResult catch_up(pg::Connection& store, pg::Connection& target, TransactionFilter filter,
                       const CatchUpOptions& options, const KeepGoing& keep_going) {
  BatchQueue queue(static_cast<std::size_t>(std::max(1, options.queued_batches)));
  BatchBuilder builder(options.batch_statements);  // validates before the thread starts

  std::thread reader([&] {
    try {
      TransactionReader transactions(store, std::move(filter), options.batch_statements);
      auto hand_over = [&] {
        BatchQueue::Batch batch;
        batch.statements = builder.statements();
        batch.transactions = builder.transactions();
        batch.sql = builder.take();
        return queue.push(std::move(batch));
      };
      while (auto transaction = transactions.next()) {
        builder.add(*transaction);
        if (builder.full() && !hand_over()) return queue.finish(nullptr);
      }
      if (!builder.empty()) hand_over();
      queue.finish(nullptr);
    } catch (...) {
      queue.finish(std::current_exception());
    }
  });

  CatchUpResult result;
  try {
    while (auto batch = queue.pop()) {
      target.exec(batch->sql);
      result.statements += batch->statements;
      result.transactions += batch->transactions;
      ++result.batches;
      if (keep_going && !keep_going(result)) {
        result.stopped = true;
        break;
      }
    }
  } catch (...) {
    queue.cancel();
    reader.join();
    throw;
  }
  queue.cancel();
  reader.join();
  if (!result.stopped) {
    if (auto error = queue.error()) std::rethrow_exception(error);
  }
  return result;
}

}  // namespace tapedeck::msgop
