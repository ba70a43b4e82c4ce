// A bounded hand-off from the tick thread to one I/O worker that never blocks the producer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace tapedeck::timekeeper {

// Holds at most `capacity` items; push() never waits: when full it drops the oldest item
// (a worker that is behind gets the newest ticks). Thread-safe: one producer, one consumer.
template <typename T>
class Handoff {
 public:
  explicit Handoff(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  Handoff(const Handoff&) = delete;
  Handoff& operator=(const Handoff&) = delete;

  // Queues `item`; true when an older item was dropped to make room. Ignored after close().
  bool push(T item) {
    bool dropped = false;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return false;
      if (items_.size() >= capacity_) {
        items_.pop_front();
        dropped = true;
      }
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
    return dropped;
  }

  // The oldest item, waiting up to `wait` for one; nothing on timeout or once closed and empty.
  std::optional<T> pop(std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, wait, [this] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // Refuses further pushes and wakes the consumer; items already queued can still be popped.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace tapedeck::timekeeper
