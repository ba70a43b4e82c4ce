// Fetches batches on a thread of its own, a bounded number ahead of the thread that takes them.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace tapedeck::transform {

// Calls `fetch` over and over on its own thread and keeps up to `depth` batches ready for
// next(). transform fetches this way so that nats-server always has a pull request to serve
// while earlier batches are converted and committed; with one fetch at a time it idled
// whenever the store was slower. An empty batch (a fetch that timed out) is passed on too: it
// tells the taker that the stream is idle. The first error of `fetch` ends the fetching and
// is rethrown by next(). On destruction the thread is joined and every batch fetched but not
// taken goes to `release` (transform asks the server to redeliver it).
template <typename Batch>
class BatchPrefetcher {
 public:
  BatchPrefetcher(std::function<Batch()> fetch, std::function<void(Batch&)> release,
                  std::size_t depth)
      : fetch_(std::move(fetch)), release_(std::move(release)), depth_(depth < 1 ? 1 : depth) {
    thread_ = std::thread([this] { run(); });
  }

  ~BatchPrefetcher() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
    for (auto& batch : ready_) {
      try {
        release_(batch);
      } catch (...) {
        // nothing else to do with it: the server redelivers what is never acknowledged
      }
    }
  }

  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // Calls `visit` on each batch fetched and not yet taken (under the lock: keep it short).
  // transform uses it to keep them in progress while an earlier batch's commit is slow.
  void for_each_ready(const std::function<void(Batch&)>& visit) {
    std::lock_guard lock(mutex_);
    for (auto& batch : ready_) visit(batch);
  }

  // The oldest batch fetched, waiting for one if none is ready. Rethrows the error that
  // ended the fetching once every batch fetched before it has been taken.
  Batch next() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !ready_.empty() || error_; });
    if (ready_.empty()) std::rethrow_exception(error_);
    Batch batch = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return batch;
  }

 private:
  void run() {
    while (true) {
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return stopping_ || ready_.size() < depth_; });
        if (stopping_) return;
      }
      try {
        Batch batch = fetch_();
        std::lock_guard lock(mutex_);
        ready_.push_back(std::move(batch));
      } catch (...) {
        std::lock_guard lock(mutex_);
        error_ = std::current_exception();
        changed_.notify_all();
        return;
      }
      changed_.notify_all();
    }
  }

  std::function<Batch()> fetch_;
  std::function<void(Batch&)> release_;
  const std::size_t depth_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> ready_;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything it uses is built
};

}  // namespace tapedeck::transform
