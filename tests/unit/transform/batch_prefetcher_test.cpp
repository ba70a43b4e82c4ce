// The prefetcher: batches in fetch order, a bounded number ahead, errors after the batches
// before them, and untaken batches released.
#include "transform/batch_prefetcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tapedeck::transform {
namespace {

using namespace std::chrono_literals;

// Waits until `done` holds, for at most 10 s.
template <typename Done>
bool eventually(Done done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(10ms);
  return done();
}

TEST(BatchPrefetcher, HandsOutBatchesInTheOrderTheyWereFetched) {
  std::atomic<int> fetched{0};
  BatchPrefetcher<int> prefetcher([&] { return fetched++; }, [](int&) {}, 2);
  for (int expected = 0; expected < 50; ++expected) EXPECT_EQ(prefetcher.next(), expected);
}

TEST(BatchPrefetcher, FetchesNoMoreThanItsDepthAheadOfTheTaker) {
  std::atomic<int> fetched{0};
  BatchPrefetcher<int> prefetcher([&] { return fetched++; }, [](int&) {}, 3);
  ASSERT_TRUE(eventually([&] { return fetched == 3; }));
  std::this_thread::sleep_for(50ms);  // room to fetch a fourth, which it must not
  EXPECT_EQ(fetched, 3);
  EXPECT_EQ(prefetcher.next(), 0);
  ASSERT_TRUE(eventually([&] { return fetched == 4; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(fetched, 4);
}

TEST(BatchPrefetcher, RethrowsAFetchErrorOnceTheBatchesBeforeItAreTaken) {
  int calls = 0;
  BatchPrefetcher<int> prefetcher(
      [&] {
        if (++calls == 3) throw std::runtime_error("fetching from consumer c: no server");
        return calls;
      },
      [](int&) {}, 4);
  EXPECT_EQ(prefetcher.next(), 1);
  EXPECT_EQ(prefetcher.next(), 2);
  EXPECT_THROW(prefetcher.next(), std::runtime_error);
  EXPECT_THROW(prefetcher.next(), std::runtime_error);
  EXPECT_EQ(calls, 3) << "no fetch after the error";
}

TEST(BatchPrefetcher, ReleasesEveryBatchFetchedButNotTaken) {
  std::atomic<int> fetched{0};
  std::vector<int> released;
  {
    BatchPrefetcher<int> prefetcher([&] { return fetched++; },
                                    [&](int& b) { released.push_back(b); }, 3);
    EXPECT_EQ(prefetcher.next(), 0);
    ASSERT_TRUE(eventually([&] { return fetched == 4; }));
  }
  EXPECT_EQ(released, (std::vector<int>{1, 2, 3}));
}

}  // namespace
}  // namespace tapedeck::transform
