// The health of a long-running service: healthy, or failing with the reason /healthz reports.
#pragma once

#include <mutex>
#include <string>

#include "core/http/server.hpp"

namespace tapedeck::service {

// Thread-safe: the service's loop sets it, the HTTP server's threads read it. Starts healthy.
class HealthState {
 public:
  // Reports healthy; true when this ends a failure (the recovery worth a log line).
  bool healthy();
  // Reports failing with `detail`; true when this starts a failure (the one worth a log line).
  bool failing(std::string detail);
  // {true, ""} while healthy, {false, detail} while failing.
  http::Health get() const;

 private:
  mutable std::mutex mutex_;
  std::string failure_;  // empty while healthy
};

}  // namespace tapedeck::service
