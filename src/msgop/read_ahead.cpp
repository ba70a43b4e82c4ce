// The read-ahead thread and its bounded queue of batches.
#include "msgop/read_ahead.hpp"

#include <algorithm>
#include <utility>

namespace tapedeck::msgop {

ReadAhead::ReadAhead(pg::Connection& store, TransactionFilter filter, int batch_statements,
                     std::size_t depth)
    : depth_(std::max<std::size_t>(depth, 1)) {
  thread_ = std::thread([this, &store, filter = std::move(filter), batch_statements]() mutable {
    read(store, std::move(filter), batch_statements);
  });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void ReadAhead::read(pg::Connection& store, TransactionFilter filter, int batch_statements) {
  // Adds `batch` to the queue once there is room; false when the consumer is gone.
  const auto push = [this](TransactionBatch batch) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return cancelled_ || ready_.size() < depth_; });
    if (cancelled_) return false;
    ready_.push_back(std::move(batch));
    changed_.notify_all();
    return true;
  };
  std::exception_ptr error;
  try {
    TransactionReader transactions(store, std::move(filter), std::max(batch_statements, 1));
    TransactionBatch batch;
    while (auto transaction = transactions.next()) {
      batch.statements += static_cast<std::int64_t>(transaction->statements.size());
      batch.transactions.push_back(std::move(*transaction));
      if (batch.statements >= batch_statements) {
        if (!push(std::move(batch))) return;
        batch = {};
      }
    }
    if (!batch.transactions.empty() && !push(std::move(batch))) return;
  } catch (...) {
    error = std::current_exception();
  }
  std::lock_guard lock(mutex_);
  done_ = true;
  error_ = std::move(error);
  changed_.notify_all();
}

std::optional<TransactionBatch> ReadAhead::next_batch() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || done_; });
  if (ready_.empty()) {
    if (error_) std::rethrow_exception(error_);
    return std::nullopt;
  }
  TransactionBatch batch = std::move(ready_.front());
  ready_.pop_front();
  changed_.notify_all();
  return batch;
}

std::optional<RecordedTransaction> ReadAhead::next() {
  while (handed_ == current_.transactions.size()) {
    auto batch = next_batch();
    if (!batch) return std::nullopt;
    current_ = std::move(*batch);
    handed_ = 0;
  }
  return std::move(current_.transactions[handed_++]);
}

}  // namespace tapedeck::msgop
