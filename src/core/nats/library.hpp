// The process-wide cnats library lifetime: opened first, closed last.
#pragma once

#include <chrono>

namespace tapedeck::nats {

// Owns cnats' global state: nats_Open on construction, nats_CloseAndWait on destruction.
// main owns exactly one and destroys it last: every Connection, JetStream, Subscription,
// consumer, publisher and Message must be destroyed before it, or nats_CloseAndWait waits
// for them until `close_timeout` and logs that it gave up. Not copyable or movable. Construct
// and destroy on the main thread, never from a NATS callback.
class LibraryGuard {
 public:
  explicit LibraryGuard(std::chrono::milliseconds close_timeout = std::chrono::seconds(10));
  ~LibraryGuard();

  LibraryGuard(const LibraryGuard&) = delete;
  LibraryGuard& operator=(const LibraryGuard&) = delete;
  LibraryGuard(LibraryGuard&&) = delete;
  LibraryGuard& operator=(LibraryGuard&&) = delete;

 private:
  std::chrono::milliseconds close_timeout_;
};

}  // namespace tapedeck::nats
